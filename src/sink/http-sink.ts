/**
 * The Panther HTTP output: aggregates accepted records into gzip'd JSON-lines bodies that stay within
 * maxRequestBytes on the wire, and sends them through the retrying HttpSender. A body is cut when the
 * pending records reach the builder's raw-size target, or flushIntervalMs after the first of them arrived.
 */
import { GzipBodyBuilder, type BuildResult, type Precompressed, type RecordLike } from './gzip-body.js';
import { ZstdBodyBuilder } from './zstd-body.js';
import { HttpSender } from './http-sender.js';
import type { GzipLibrary } from './isal-gzip.js';
import { rawBytesOf, type AcceptedChunk, type OutRecord, type Precompression, type Sink, type SinkHooks } from './sink.js';
import { RecordAccumulator } from './record-accumulator.js';

export interface HttpSinkOptions {
  sender: HttpSender;
  maxRequestBytes: number;
  compressionLevel: number;
  flushIntervalMs: number;
  /** Body compression; zstd needs the zstd-napi addon (create-sink falls back to gzip without it). */
  compression: 'gzip' | 'zstd';
  /** The library the workers compress gzip runs with (src/sink/isal-gzip.ts resolves the setting). */
  gzipLibrary: GzipLibrary;
}

/** What both body builders offer. */
interface BodyBuilder {
  targetRawBytes(): number;
  build(records: readonly RecordLike[], precompressed?: readonly Precompressed[]): Promise<BuildResult>;
}

export class HttpSink implements Sink {
  readonly kind = 'http' as const;
  private readonly pending: RecordAccumulator;
  private readonly inflight = new Set<Promise<void>>();
  private readonly builder: BodyBuilder;
  private aborted = false;
  readonly precompression: Precompression;

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
    this.precompression = opts.compression === 'gzip' ? { format: 'gzip', level: opts.compressionLevel, library: opts.gzipLibrary } : { format: opts.compression, level: opts.compressionLevel };
    // A chunk compressed for another format or level (in flight across a reload) is compressed again here.
    // The gzip library does not matter: igzip's and zlib's sync-flushed runs join into one deflate stream alike.
    const matches = (c: AcceptedChunk) => c.precompressed?.format === opts.compression && c.precompressed.level === opts.compressionLevel;
    this.pending = new RecordAccumulator(opts.flushIntervalMs, () => this.builder.targetRawBytes(), (records, pieces) => this.send(records, pieces), matches);
  }

  write(chunk: AcceptedChunk): void {
    this.pending.add(chunk);
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
    this.pending.cut();
  }

  private send(records: OutRecord[], precompressed: Precompressed[]): void {
    const p = this.deliver(records, precompressed).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async deliver(records: OutRecord[], precompressed: Precompressed[]): Promise<void> {
    if (this.aborted) {
      this.hooks.refused(records, 'undelivered', 0, 'shutdown timed out before delivery', rawBytesOf(records));
      return;
    }
    const { bodies, tooLarge } = await this.builder.build(records, precompressed);
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
