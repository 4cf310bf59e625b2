/**
 * The spool: a write-ahead log on local disk of every batch the relay has read from a socket and not yet
 * settled (delivered, or kept in the dead-letter store). A batch is appended before it is handed to the
 * workers, made durable by a group fdatasync every `syncIntervalMs`, and acknowledged once all its records
 * are settled; a segment file is deleted once every batch in it is acknowledged. On start, the batches of
 * the segments left behind are replayed before any new traffic.
 *
 * Guarantee: after kill -9 or power loss, every batch appended more than `syncIntervalMs` before is on
 * disk and is delivered after the restart. Batches that were in flight (delivered, not yet acknowledged)
 * are delivered again: duplicates are bounded to what was in flight, and counted.
 *
 * Writes are synchronous on the main thread on purpose: a batch is at most batch.maxBytes (512 KiB by
 * default) and lands in the page cache at memcpy speed, while the fdatasync that costs real time runs in
 * libuv's pool. A synchronous append also keeps the order of the log equal to the order of reads.
 */
import { closeSync, fdatasync, fsyncSync, ftruncateSync, openSync, writevSync, writeFileSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrame, encodeFrame, type FrameMeta } from './spool-frame.js';

export interface SpoolOptions {
  path: string;
  maxBytes: number;
  syncIntervalMs: number;
  /** Size at which the active segment is sealed and a new one started. */
  segmentBytes?: number;
}

export interface SpoolEvents {
  sizeChanged(bytes: number, segments: number): void;
  /** A torn or corrupt tail was found at start; its bytes were moved to `movedTo`. */
  corrupt(segment: string, reason: 'torn' | 'corrupt', bytes: number, movedTo: string): void;
  /** The spool reached maxBytes (true) or fell back below 90% of it (false). */
  fullChanged(full: boolean): void;
}

export interface ReplayBatch {
  id: number;
  meta: FrameMeta;
  data: Buffer;
}

interface Segment {
  seq: number;
  name: string;
  bytes: number;
  /** Batches appended to it and not yet acknowledged. */
  live: number;
  sealed: boolean;
}

const SEGMENT_RE = /^seg-(\d{16})\.wal$/;

