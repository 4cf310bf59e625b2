/**
 * The dead-letter store: files under deadLetter.path holding one JSON object per record that was refused (by
 * the schema check, by Panther, or left undelivered by a timed-out shutdown), compressed: each file
 * (`dl-<time>-<seq>.jsonl.gz`, `.open` while written) is a run of gzip frames (dead-letter-frame.ts), one
 * or more per group commit. A record counts as dead-lettered once its compressed bytes are fdatasync'd.
 *
 * The store is bounded by maxBytes (bytes on disk). What happens at the bound is `whenFull`:
 *   pause  (the default) nothing is evicted: the write waits, the active file is closed so that an operator
 *          (or `dead-letter replay`) can move or replay it, the listeners whose records wait are reported
 *          (`blocked`) so the relay stops reading them, and the write goes ahead once the files on disk
 *          (re-read every second) leave room for it.
 *   evict  the oldest file is evicted, counted and logged: records the relay read are lost.
 *
 * Record format: see dead-letter-entry.ts. Records refused by the schema come from the workers already
 * encoded and compressed (writeFrames); the others (refused by the output, undelivered, over-long lines)
 * are encoded and compressed here.
 */
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetterInput } from './dead-letter-entry.js';
import { encodeEntriesFrame, framesRawBytes } from './dead-letter-frame.js';

/** `deadLetter.whenFull`. */
export type WhenFull = 'pause' | 'evict';

export interface DeadLetterOptions {
  path: string;
  maxBytes: number;
  /** Rotate a file once it holds this many uncompressed bytes (so a replay reading one file whole stays bounded). */
  maxFileBytes: number;
  /** Default 'pause'. */
  whenFull?: WhenFull;
}

export interface DeadLetterEvents {
  written(byReason: Map<string, number>): void;
  evicted(file: string, bytes: number): void;
  sizeChanged(totalBytes: number): void;
  /** whenFull pause: the store is full and writes wait (true), or writes go on again (false). */
  fullChanged?(full: boolean, waitingListeners: readonly string[]): void;
  /** whenFull pause: records of `listener` wait for room (reported once per listener and episode). */
  blocked?(listener: string): void;
}

/** Closed files: plain JSON lines (before compression) or compressed frames. Lexical order is creation order. */
const FILE_RE = /^dl-\d{8}T\d{6}-\d{6}\.jsonl(\.gz)?$/;
const ACTIVE_SUFFIX = '.open';
/** While full, the files are re-read this often to see whether room came back. */
const FULL_PROBE_MS = 1000;

/** Writes `chunks` (`bytes` in all) at the file's end, going on after a short write until every byte is out. */
async function writeAll(handle: FileHandle, chunks: Uint8Array[], bytes: number): Promise<void> {
  let left = chunks;
  while (bytes > 0) {
    const { bytesWritten } = await handle.writev(left);
    bytes -= bytesWritten;
    if (bytes > 0) left = dropFront(left, bytesWritten);
  }
}

/** `chunks` without their first `n` bytes (what is left to write after a short write; exported for its test). */
export function dropFront(chunks: Uint8Array[], n: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.length) n -= c.length;
    else {
      rest.push(c.subarray(n));
      n = 0;
    }
  }
  return rest;
}

/** Names files so that lexical order is creation order. */
function fileName(seq: number): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `dl-${t}-${String(seq % 1_000_000).padStart(6, '0')}.jsonl.gz`;
}

/** Records waiting for one write and fdatasync; `done` settles when they are on disk. */
interface PendingGroup {
  /** Records to encode at write time, and frames that came compressed (from the workers), in arrival order. */
  parts: Array<readonly DeadLetterInput[] | Uint8Array>;
  byReason: Map<string, number>;
  listeners: Set<string>;
  bytes: number;
  done: Promise<void>;
}

