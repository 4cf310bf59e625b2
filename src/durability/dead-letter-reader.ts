/**
 * Reads the dead-letter store for the `zpa-relay dead-letter` commands, and rewrites its closed files.
 *
 * Invariants:
 *  - Files are plain JSON lines (`dl-<time>-<seq>.jsonl`, written before the store was compressed) or runs of
 *    gzip frames (`.jsonl.gz`, dead-letter-frame.ts); both are read the same way, and callers see lines.
 *  - The file the relay is appending to ends in `.open`. scanStore reads it too (read-only), up to its last
 *    whole frame (or line): what follows is still being written. It is never changed here.
 *  - A line that is not a stored record (a hand edit), a damaged frame, or a torn last frame (a crash
 *    mid-write) is never selected and is kept byte for byte when its file is rewritten: the CLI never
 *    destroys what it cannot read.
 *  - A rewrite is atomic: a temporary file is written and fsync'd, then renamed over the original, then the
 *    directory is fsync'd. The temporary name matches neither the store's file pattern nor `.open`, so a
 *    relay starting meanwhile ignores it.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encodeFrame, readFrames } from './dead-letter-frame.js';

/** Closed dead-letter files, as the store names them (lexical order is creation order): plain or compressed. */
export const DEAD_LETTER_FILE_RE = /^dl-\d{8}T\d{6}-\d{6}\.jsonl(\.gz)?$/;
const ACTIVE_SUFFIX = '.open';
const TEMP_SUFFIX = '.replay-tmp';

/** True for a compressed store file (closed or open). */
export function isCompressedFile(name: string): boolean {
  return name.endsWith('.gz') || name.endsWith('.gz' + ACTIVE_SUFFIX);
}

/** One stored record, as the store writes it (see dead-letter-entry.ts `toEntry`). */
export interface StoredRecord {
  time: string;
  listener: string;
  logType: string | null;
  reason: string;
  field: string | null;
  message: string;
  /** The record's text (valid UTF-8). */
  line?: string;
  /** The record's bytes when they are not valid UTF-8. */
  lineBase64?: string;
  /** Full length of the original line when only its head is stored. */
  length?: number;
  /** HTTP status of an output refusal. */
  status?: number;
}

/**
 * One physical line of a store file; `record` is undefined when the line is not a stored record. Bytes of a
 * compressed file that do not decode (a damaged or torn frame) come as one StoreLine with `raw` set (and
 * `text` empty): not a record, kept as they are by a rewrite.
 */
export interface StoreLine {
  text: string;
  record?: StoredRecord;
  raw?: Buffer;
}

/** Which records a command works on. */
export interface Selection {
  /** Only records stored at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Only records with one of these reasons. */
  reasons?: ReadonlySet<string>;
}

/** The files of a store directory. `missing` is true when the directory does not exist (an empty store). */
export interface StoreFiles {
  dir: string;
  missing: boolean;
  /** Closed files, oldest first. */
  closed: string[];
  /** Files being written by a running relay (`.open`): scanStore reads them (read-only); never changed here. */
  open: string[];
}

/** Lists the store's files. */
export async function listStoreFiles(dir: string): Promise<StoreFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, missing: true, closed: [], open: [] };
    throw err;
  }
  names.sort();
  return {
    dir,
    missing: false,
    closed: names.filter((n) => DEAD_LETTER_FILE_RE.test(n)),
    open: names.filter((n) => n.endsWith(ACTIVE_SUFFIX) && DEAD_LETTER_FILE_RE.test(n.slice(0, -ACTIVE_SUFFIX.length))),
  };
}

/** Parses one stored line; undefined when it is not a record the store could have written. */
export function parseStoredLine(text: string): StoredRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // Not JSON: a torn tail or a foreign line. The caller counts it as unreadable and keeps it as it is.
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.time !== 'string' || typeof r.reason !== 'string') return undefined;
  if (typeof r.line !== 'string' && typeof r.lineBase64 !== 'string') return undefined;
  return r as unknown as StoredRecord;
}

/** True when the record is in the selection. */
export function selects(sel: Selection, r: StoredRecord): boolean {
  if (sel.reasons !== undefined && !sel.reasons.has(r.reason)) return false;
  if (sel.sinceMs !== undefined) {
    const t = Date.parse(r.time);
    if (!(t >= sel.sinceMs)) return false;
  }
  return true;
}

/** The record's bytes as stored (decoded from base64 when needed). */
export function recordBytes(r: StoredRecord): Buffer {
  return r.line !== undefined ? Buffer.from(r.line, 'utf8') : Buffer.from(r.lineBase64 ?? '', 'base64');
}

/** True when only the head of an over-long line is stored: such a record can never be re-sent. */
export function isTruncated(r: StoredRecord, storedBytes: number): boolean {
  return typeof r.length === 'number' && r.length > storedBytes;
}

