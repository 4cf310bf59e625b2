/**
 * The Panther HTTP output: aggregates accepted records into gzip'd JSON-lines bodies that stay within
 * maxRequestBytes on the wire, and sends them through the retrying HttpSender. A body is cut when the
 * pending records reach the builder's raw-size target, or flushIntervalMs after the first of them arrived.
 */
import { GzipBodyBuilder, type BuildResult } from './gzip-body.js';
import { ZstdBodyBuilder } from './zstd-body.js';
import { HttpSender } from './http-sender.js';
import { rawBytesOf, recordsOf, type AcceptedChunk, type OutRecord, type Sink, type SinkHooks } from './sink.js';

export interface HttpSinkOptions {
  sender: HttpSender;
  maxRequestBytes: number;
  compressionLevel: number;
  flushIntervalMs: number;
  /** Body compression; zstd needs the zstd-napi addon (create-sink falls back to gzip without it). */
  compression: 'gzip' | 'zstd';
}

/** What both body builders offer. */
interface BodyBuilder {
  targetRawBytes(): number;
  build(records: readonly Buffer[]): Promise<BuildResult>;
}

export class HttpSink implements Sink {
  readonly kind = 'http' as const;
  private pending: OutRecord[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private readonly builder: BodyBuilder;
  private aborted = false;

  constructor(
    private readonly opts: HttpSinkOptions,
    private readonly hooks: SinkHooks,
  ) {
    // Headers are sized for the largest body we may send (the content-length digits are the only part that varies).
    const sizing = {
      maxRequestBytes: opts.maxRequestBytes,
      headerBytes: opts.sender.headerBytes(opts.maxRequestBytes),
      level: opts.compressionLevel,
    };
    this.builder = opts.compression === 'zstd' ? new ZstdBodyBuilder(sizing) : new GzipBodyBuilder(sizing);
  }

  write(chunk: AcceptedChunk): void {
    if (chunk.ends.length === 0) return;
    for (const r of recordsOf(chunk)) this.pending.push(r);
    this.pendingBytes += chunk.data.byteLength;
    if (this.pendingBytes >= this.builder.targetRawBytes()) this.cut();
    else if (this.timer === null) this.timer = setTimeout(() => this.cut(), this.opts.flushIntervalMs);
  }

  async flush(): Promise<void> {
    this.cut();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  async close(opts: { abort?: boolean } = {}): Promise<void> {
    if (opts.abort) {
      this.aborted = true;
      this.cut();
      await this.opts.sender.close({ abort: true });
    } else {
      await this.flush();
      await this.opts.sender.close();
    }
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Builds bodies from everything pending and sends them. */
  private cut(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const p = this.deliver(records).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async deliver(records: OutRecord[]): Promise<void> {
    if (this.aborted) {
      this.hooks.refused(records, 'undelivered', 0, 'shutdown timed out before delivery', rawBytesOf(records));
      return;
    }
    const { bodies, tooLarge } = await this.builder.build(records.map((r) => r.bytes));
    if (tooLarge.length > 0) {
      const big = tooLarge.map((i) => records[i]);
      this.hooks.refused(big, 'sink_rejected', 413, 'record alone exceeds output.http.maxRequestBytes when compressed', rawBytesOf(big));
    }
    await Promise.all(
      bodies.map(async (b) => {
        const slice = records.slice(b.start, b.end);
        const outcome = await this.opts.sender.send(b.body);
        if (outcome.status === 'delivered') {
          this.hooks.delivered(slice, rawBytesOf(slice));
        } else if (this.aborted) {
          this.hooks.refused(slice, 'undelivered', outcome.httpStatus, 'shutdown timed out before delivery', rawBytesOf(slice));
        } else {
          this.hooks.refused(slice, 'sink_rejected', outcome.httpStatus, outcome.message, rawBytesOf(slice));
        }
      }),
    );
  }
}
