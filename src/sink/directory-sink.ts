/**
 * The directory output: gzip'd JSON-lines files, one subdirectory per log type. Each file is written under
 * a temporary name (`.<name>.tmp`) and renamed to `<name>.json.gz` once complete (rotated by size or age),
 * so a reader never sees half a file. Every flush appends one gzip member (RFC 1952 allows several; gunzip
 * and Go's reader read them as one stream) and fdatasyncs it: records count as delivered then.
 */
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { rawBytesOf, type AcceptedChunk, type OutRecord, type Sink, type SinkHooks } from './sink.js';
import { RecordAccumulator } from './record-accumulator.js';

const gzipAsync = promisify(gzip);

export interface DirectorySinkOptions {
  path: string;
  maxFileBytes: number;
  maxFileAgeMs: number;
  compressionLevel: number;
  flushIntervalMs: number;
}

interface OpenFile {
  handle: FileHandle;
  tmpPath: string;
  finalPath: string;
  rawBytes: number;
  openedAt: number;
}

export class DirectorySink implements Sink {
  readonly kind = 'directory' as const;
  private readonly pending: RecordAccumulator;
  private ageTimer: NodeJS.Timeout | null = null;
  private readonly files = new Map<string, OpenFile>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: DirectorySinkOptions,
    private readonly hooks: SinkHooks,
  ) {
    // One gzip member per 4 MiB of records (or per flush interval): big enough to compress well.
    this.pending = new RecordAccumulator(opts.flushIntervalMs, () => 4 * 1024 * 1024, (records) => void this.enqueue(() => this.append(records)));
  }

  /** Finishes temporary files left by a crash: their members were fdatasync'd, so they are complete gzip streams. */
  async open(): Promise<void> {
    await mkdir(this.opts.path, { recursive: true });
    for (const dir of await readdir(this.opts.path, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const sub = join(this.opts.path, dir.name);
      for (const name of await readdir(sub)) {
        if (name.startsWith('.') && name.endsWith('.tmp')) {
          await rename(join(sub, name), join(sub, name.slice(1, -'.tmp'.length)));
        }
      }
    }
    this.ageTimer = setInterval(() => this.enqueue(() => this.rotateOld()), Math.max(10, Math.min(this.opts.maxFileAgeMs, 1000)));
    this.ageTimer.unref();
  }

  write(chunk: AcceptedChunk): void {
    this.pending.add(chunk);
  }

  async flush(): Promise<void> {
    this.cut();
    await this.tail;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.ageTimer) clearInterval(this.ageTimer);
    await this.enqueue(async () => {
      for (const lt of [...this.files.keys()]) await this.rotate(lt);
    });
  }

  private cut(): void {
    this.pending.cut();
  }

  /** File operations run one at a time, in order. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async append(records: OutRecord[]): Promise<void> {
    const byType = new Map<string, OutRecord[]>();
    for (const r of records) {
      const list = byType.get(r.logType);
      if (list) list.push(r);
      else byType.set(r.logType, [r]);
    }
    for (const [logType, list] of byType) {
      const raw = Buffer.concat(list.flatMap((r) => [r.bytes, NEWLINE]));
      try {
        const member = await gzipAsync(raw, { level: this.opts.compressionLevel });
        const f = await this.fileFor(logType);
        await f.handle.write(member);
        await f.handle.datasync();
        f.rawBytes += raw.length;
        this.hooks.delivered(list, raw.length);
        if (f.rawBytes >= this.opts.maxFileBytes) await this.rotate(logType);
      } catch (err) {
        // A disk error: the records cannot be written here; they go to the dead-letter store instead.
        this.hooks.refused(list, 'sink_rejected', 0, `directory output write failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, rawBytesOf(list));
      }
    }
  }

  private async fileFor(logType: string): Promise<OpenFile> {
    let f = this.files.get(logType);
    if (f) return f;
    const dir = join(this.opts.path, logType);
    await mkdir(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z');
    const name = `${stamp}-${randomUUID().slice(0, 8)}.json.gz`;
    const tmpPath = join(dir, `.${name}.tmp`);
    f = { handle: await open(tmpPath, 'a'), tmpPath, finalPath: join(dir, name), rawBytes: 0, openedAt: Date.now() };
    this.files.set(logType, f);
    return f;
  }

  private async rotate(logType: string): Promise<void> {
    const f = this.files.get(logType);
    if (!f) return;
    this.files.delete(logType);
    await f.handle.close();
    if (f.rawBytes === 0) await unlink(f.tmpPath);
    else await rename(f.tmpPath, f.finalPath);
  }

  private async rotateOld(): Promise<void> {
    const now = Date.now();
    for (const [lt, f] of [...this.files]) if (now - f.openedAt >= this.opts.maxFileAgeMs) await this.rotate(lt);
  }
}

const NEWLINE = Buffer.from('\n');
