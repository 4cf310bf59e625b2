/**
 * The S3 output: accepted records become compressed JSON-lines objects, one stream of objects per log
 * type, in a bucket a Panther S3 source pulls from.
 *
 * Flow: write() appends each record to the open object of its log type. An object is closed ("sealed") when
 * it holds objectMaxBytes of raw records, when objectMaxAgeMs has passed since its first record, at flush,
 * or, the largest first, when all open objects together exceed maxOpenBytes. Sealed objects wait in a FIFO
 * for one of `concurrency` upload slots, are compressed off the main thread, and are uploaded by S3Uploader,
 * which retries under the same key until S3 answers for good.
 *
 * Records stay held (in the relay's byte budget, and unacknowledged in the spool) until their object is
 * settled: delivered once S3 confirms it, refused (dead-lettered with S3's status) when S3 refuses it for
 * good, or refused as `undelivered` when an aborted shutdown leaves it unsent. The byte budget therefore
 * bounds everything this sink holds; maxOpenBytes keeps unfilled objects from taking the whole budget, which
 * would pause ingestion until they aged out.
 */
import { jsonLines, compressObject } from './s3-body.js';
import { objectExtension, objectKey } from './s3-key.js';
import type { S3Uploader } from './s3-uploader.js';
import { rawBytesOf, recordsOf, type AcceptedChunk, type OutRecord, type Sink, type SinkHooks } from './sink.js';

/** Settings of one S3 sink (s3-create.ts fills them from output.s3). */
export interface S3SinkOptions {
  uploader: S3Uploader;
  prefix: string;
  compression: 'gzip' | 'zstd';
  compressionLevel: number;
  /** Seal an object once it holds this many raw bytes. */
  objectMaxBytes: number;
  /** Seal an object this long after its first record arrived. */
  objectMaxAgeMs: number;
  /** Bound on the raw bytes of all open (unsealed) objects together; past it the largest is sealed. */
  maxOpenBytes: number;
  /** Uploads in flight at once. */
  concurrency: number;
  /** Where to log a settled upload's key, for operators correlating with Panther (optional). */
  uploaded?: (key: string, records: number, rawBytes: number, objectBytes: number) => void;
  /** Clock for keys and ages; injectable for tests. */
  now?: () => number;
}

/** An object being filled, then uploaded. Its key is fixed when it is opened and kept across retries. */
interface S3Object {
  logType: string;
  key: string;
  openedAt: number;
  records: OutRecord[];
  rawBytes: number;
}

/** The `s3` output: see the file comment for the flow and the guarantees. */
export class S3Sink implements Sink {
  readonly kind = 's3' as const;
  private readonly open = new Map<string, S3Object>();
  private openBytes = 0;
  private readonly sealed: S3Object[] = [];
  private active = 0;
  private readonly inflight = new Set<Promise<void>>();
  private readonly ageTimer: NodeJS.Timeout;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly extension: string;
  private readonly contentType: string;

  constructor(
    private readonly opts: S3SinkOptions,
    private readonly hooks: SinkHooks,
  ) {
    this.now = opts.now ?? Date.now;
    this.extension = objectExtension(opts.compression);
    this.contentType = opts.compression === 'zstd' ? 'application/zstd' : 'application/gzip';
    // Checked at least once a second (more often for short ages), so an object is sealed at most ~1 s late.
    this.ageTimer = setInterval(() => this.sealAged(), Math.max(10, Math.min(Math.floor(opts.objectMaxAgeMs / 2), 1000)));
    this.ageTimer.unref();
  }

  write(chunk: AcceptedChunk): void {
    if (chunk.ends.length === 0) return;
    if (this.abort.signal.aborted) {
      const records = recordsOf(chunk);
      this.hooks.refused(records, 'undelivered', 0, 'output closed before delivery', rawBytesOf(records));
      return;
    }
    for (const r of recordsOf(chunk)) {
      let obj = this.open.get(r.logType);
      if (!obj) {
        const at = this.now();
        obj = { logType: r.logType, key: objectKey(this.opts.prefix, r.logType, new Date(at), this.extension), openedAt: at, records: [], rawBytes: 0 };
        this.open.set(r.logType, obj);
      }
      obj.records.push(r);
      obj.rawBytes += r.byteLength + 1;
      this.openBytes += r.byteLength + 1;
      if (obj.rawBytes >= this.opts.objectMaxBytes) this.seal(obj);
    }
    while (this.openBytes > this.opts.maxOpenBytes) this.seal(this.largestOpen()!);
  }

  async flush(): Promise<void> {
    for (const obj of [...this.open.values()]) this.seal(obj);
    await this.settled();
  }

  async close(opts: { abort?: boolean } = {}): Promise<void> {
    if (opts.abort) this.abort.abort();
    await this.flush();
    clearInterval(this.ageTimer);
    this.opts.uploader.destroy();
  }

  /** Resolves once no upload is queued or in flight. */
  private async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private seal(obj: S3Object): void {
    this.open.delete(obj.logType);
    this.openBytes -= obj.rawBytes;
    this.sealed.push(obj);
    this.pump();
  }

  private largestOpen(): S3Object | undefined {
    let best: S3Object | undefined;
    for (const o of this.open.values()) if (!best || o.rawBytes > best.rawBytes) best = o;
    return best;
  }

  private sealAged(): void {
    const now = this.now();
    for (const obj of [...this.open.values()]) if (now - obj.openedAt >= this.opts.objectMaxAgeMs) this.seal(obj);
  }

  /** Starts queued uploads while slots are free. */
  private pump(): void {
    while (this.active < this.opts.concurrency && this.sealed.length > 0) {
      const obj = this.sealed.shift()!;
      this.active++;
      const p = this.ship(obj).finally(() => {
        this.active--;
        this.inflight.delete(p);
        this.pump();
      });
      this.inflight.add(p);
    }
  }

  /** Compresses and uploads one object, then settles its records. Never rejects. */
  private async ship(obj: S3Object): Promise<void> {
    const { records, rawBytes } = obj;
    if (this.abort.signal.aborted) {
      this.hooks.refused(records, 'undelivered', 0, 'shutdown timed out before the object was uploaded', rawBytes);
      return;
    }
    let body: Buffer;
    try {
      body = await compressObject(jsonLines(records, rawBytes), this.opts.compression, this.opts.compressionLevel);
    } catch (err) {
      // Compression of bytes in memory does not fail in practice; if it ever does, the records are kept.
      this.hooks.refused(records, 'sink_rejected', 0, `compressing the object failed: ${(err as Error).message}`, rawBytes);
      return;
    }
    const outcome = await this.opts.uploader.upload(obj.key, body, this.contentType, this.abort.signal);
    if (outcome.status === 'delivered') {
      this.opts.uploaded?.(obj.key, records.length, rawBytes, body.length);
      this.hooks.delivered(records, rawBytes);
    } else if (outcome.status === 'aborted') {
      this.hooks.refused(records, 'undelivered', outcome.httpStatus, 'shutdown timed out before the object was uploaded', rawBytes);
    } else {
      this.hooks.refused(records, 'sink_rejected', outcome.httpStatus, outcome.message, rawBytes);
    }
  }
}