export class Spool {
  private readonly segmentBytes: number;
  private readonly segments = new Map<number, Segment>();
  private readonly batchSegment = new Map<number, number>();
  private active: Segment | null = null;
  private fd: number | null = null;
  private nextSeq = 1;
  private nextId = 1;
  private dirty = false;
  private full = false;
  private syncTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: SpoolOptions,
    private readonly events: SpoolEvents,
  ) {
    this.segmentBytes = opts.segmentBytes ?? Math.max(1024 * 1024, Math.min(64 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
  }

  /** Bytes of all segment files. */
  get totalBytes(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.bytes;
    return n;
  }

  get segmentCount(): number {
    return this.segments.size;
  }

  get isFull(): boolean {
    return this.full;
  }

  /**
   * Takes stock of the segments left by an earlier run and returns their batches, in log order, for replay.
   * A torn or corrupt tail is moved aside into `corrupt/` and never stops the start.
   */
  async open(): Promise<ReplayBatch[]> {
    await mkdir(this.opts.path, { recursive: true });
    const names = (await readdir(this.opts.path)).filter((n) => SEGMENT_RE.test(n)).sort();
    const replay: ReplayBatch[] = [];
    for (const name of names) {
      const seq = Number(SEGMENT_RE.exec(name)![1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const file = join(this.opts.path, name);
      const buf = await readFile(file);
      let offset = 0;
      const seg: Segment = { seq, name, bytes: buf.length, live: 0, sealed: true };
      for (;;) {
        const r = decodeFrame(buf, offset);
        if (!r.ok) {
          if (r.reason !== 'end') {
            const movedTo = await this.moveAside(name, buf.subarray(offset));
            this.events.corrupt(name, r.reason, buf.length - offset, movedTo);
          }
          break;
        }
        const id = this.nextId++;
        replay.push({ id, meta: r.frame.meta, data: Buffer.from(r.frame.data) });
        this.batchSegment.set(id, seq);
        seg.live++;
        offset = r.frame.next;
      }
      if (seg.live === 0) await unlink(file);
      else this.segments.set(seq, seg);
    }
    this.syncTimer = setInterval(() => this.sync(), this.opts.syncIntervalMs);
    this.syncTimer.unref();
    this.report();
    return replay;
  }

  /**
   * Appends one batch and returns its id for `ack`. Throws the file system's error (ENOSPC, EIO, ...)
   * after cutting off any partial frame, so the log is never left with a torn record by a failed write.
   */
  append(meta: FrameMeta, data: Buffer): number {
    const parts = encodeFrame(meta, data);
    const size = parts.reduce((n, p) => n + p.length, 0);
    if (this.active && this.active.bytes > 0 && this.active.bytes + size > this.segmentBytes) this.seal();
    const seg = this.active ?? this.startSegment();
    try {
      let written = writevSync(this.fd!, parts);
      // writev may write less than asked (rare on regular files); finish the frame.
      while (written < size) {
        const rest = Buffer.concat(parts).subarray(written);
        written += writevSync(this.fd!, [rest]);
      }
    } catch (err) {
      try {
        ftruncateSync(this.fd!, seg.bytes);
      } catch {
        // The truncate failing too leaves a torn tail, which the next start detects and moves aside.
      }
      throw err;
    }
    seg.bytes += size;
    seg.live++;
    this.dirty = true;
    const id = this.nextId++;
    this.batchSegment.set(id, seg.seq);
    this.report();
    return id;
  }

  /** Marks a batch settled; deletes its segment once the segment holds no unsettled batch. */
  ack(id: number): void {
    const seq = this.batchSegment.get(id);
    if (seq === undefined) return;
    this.batchSegment.delete(id);
    const seg = this.segments.get(seq);
    if (!seg) return;
    seg.live--;
    if (seg.live > 0) return;
    if (seg === this.active) this.seal();
    this.segments.delete(seq);
    try {
      unlinkSync(join(this.opts.path, seg.name));
    } catch (err) {
      // Already gone is fine; anything else would leave a segment that only replays duplicates.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.report();
  }

  /** Checks that the volume takes writes again (after ENOSPC): writes and removes a small probe file. */
  probe(bytes = 1024 * 1024): boolean {
    const file = join(this.opts.path, '.probe');
    try {
      writeFileSync(file, Buffer.alloc(bytes));
      unlinkSync(file);
      return true;
    } catch {
      try {
        unlinkSync(file);
      } catch {
        // Nothing was created.
      }
      return false;
    }
  }

  /** Syncs and closes; unacknowledged batches stay on disk for the next start. */
  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
    this.active = null;
  }

  private startSegment(): Segment {
    const seq = this.nextSeq++;
    const name = `seg-${String(seq).padStart(16, '0')}.wal`;
    this.fd = openSync(join(this.opts.path, name), 'a');
    const seg: Segment = { seq, name, bytes: 0, live: 0, sealed: false };
    this.segments.set(seq, seg);
    this.active = seg;
    return seg;
  }

  private seal(): void {
    if (!this.active || this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    this.active.sealed = true;
    this.active = null;
    this.dirty = false;
  }

  /** Group commit: one fdatasync for everything appended since the last one. */
  private sync(): void {
    if (!this.dirty || this.fd === null) return;
    this.dirty = false;
    const fd = this.fd;
    fdatasync(fd, (err) => {
      // EBADF: the segment was sealed (and synced) meanwhile. Other errors: try again next interval.
      if (err && err.code !== 'EBADF') this.dirty = true;
    });
  }

  private async moveAside(name: string, tail: Buffer): Promise<string> {
    const dir = join(this.opts.path, 'corrupt');
    await mkdir(dir, { recursive: true });
    const target = join(dir, `${name}.${Date.now()}.tail`);
    await writeFile(target, tail);
    return target;
  }

  private report(): void {
    const bytes = this.totalBytes;
    this.events.sizeChanged(bytes, this.segments.size);
    if (!this.full && bytes >= this.opts.maxBytes) {
      this.full = true;
      this.events.fullChanged(true);
    } else if (this.full && bytes < this.opts.maxBytes * 0.9) {
      this.full = false;
      this.events.fullChanged(false);
    }
  }
}

