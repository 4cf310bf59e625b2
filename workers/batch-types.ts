/**
 * What crosses the thread boundary between the main thread and the check-batch workers.
 * Bulk data travels in transferable typed arrays; the structured part of rejections in msgpackr.
 */
import type { RejectReason } from '../src/schema/verdict.js';
import type { EngineChoice } from './engines/engine-types.js';
import type { Precompression } from '../src/sink/sink.js';
import type { RejectPolicyConfig } from '../src/durability/reject-policy.js';
import type { MismatchCount } from '../src/durability/mismatch-counts.js';
import type { UnknownSampleCandidate } from '../src/durability/unknown-field-sample.js';
import type { UnknownFieldCount } from './unknown-field-tally.js';

export interface BatchTask {
  listener: string;
  /** A loaded log type, or 'auto'. */
  logType: string;
  /** Complete lines, each ending in '\n', in the first `dataLength` bytes (all of it when absent); moved, not copied, from the main thread. */
  data: ArrayBuffer;
  dataLength?: number;
  maxLineBytes: number;
  /** Schema directory ('' = bundled), schemas.include, and repair switches; the worker caches one engine per distinct value. */
  schemasPath: string;
  schemasInclude?: readonly string[];
  stripSyslogPri: boolean;
  emptyListToArray: boolean;
  /** Bumped on reload so workers build a fresh engine. */
  generation: number;
  /**
   * The checking engine (workers/engines/): 'auto' (the default when absent) runs simdjson when the native
   * addon loads, else the reference. 'simdjson' without the addon also runs the reference: the main thread
   * refuses that configuration up front (detectEngine()), so a worker never fails a batch over it.
   */
  engine?: EngineChoice;
  /** Compress the accepted bytes this way too (the output's body format), or not at all when absent. */
  compress?: Precompression;
  /** The config's onReject, applied here to the records the check refuses (absent: dead-letter every one). */
  onReject?: RejectPolicyConfig;
}

/** One rejected record as the dead-letter store keeps it. */
export interface RejectedRecord {
  logType: string | null;
  reason: RejectReason;
  field?: string;
  message: string;
  /** The original line (first 64 KiB for an over-long one); without its line terminator. */
  line: Uint8Array;
  /** Full length in bytes of the original line. */
  length: number;
}

export interface BatchResult {
  /** Accepted records, each ending in '\n': original bytes, or the repaired text. */
  accepted: Uint8Array;
  /** End offset (exclusive, after the '\n') of each accepted record in `accepted`. */
  ends: Uint32Array;
  /** Index into `typeNames` of each accepted record's log type. */
  typeIndex: Uint8Array;
  /** Event time (ms since epoch) of each accepted record. */
  eventTimes: Float64Array;
  typeNames: string[];
  /** Records seen per log type ('unknown' when auto-detection found none). */
  received: Record<string, number>;
  /** msgpackr-packed RejectedRecord[] of the refused records onReject forwards (empty when none). */
  rejected: Uint8Array;
  /**
   * The refused records to keep (onReject dead-letter or forward-and-keep) as dead-letter store lines
   * (src/durability/dead-letter-entry.ts) compressed into one store frame (dead-letter-frame.ts), encoded
   * here; absent when none. With their count per reason.
   */
  deadLetters?: Uint8Array;
  deadLetterCounts: Array<[string, number]>;
  /** Every refused record of the batch counted by log type, top-level schema field and reason. */
  mismatches: MismatchCount[];
  /** [logType, reason, count] per combination. */
  rejectedCounts: Array<[string, RejectReason, number]>;
  repairs: Record<string, number>;
  /** Bytes of the task's input. */
  inputBytes: number;
  /** Accepted records carrying fields their schema lacks, by log type and field (`other` past the worker's bound, workers/unknown-field-tally.ts). */
  unknownFields: UnknownFieldCount[];
  /** A few accepted records with unknown fields, encoded for the unknown-field sample (absent when none). */
  unknownSample?: UnknownSampleCandidate[];
  /** The task's buffer, handed back for reuse when `accepted` is not in it (nothing in the result refers to it). */
  spare?: ArrayBuffer;
  /** `accepted` compressed as the task's `compress` asked, in runs (absent when it did not, or nothing was accepted). */
  compressed?: Uint8Array;
  /** Per run of `compressed`: [end record (exclusive), end byte in `compressed`] (workers/precompress.ts). */
  compressedRuns?: Uint32Array;
  /** gzip: the CRC-32 of each run's raw bytes, for the body's trailer. */
  compressedCrcs?: Uint32Array;
  compression?: Precompression;
}
