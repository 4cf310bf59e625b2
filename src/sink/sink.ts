/**
 * What every output implements, and the records it carries. Outputs settle records as data:
 * delivered (counted, released from the byte budget) or refused (handed back for the dead-letter store).
 */

import type { BatchTicket } from '../durability/batch-ticket.js';
import type { GzipLibrary } from './isal-gzip.js';

/** Accepted records of one worker batch: each record's bytes end in '\n' at `ends[i]`. */
export interface AcceptedChunk {
  listener: string;
  /** Settled once per record when the spool is on. */
  ticket?: BatchTicket;
  data: Uint8Array;
  ends: Uint32Array;
  typeIndex: Uint8Array;
  eventTimes: Float64Array;
  typeNames: readonly string[];
  /** `data` compressed by the worker in the output's body format, when the output asked for it (see Sink.precompression). */
  precompressed?: PrecompressedData;
}

/** What a worker compresses a batch's accepted bytes into: gzip = one raw-deflate run ended by a sync flush; zstd = one frame. */
export interface Precompression {
  format: 'gzip' | 'zstd';
  level: number;
  /** For gzip: the library that compresses (src/sink/isal-gzip.ts); zlib when absent. */
  library?: GzipLibrary;
}

/** The library that compresses in a format: gzip's setting, zstd-napi for zstd. */
export function compressionLibrary(p: Precompression): GzipLibrary | 'zstd-napi' {
  return p.format === 'zstd' ? 'zstd-napi' : (p.library ?? 'zlib');
}

/** For logs: "gzip level 1 (isal)", "zstd level 1"; undefined for an output that compresses on its own. */
export function describeCompression(p: Precompression | undefined): string | undefined {
  return p && `${p.format} level ${p.level}${p.format === 'gzip' ? ` (${compressionLibrary(p)})` : ''}`;
}

export interface PrecompressedData extends Precompression {
  bytes: Uint8Array;
  /**
   * The runs `bytes` holds, each compressed on its own: per run [end record (exclusive), end byte in `bytes`].
   * Absent: one run of every record.
   */
  runs?: Uint32Array;
  /** gzip: the CRC-32 of each run's raw bytes, when the worker computed them. */
  crcs?: Uint32Array;
}

/** One record on its way out, without its '\n'. */
export interface OutRecord {
  readonly bytes: Buffer;
  /** bytes.length, without making the view. */
  readonly byteLength: number;
  readonly listener: string;
  readonly logType: string;
  readonly eventTime: number;
  readonly ticket?: BatchTicket;
}

/**
 * A record of a chunk, its bytes viewed only when asked for. Why not a view per record up front: records live
 * until their body is delivered (hundreds of milliseconds at full speed), so each one's view, a typed array
 * that the collector treats specially, survived into the old generation: at 100,000 records/s these views
 * were most of what the main thread's scavenges copied and its full collections marked (a simulation of
 * that lifetime: 39 ms of CPU per second with a view per record, 18 with this class).
 */
class ChunkRecord implements OutRecord {
  constructor(
    private readonly data: Buffer,
    private readonly start: number,
    private readonly end: number,
    readonly listener: string,
    readonly logType: string,
    readonly eventTime: number,
    readonly ticket: BatchTicket | undefined,
  ) {}

  get bytes(): Buffer {
    return this.data.subarray(this.start, this.end);
  }

  get byteLength(): number {
    return this.end - this.start;
  }
}

export interface SinkHooks {
  /** Records confirmed delivered (once per body/file write). */
  delivered(records: readonly OutRecord[], rawBytes: number): void;
  /** Records the output refused for good (reason sink_rejected) or could not deliver before an aborted shutdown (reason undelivered). */
  refused(records: readonly OutRecord[], reason: 'sink_rejected' | 'undelivered', status: number, message: string, rawBytes: number): void;
}

export interface Sink {
  /** The `output` metric label. */
  readonly kind: 'http' | 'directory' | 's3';
  /**
   * The compression an output wants workers to apply to accepted bytes ahead of time (compression is the
   * largest cost per byte; the workers have the cores for it), or undefined to receive plain records.
   */
  readonly precompression?: Precompression;
  /** Takes the chunk's records; the sink settles each through the hooks. */
  write(chunk: AcceptedChunk): void;
  /** Sends whatever is pending now and resolves when every record written so far is settled. */
  flush(): Promise<void>;
  /** Stops the output. With abort, records not yet delivered are settled as `undelivered`. */
  close(opts?: { abort?: boolean }): Promise<void>;
}

/** Splits a chunk into records (views made on demand, no copy). */
export function recordsOf(chunk: AcceptedChunk): OutRecord[] {
  const out: OutRecord[] = new Array(chunk.ends.length);
  const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
  let start = 0;
  for (let i = 0; i < chunk.ends.length; i++) {
    const end = chunk.ends[i];
    out[i] = new ChunkRecord(data, start, end - 1, chunk.listener, chunk.typeNames[chunk.typeIndex[i]]!, chunk.eventTimes[i]!, chunk.ticket);
    start = end;
  }
  return out;
}

/** Raw bytes a list of records occupies as JSON lines. */
export function rawBytesOf(records: readonly OutRecord[]): number {
  let n = 0;
  for (const r of records) n += r.byteLength + 1;
  return n;
}
