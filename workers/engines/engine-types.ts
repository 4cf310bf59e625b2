/**
 * The batch engine interface the check-batch worker runs: a whole batch of newline-framed records in, one
 * verdict per line out, in typed arrays. Two implementations: `reference` (the TypeScript SchemaEngine, the
 * definition of correct) and `simdjson` (the native addon, identical verdicts, faster).
 */
import type { CheckOutcome, SchemaEngine } from '../../src/schema/engine.js';

/** Which engine a task asks for: 'auto' runs simdjson when the addon loads, else the reference. */
export type EngineChoice = 'auto' | 'reference' | 'simdjson';

/** The engine names that can actually run. */
export type EngineName = 'reference' | 'simdjson';

/** Line status in BatchVerdicts. */
export const LINE_ACCEPTED = 0;
export const LINE_REJECTED = 1;
export const LINE_TOO_LONG = 3;

/** A distinct set of unknown top-level fields among a batch's accepted records (see BatchVerdicts). */
export interface UnknownFieldSet {
  readonly logType: string;
  /** The fields, each once: top-level keys of the record that the log type's schema lacks (Panther drops them). */
  readonly names: readonly string[];
}

/**
 * The verdicts of one batch. A line is framed as workers/check-batch.ts always did: split at '\n', one '\r'
 * before it dropped, empty lines skipped. An accepted line without an entry in `outcomes` is forwarded as
 * its original bytes with `typeIndex`/`eventTimes`; every other line (rejected, repaired) has its full
 * CheckOutcome in `outcomes`. A too-long line has neither: its verdict depends only on its length.
 */
export interface BatchVerdicts {
  readonly count: number;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly status: Uint8Array;
  /** Index into `logTypes`, -1 when none. */
  readonly typeIndex: Int16Array;
  readonly eventTimes: Float64Array;
  readonly logTypes: readonly string[];
  readonly outcomes: ReadonlyMap<number, CheckOutcome>;
  /**
   * Per line, the index in `unknownSets` of the fields an accepted record carries that its schema lacks; -1
   * for a record without any, and for every line not accepted. Records of one stream mostly share one set.
   */
  readonly unknownSet: Int32Array;
  readonly unknownSets: readonly UnknownFieldSet[];
}

/** A loaded engine. */
export interface BatchEngine {
  readonly name: EngineName;
  /** The reference SchemaEngine behind this engine (the simdjson engine delegates to it; normalized view). */
  readonly schemaEngine: SchemaEngine;
  /** The loaded log types, sorted (the `typeIndex` space). */
  readonly logTypes: readonly string[];
  /** Checks every line of `data` against `logType` (a loaded name or 'auto'). Never throws for bad input. */
  checkBatch(data: Uint8Array, logType: string, maxLineBytes: number): BatchVerdicts;
  /** Checks one line (no terminator) as `checkBatch` would; for `zpa-relay check`. */
  checkLine(line: Uint8Array, logType: string): CheckOutcome;
}