/** A group stops taking records at this many bytes, so one write stays well under deadLetter.maxFileBytes. */
const GROUP_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Group commits start at least this long apart (see paced), so that a store taking most of the traffic
 * syncs about 50 times a second instead of as fast as the disk allows. Measured with 90% refused User
 * Activity records (zstd, 4 connections, 2026-12-03): the relay had made 417 fdatasyncs and 264 writevs a
 * second, each fdatasync an ext4 journal commit and a flush of the virtual disk, and libuv's threads that
 * run them took 0.15 cores (copying into the page cache, the journal, the device's notifications); with
 * 20 ms, 49 and 60 a second. Three alternating bench pairs: refused records/s 1.13x, 1.27x and 1.17x (zstd),
 * 1.04x, 0.99x and 1.02x (gzip), the relay's CPU per refused record lower in all six. 50 ms held the frames
 * so long that the byte budget filled (peak RSS 281-289 MB, cores 92-95% busy); 5 ms gave no more than 20.
 * A record counts as dead-lettered (and its spool batch as settled) at most this much later.
 */
export const GROUP_MIN_INTERVAL_MS = 20;

export class DeadLetterStore {
  private handle: FileHandle | null = null;
  private activeName = '';
  private activeBytes = 0;
  private activeRawBytes = 0;
  private seq = 0;
  private files: Array<{ name: string; bytes: number }> = [];
  private tail: Promise<void> = Promise.resolve();
  /** The group the next write appends to, until its turn to be written comes. */
  private openGroup: PendingGroup | null = null;
  /** whenFull pause: the group waiting for room, and the listeners reported blocked in this episode. */
  private waiting: PendingGroup | null = null;
  private readonly blockedListeners = new Set<string>();
  private wake: (() => void) | null = null;
  private closing = false;
  private lastCommit = 0;

  constructor(
    private readonly opts: DeadLetterOptions,
    private readonly events: DeadLetterEvents,
  ) {}

  /** Creates the directory and takes stock of files left by earlier runs (a half-written `.open` file is closed off, its torn tail kept). */
  async open(): Promise<void> {
    await mkdir(this.opts.path, { recursive: true });
    for (const name of (await readdir(this.opts.path)).sort()) {
      if (name.endsWith(ACTIVE_SUFFIX) && FILE_RE.test(name.slice(0, -ACTIVE_SUFFIX.length))) {
        const done = name.slice(0, -ACTIVE_SUFFIX.length);
        await rename(join(this.opts.path, name), join(this.opts.path, done));
        this.files.push({ name: done, bytes: (await stat(join(this.opts.path, done))).size });
      } else if (FILE_RE.test(name)) {
        this.files.push({ name, bytes: (await stat(join(this.opts.path, name))).size });
      }
    }
    this.files.sort((a, b) => a.name.localeCompare(b.name));
    // The sequence continues after the newest file so that names stay in creation order.
    this.seq = this.files.length;
    this.events.sizeChanged(this.totalBytes());
  }

  /** Total bytes in the store (on disk). */
  totalBytes(): number {
    return this.files.reduce((n, f) => n + f.bytes, 0) + this.activeBytes;
  }

  /** True while writes wait for room (whenFull pause). */
  get full(): boolean {
    return this.waiting !== null;
  }

  /**
   * Appends records; resolves once they are on disk (fdatasync). Writes are serialised, and records that
   * arrive while a write is in progress join one group that the next write and fdatasync cover (group
   * commit): when most of the traffic is refused, one sync per worker batch would otherwise cap the relay at
   * the disk's sync rate and queue the rest in memory. The next write starts no sooner than
   * GROUP_MIN_INTERVAL_MS after the one before, so groups also form while the disk is quick.
   */
  write(records: readonly DeadLetterInput[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const group = this.groupFor();
    group.parts.push(records);
    for (const r of records) {
      group.byReason.set(r.reason, (group.byReason.get(r.reason) ?? 0) + 1);
      group.bytes += r.line.byteLength;
      this.join(group, r.listener);
    }
    return group.done;
  }

  /**
   * Appends frames compressed already (by a worker: encodeEntries, then encodeFrame) holding `byReason`
   * records of `listener`; resolves once they are on disk, in the same group commit as write().
   */
  writeFrames(frames: Uint8Array, byReason: ReadonlyArray<readonly [string, number]>, listener: string): Promise<void> {
    if (frames.byteLength === 0) return Promise.resolve();
    const group = this.groupFor();
    group.parts.push(frames);
    for (const [reason, n] of byReason) group.byReason.set(reason, (group.byReason.get(reason) ?? 0) + n);
    group.bytes += frames.byteLength;
    this.join(group, listener);
    return group.done;
  }

  /** Adds a listener to a group; while the store is full, its records wait too: reported once per episode. */
  private join(group: PendingGroup, listener: string): void {
    group.listeners.add(listener);
    if (this.waiting !== null && !this.blockedListeners.has(listener)) {
      this.blockedListeners.add(listener);
      this.events.blocked?.(listener);
    }
  }

  /** The group the next records join: the open one, or a new one written after the groups before it. */
  private groupFor(): PendingGroup {
    const open = this.openGroup;
    if (open !== null && open.bytes < GROUP_MAX_BYTES) return open;
    const g: PendingGroup = { parts: [], byReason: new Map(), listeners: new Set(), bytes: 0, done: undefined as unknown as Promise<void> };
    g.done = this.tail
      .then(() => this.paced())
      .then(() => {
        if (this.openGroup === g) this.openGroup = null; // later writes form the next group
        return this.append(g);
      });
    this.tail = g.done.catch(() => undefined);
    this.openGroup = g;
    return g;
  }

  /**
   * Waits until GROUP_MIN_INTERVAL_MS after the previous group commit started; the open group takes the
   * records that arrive meanwhile.
   */
  private async paced(): Promise<void> {
    const wait = this.lastCommit + GROUP_MIN_INTERVAL_MS - Date.now();
    if (wait > 0 && !this.closing) await new Promise((r) => setTimeout(r, wait));
    this.lastCommit = Date.now();
  }

  /**
   * Closes the active file so that it becomes a complete file. Records still waiting for room are written
   * past maxBytes rather than lost with the process (the relay is stopping: nothing more arrives).
   */
  async close(): Promise<void> {
    this.stopWaiting();
    await this.tail;
    await this.closeActive();
  }

  private async append(group: PendingGroup): Promise<void> {
    const time = new Date().toISOString();
    const chunks: Uint8Array[] = [];
    let raw = 0;
    for (const p of group.parts) {
      if (p instanceof Uint8Array) {
        chunks.push(p);
        raw += framesRawBytes(p);
      } else {
        const { frame, rawBytes } = encodeEntriesFrame(p, time);
        chunks.push(frame);
        raw += rawBytes;
      }
    }
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    if (this.handle && this.activeRawBytes + raw > this.opts.maxFileBytes) await this.closeActive();
    if ((this.opts.whenFull ?? 'pause') === 'pause') await this.roomFor(group, bytes);
    if (!this.handle) {
      this.activeName = fileName(this.seq++);
      this.handle = await open(join(this.opts.path, this.activeName + ACTIVE_SUFFIX), 'a');
      this.activeBytes = 0;
      this.activeRawBytes = 0;
    }
    // The group's frames as they are, in one writev: joining them first copied a megabyte or two per group
    // into fresh memory on the main thread (page faults in its profile with refused traffic).
    await writeAll(this.handle, chunks, bytes);
    await this.handle.datasync();
    this.activeBytes += bytes;
    this.activeRawBytes += raw;
    if (this.opts.whenFull === 'evict') await this.evict();
    this.events.written(group.byReason);
    this.events.sizeChanged(this.totalBytes());
  }

  /**
   * whenFull pause: waits until `bytes` more fit under maxBytes. While full, the active file is closed (so
   * it can be moved away or replayed) and the files on disk are re-read every FULL_PROBE_MS: replay and
   * operators remove or shrink them while the relay runs. A group larger than the whole store is written
   * once the store is empty; a group still waiting when the store closes (shutdown) is written past the bound.
   */
  private async roomFor(group: PendingGroup, bytes: number): Promise<void> {
    if (this.totalBytes() + bytes <= this.opts.maxBytes) return;
    await this.refresh();
    if (this.totalBytes() + bytes <= this.opts.maxBytes) return;
    await this.closeActive();
    this.waiting = group;
    for (const l of group.listeners) this.blockedListeners.add(l);
    this.events.fullChanged?.(true, [...group.listeners]);
    this.events.sizeChanged(this.totalBytes());
    try {
      while (!this.closing && this.totalBytes() + bytes > this.opts.maxBytes && this.totalBytes() > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FULL_PROBE_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        await this.refresh();
      }
    } finally {
      this.waiting = null;
      const listeners = [...this.blockedListeners];
      this.blockedListeners.clear();
      this.events.fullChanged?.(false, listeners);
    }
  }

  /** Re-reads the sizes of the closed files: `dead-letter replay` and operators shrink or remove them while the relay runs. */
  private async refresh(): Promise<void> {
    const next: Array<{ name: string; bytes: number }> = [];
    for (const f of this.files) {
      const bytes = await stat(join(this.opts.path, f.name)).then((st) => st.size, () => -1);
      if (bytes >= 0) next.push({ name: f.name, bytes });
    }
    this.files = next;
  }

  /**
   * Closes the active file after the writes before it (the next write opens a new one), so that
   * `dead-letter replay`, which works on closed files, can take its records: the relay does so on a config
   * reload, when an operator has typically just fixed the schema.
   */
  async rotate(): Promise<void> {
    const done = this.tail.then(() => this.closeActive());
    this.tail = done.catch(() => undefined);
    await done;
  }

  /**
   * The relay is stopping: records waiting for room, and those that come while it drains, are written past
   * maxBytes rather than lost with the process (bounded by what the App Connectors send during the drain).
   */
  stopWaiting(): void {
    this.closing = true;
    this.wake?.();
  }

  /** Checks the disk for room now instead of at the next probe (tests, and an operator's signal). */
  recheck(): void {
    this.wake?.();
  }

  private async closeActive(): Promise<void> {
    if (!this.handle) return;
    await this.handle.close();
    this.handle = null;
    await rename(join(this.opts.path, this.activeName + ACTIVE_SUFFIX), join(this.opts.path, this.activeName));
    this.files.push({ name: this.activeName, bytes: this.activeBytes });
    this.activeBytes = 0;
    this.activeRawBytes = 0;
  }

  private async evict(): Promise<void> {
    while (this.totalBytes() > this.opts.maxBytes && this.files.length > 0) {
      // `dead-letter replay` may have shrunk or removed closed files meanwhile: trust the disk, not memory.
      const oldest = this.files[0]!;
      const bytes = await stat(join(this.opts.path, oldest.name)).then((st) => st.size, () => -1);
      if (bytes !== oldest.bytes) {
        if (bytes < 0) this.files.shift();
        else oldest.bytes = bytes;
        continue;
      }
      this.files.shift();
      try {
        await unlink(join(this.opts.path, oldest.name));
      } catch (err) {
        // Gone already (a replay emptied it): nothing was evicted.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        continue;
      }
      this.events.evicted(oldest.name, oldest.bytes);
    }
  }
}
