/**
 * What every output implements, and the records it carries. Outputs settle records as data:
 * delivered (counted, released from the byte budget) or refused (handed back for the dead-letter store).
 */

import type { BatchTicket } from '../durability/batch-ticket.js';

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
}

export interface PrecompressedData extends Precompression {
  bytes: Uint8Array;
  /**
   * The runs `bytes` holds, each compressed on its own: per run [end record (exclusive), end byte in `bytes`].
   * Absent: one run of every record.
   */
  runs?: Uint32Array;
}

/** One record on its way out, without its '\n'. */
export interface OutRecord {
  bytes: Buffer;
  listener: string;
  logType: string;
  eventTime: number;
  ticket?: BatchTicket;
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

/** Splits a chunk into records (subarrays, no copy). */
export function recordsOf(chunk: AcceptedChunk): OutRecord[] {
  const out: OutRecord[] = new Array(chunk.ends.length);
  const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
  let start = 0;
  for (let i = 0; i < chunk.ends.length; i++) {
    const end = chunk.ends[i];
    out[i] = { bytes: data.subarray(start, end - 1), listener: chunk.listener, logType: chunk.typeNames[chunk.typeIndex[i]], eventTime: chunk.eventTimes[i], ticket: chunk.ticket };
    start = end;
  }
  return out;
}

/** Raw bytes a list of records occupies as JSON lines. */
export function rawBytesOf(records: readonly OutRecord[]): number {
  let n = 0;
  for (const r of records) n += r.bytes.length + 1;
  return n;
}
