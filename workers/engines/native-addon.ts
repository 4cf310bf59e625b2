/**
 * Loads the native simdjson checker (native/build/Release/zpa_native.node, built by
 * scripts/build-native.mjs during `npm install`). Loading never throws: a missing or broken addon is a
 * reason string, and the relay runs the reference engine instead.
 */
import { loadNativeModule, type NativeModuleSpec } from '../../src/native-module.js';

/** Per-line results of one checkBatch call (see native/src/addon.cc). */
export interface NativeBatch {
  readonly count: number;
  /** Byte range of each non-empty line in the input (CR of a CRLF excluded). */
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  /** NATIVE_ACCEPTED, NATIVE_REJECTED, NATIVE_DELEGATE or NATIVE_TOO_LONG. */
  readonly status: Uint8Array;
  /** For rejected lines: a check code (2 wrong_type, 3 out_of_range, 4 bad_timestamp, 5 missing_required) or 8 (unknown_log_type). */
  readonly reason: Uint8Array;
  /** Top-level field index of a rejection, -1 when none. */
  readonly field: Int32Array;
  /** Event time of accepted lines in ms; NaN when the record has none (the caller uses the parse time). */
  readonly eventMs: Float64Array;
  /** Schema index of the verdict, -1 when none. */
  readonly typeIndex: Int16Array;
  /**
   * The field failure behind each rejection (the verdict's own; for unknown_log_type that of the closest
   * schema, the first in detection order with all its required fields): a check code, 0 when none.
   */
  readonly failCode: Uint8Array;
  /** Schema index of that failure, -1 when none. */
  readonly failType: Int16Array;
  /** Byte range of the offending JSON value in the line, -1 when the field is absent (only the first byte of an object or array). */
  readonly valueStart: Int32Array;
  readonly valueEnd: Int32Array;
  /** Plan value id (NativePlan.values) of the check that failed, -1 when none. */
  readonly specId: Int32Array;
  /** Dotted path of that failure for each rejected line, in line order ('' when none). */
  readonly paths: string[];
  /** Per line, the index in `unknownSets` of an accepted record's unknown top-level keys; -1 when none or not accepted. */
  readonly unknownSet: Int32Array;
  /** The batch's distinct sequences of unknown keys: [schema index, keys in document order, repeats included]. */
  readonly unknownSets: Array<[number, string[]]>;
}

/** An opaque compiled plan; usable only on the thread that compiled it. */
export type NativeHandle = { readonly __nativePlan: unique symbol };

/** The addon's exports. */
export interface NativeAddon {
  compile(planJson: string): NativeHandle;
  checkBatch(handle: NativeHandle, bytes: Uint8Array, logType: number, maxLineBytes: number): NativeBatch;
  /** The simdjson version, the kernel the walk is compiled for, and the one stage 1 selected for this CPU at run time. */
  info(): { simdjson: string; implementation: string; stage1: string };
  /**
   * Writes src[start, end) as a JSON string (quotes included) at dst[at], as JSON.stringify would; returns
   * the end of what it wrote, -1 when the bytes are not UTF-8, -2 when dst lacks 6 bytes a byte plus 2
   * (native/src/json_escape.cc). Absent from builds before it (src/durability/dead-letter-entry.ts falls back).
   * `kernel` caps the code that escapes (0 a plain loop, 1 SSE2, 2 AVX-512 where the CPU has it; default 2):
   * the tests hold each to the same bytes.
   */
  escapeJsonString?(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number, kernel?: number): number;
}

export const NATIVE_ACCEPTED = 0;
export const NATIVE_REJECTED = 1;
export const NATIVE_DELEGATE = 2;
export const NATIVE_TOO_LONG = 3;
/** The native reason code of an auto-detection failure. */
export const NATIVE_UNKNOWN_LOG_TYPE = 8;

const SPEC: NativeModuleSpec = { what: 'the native addon', fileName: 'zpa_native.node', envVar: 'ZPA_RELAY_NATIVE_ADDON', buildHint: 'run "npm run build:native"' };

let loaded: { addon?: NativeAddon; problem?: string } | undefined;

/** The addon, or why it cannot be used (ZPA_RELAY_NATIVE_ADDON: another path, or "off"). Loaded once per thread. */
export function loadNativeAddon(): { addon?: NativeAddon; problem?: string } {
  return (loaded ??= loadNativeModule<NativeAddon>(SPEC));
}