/**
 * Streams the records of the store, file by file and line by line, so list and report hold only their
 * aggregates: the closed files, then the files the relay is writing (up to their last whole frame or line).
 * `onLine` gets the file name and the line (with its parsed record when it is one); when it returns a
 * promise, reading waits for it (output backpressure). A compressed file is read a file at a time (files
 * are bounded by deadLetter.maxFileBytes before compression) and decoded a frame at a time.
 */
export async function scanStore(files: StoreFiles, onLine: (file: string, line: StoreLine) => void | Promise<void>): Promise<void> {
  for (const name of files.closed) await scanFile(files.dir, name, false, onLine);
  for (const name of files.open) await scanFile(files.dir, name, true, onLine);
}

async function scanFile(dir: string, name: string, active: boolean, onLine: (file: string, line: StoreLine) => void | Promise<void>): Promise<void> {
  if (isCompressedFile(name) || active) {
    const lines = await readStoreFile(dir, name, active);
    for (const line of lines ?? []) await onLine(name, line);
    return;
  }
  const input = createReadStream(join(dir, name), { encoding: 'utf8' });
  try {
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const text of rl) {
      if (text.length === 0) continue;
      await onLine(name, { text, record: parseStoredLine(text) });
    }
  } catch (err) {
    // Evicted by the relay between readdir and open: it no longer exists, so it has nothing to list.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  } finally {
    input.destroy();
  }
}

/** A file's lines as StoreLines (empty lines skipped). */
function linesOf(text: string): StoreLine[] {
  return text
    .split('\n')
    .filter((t) => t.length > 0)
    .map((t) => ({ text: t, record: parseStoredLine(t) }));
}

/**
 * Reads one file whole (replay works a file at a time; files are bounded by deadLetter.maxFileBytes before
 * compression). Undefined when it is gone. `active`: the relay is still appending to it, so a last frame
 * with fewer bytes than announced, or a last line without its newline, is still being written: left out.
 */
export async function readStoreFile(dir: string, name: string, active = false): Promise<StoreLine[] | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!isCompressedFile(name)) {
    let text = bytes.toString('utf8');
    if (active && !text.endsWith('\n')) text = text.slice(0, text.lastIndexOf('\n') + 1);
    return linesOf(text);
  }
  const out: StoreLine[] = [];
  for (const part of readFrames(bytes)) {
    if ('lines' in part) out.push(...linesOf(part.lines.toString('utf8')));
    else if (!(active && part.torn)) out.push({ text: '', raw: Buffer.from(part.unreadable) });
  }
  return out;
}

/** What a rewrite did. `gone`: the relay evicted the file meanwhile, so it was left deleted. */
export type RewriteResult = 'rewritten' | 'deleted' | 'gone';

/**
 * Replaces a closed file's content with `lines` (each written with a trailing newline), atomically; deletes
 * the file when no line is left. A compressed file is written as one frame of its lines followed by the
 * bytes that did not decode (`raw` parts, in their order: a torn frame stays last, where a reader expects
 * it); a file with nothing but such bytes is kept.
 */
export async function rewriteStoreFile(dir: string, name: string, lines: ReadonlyArray<string | Uint8Array>): Promise<RewriteResult> {
  const path = join(dir, name);
  try {
    await stat(path);
  } catch (err) {
    // The relay evicts its oldest file when the store is full; do not resurrect it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  if (lines.length === 0) {
    await unlink(path);
    await syncDir(dir);
    return 'deleted';
  }
  const texts = lines.filter((l): l is string => typeof l === 'string');
  const raws = lines.filter((l): l is Uint8Array => typeof l !== 'string');
  let content: Buffer;
  if (isCompressedFile(name)) {
    const parts: Uint8Array[] = texts.length > 0 ? [encodeFrame(Buffer.from(texts.join('\n') + '\n', 'utf8'))] : [];
    content = Buffer.concat([...parts, ...raws]);
  } else {
    // A plain file has no raw parts: its unreadable lines are text.
    content = Buffer.from(texts.join('\n') + '\n', 'utf8');
  }
  const tmp = path + TEMP_SUFFIX;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dir);
  return 'rewritten';
}

/** Removes temporary files left by a replay that was killed mid-rewrite (the originals are intact). */
export async function removeStaleTemps(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith(TEMP_SUFFIX)) {
      await unlink(join(dir, name));
      n++;
    }
  }
  return n;
}

/** Makes a rename or unlink durable: without it a crash can bring the old directory entry back. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Parses `--since`: an RFC 3339 time (`2026-11-28T04:30:00Z`, an offset or `Z` required) or a duration back
 * from `nowMs` (`90s`, `30m`, `2h`, `7d`). Undefined when the text is neither.
 */
export function parseSince(text: string, nowMs: number): number | undefined {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs - Number(rel[1]) * unit;
  }
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const t = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(t) ? undefined : t;
}
