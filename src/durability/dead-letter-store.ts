/**
 * The dead-letter store: JSON-lines files under deadLetter.path, one object per record that was refused
 * (by the schema check, by Panther, or left undelivered by a timed-out shutdown). Nothing is dropped
 * silently: the store is bounded by maxBytes and evicting its oldest file is counted and logged.
 *
 * Record format: see dead-letter-entry.ts. Records refused by the schema come from the workers already
 * encoded (writeEncoded); the others (refused by the output, undelivered, over-long lines) are encoded here.
 */
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeEntries, type DeadLetterInput } from './dead-letter-entry.js';

export interface DeadLetterOptions {
  path: string;
  maxBytes: number;
  maxFileBytes: number;
}

export interface DeadLetterEvents {
  written(byReason: Map<string, number>): void;
  evicted(file: string, bytes: number): void;
  sizeChanged(totalBytes: number): void;
}

const FILE_RE = /^dl-\d{8}T\d{6}-\d{6}\.jsonl$/;
const ACTIVE_SUFFIX = '.open';

/** Names files so that lexical order is creation order. */
function fileName(seq: number): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `dl-${t}-${String(seq % 1_000_000).padStart(6, '0')}.jsonl`;
}

/** Records waiting for one write and fdatasync; `done` settles when they are on disk. */
interface PendingGroup {
  /** Records to encode at write time, and lines that came encoded (from the workers), in arrival order. */
  parts: Array<readonly DeadLetterInput[] | Uint8Array>;
  byReason: Map<string, number>;
  bytes: number;
  done: Promise<void>;
}

/** A group stops taking records at this many line bytes, so one write stays well under deadLetter.maxFileBytes. */
const GROUP_MAX_BYTES = 4 * 1024 * 1024;

export class DeadLetterStore {
  private handle: FileHandle | null = null;
  private activeName = '';
  private activeBytes = 0;
  private seq = 0;
  private files: Array<{ name: string; bytes: number }> = [];
  private tail: Promise<void> = Promise.resolve();
  /** The group the next write appends to, until its turn to be written comes. */
  private openGroup: PendingGroup | null = null;

  constructor(
    private readonly opts: DeadLetterOptions,
    private readonly events: DeadLetterEvents,
  ) {}

  /** Creates the directory and takes stock of files left by earlier runs (a half-written `.open` file is closed off). */
  async open(): Promise<void> {
    await mkdir(this.opts.path, { recursive: true });
    for (const name of (await readdir(this.opts.path)).sort()) {
      if (name.endsWith(ACTIVE_SUFFIX)) {
        const done = name.slice(0, -ACTIVE_SUFFIX.length);
        await rename(join(this.opts.path, name), join(this.opts.path, done));
        this.files.push({ name: done, bytes: (await stat(join(this.opts.path, done))).size });
      } else if (FILE_RE.test(name)) {
        this.files.push({ name, bytes: (await stat(join(this.opts.path, name))).size });
      }
    }
    this.files.sort((a, b) => a.name.localeCompare(b.name));
    this.seq = this.files.length;
    this.events.sizeChanged(this.totalBytes());
  }

  /** Total bytes in the store. */
  totalBytes(): number {
    return this.files.reduce((n, f) => n + f.bytes, 0) + this.activeBytes;
  }

  /**
   * Appends records; resolves once they are on disk (fdatasync). Writes are serialised, and records that
   * arrive while a write is in progress join one group that the next write and fdatasync cover (group
   * commit): when most of the traffic is refused, one sync per worker batch would otherwise cap the relay at
   * the disk's sync rate and queue the rest in memory.
   */
  write(records: readonly DeadLetterInput[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const group = this.groupFor();
    group.parts.push(records);
    for (const r of records) {
      group.byReason.set(r.reason, (group.byReason.get(r.reason) ?? 0) + 1);
      group.bytes += r.line.byteLength;
    }
    return group.done;
  }

  /**
   * Appends JSON lines encoded already (by a worker, with encodeEntries) holding `byReason` records; resolves
   * once they are on disk, in the same group commit as write().
   */
  writeEncoded(lines: Uint8Array, byReason: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (lines.byteLength === 0) return Promise.resolve();
    const group = this.groupFor();
    group.parts.push(lines);
    for (const [reason, n] of byReason) group.byReason.set(reason, (group.byReason.get(reason) ?? 0) + n);
    group.bytes += lines.byteLength;
    return group.done;
  }

  /** The group the next records join: the open one, or a new one written after the groups before it. */
  private groupFor(): PendingGroup {
    const open = this.openGroup;
    if (open !== null && open.bytes < GROUP_MAX_BYTES) return open;
    const g: PendingGroup = { parts: [], byReason: new Map(), bytes: 0, done: undefined as unknown as Promise<void> };
    g.done = this.tail.then(() => {
      if (this.openGroup === g) this.openGroup = null; // later writes form the next group
      return this.append(g);
    });
    this.tail = g.done.catch(() => undefined);
    this.openGroup = g;
    return g;
  }

  /** Closes the active file so that it becomes a complete `.jsonl` file. */
  async close(): Promise<void> {
    await this.tail;
    await this.closeActive();
  }

  private async append(group: PendingGroup): Promise<void> {
    const time = new Date().toISOString();
    const chunks = group.parts.map((p) => (p instanceof Uint8Array ? p : encodeEntries(p, time)));
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (this.handle && this.activeBytes + data.length > this.opts.maxFileBytes) await this.closeActive();
    if (!this.handle) {
      this.activeName = fileName(this.seq++);
      this.handle = await open(join(this.opts.path, this.activeName + ACTIVE_SUFFIX), 'a');
      this.activeBytes = 0;
    }
    await this.handle.write(data);
    await this.handle.datasync();
    this.activeBytes += data.length;
    await this.evict();
    this.events.written(group.byReason);
    this.events.sizeChanged(this.totalBytes());
  }

  private async closeActive(): Promise<void> {
    if (!this.handle) return;
    await this.handle.close();
    this.handle = null;
    await rename(join(this.opts.path, this.activeName + ACTIVE_SUFFIX), join(this.opts.path, this.activeName));
    this.files.push({ name: this.activeName, bytes: this.activeBytes });
    this.activeBytes = 0;
  }

  private async evict(): Promise<void> {
    while (this.totalBytes() > this.opts.maxBytes && this.files.length > 0) {
      // `dead-letter replay` may have shrunk or removed closed files meanwhile: trust the disk, not memory.
      const oldest = this.files[0];
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

