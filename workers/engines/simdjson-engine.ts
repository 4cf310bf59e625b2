/**
 * The simdjson batch engine: one native call checks a whole batch (native/src/checker.h) and returns typed
 * arrays. Lines the native checker does not decide (repairs, invalid JSON, anything it cannot vouch for)
 * come back as "delegate" and are checked by the reference engine, which also writes the human message of
 * a rejection (rejections are the rare path; the reason and field are the native checker's own and are
 * tested identical to the reference's by test/engines/differential.test.ts).
 */
import type { CheckOutcome, SchemaEngine } from '../../src/schema/engine.js';
import type { RejectReason, RejectedVerdict } from '../../src/schema/verdict.js';
import type { BatchEngine, BatchVerdicts } from './engine-types.js';
import { LINE_ACCEPTED, LINE_REJECTED } from './engine-types.js';
import type { NativeAddon, NativeBatch, NativeHandle } from './native-addon.js';
import { NATIVE_ACCEPTED, NATIVE_REJECTED, NATIVE_TOO_LONG, NATIVE_UNKNOWN_LOG_TYPE } from './native-addon.js';
import type { ReferenceEngine } from './reference-engine.js';

/** Native reason codes (check codes, plus 8) -> reject reasons. */
const REASONS: Record<number, RejectReason> = {
  2: 'wrong_type',
  3: 'out_of_range',
  4: 'bad_timestamp',
  5: 'missing_required',
  [NATIVE_UNKNOWN_LOG_TYPE]: 'unknown_log_type',
};

const MAX_U32 = 0xffffffff;

/** The native engine, with the reference engine for delegated lines and rejection messages. */
export class SimdjsonEngine implements BatchEngine {
  readonly name = 'simdjson' as const;
  readonly logTypes: readonly string[];
  readonly schemaEngine: SchemaEngine;
  private readonly typeIndexOf: ReadonlyMap<string, number>;

  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: NativeHandle,
    readonly reference: ReferenceEngine,
  ) {
    this.logTypes = reference.logTypes;
    this.schemaEngine = reference.schemaEngine;
    this.typeIndexOf = new Map(this.logTypes.map((t, i) => [t, i]));
  }

  /** The addon's raw per-line results (tests compare them with the reference), or undefined for an unknown log type. */
  nativeBatch(data: Uint8Array, logType: string, maxLineBytes: number): NativeBatch | undefined {
    const idx = logType === 'auto' ? -1 : this.typeIndexOf.get(logType);
    if (idx === undefined) return undefined;
    return this.addon.checkBatch(this.handle, data, idx, Math.min(maxLineBytes, MAX_U32));
  }

  checkBatch(data: Uint8Array, logType: string, maxLineBytes: number): BatchVerdicts {
    const r = this.nativeBatch(data, logType, maxLineBytes);
    // An unknown log type is refused by the reference with its own message; the relay never sends one.
    if (r === undefined) return this.reference.checkBatch(data, logType, maxLineBytes);
    const { count, starts, ends, status, typeIndex, eventMs } = r;
    const outcomes = new Map<number, CheckOutcome>();
    let now = NaN;
    let rejectedSeen = 0;
    for (let i = 0; i < count; i++) {
      const st = status[i]!;
      if (st === NATIVE_ACCEPTED) {
        if (eventMs[i] !== eventMs[i]) eventMs[i] = Number.isNaN(now) ? (now = Date.now()) : now; // no event time: parse time
        continue;
      }
      if (st === NATIVE_TOO_LONG) continue; // same code as LINE_TOO_LONG
      const line = data.subarray(starts[i]!, ends[i]!);
      let outcome: CheckOutcome;
      if (st === NATIVE_REJECTED) {
        outcome = this.rejected(line, logType, r, i, r.paths[rejectedSeen++]!);
      } else {
        outcome = this.reference.checkLine(line, logType);
      }
      const v = outcome.verdict;
      outcomes.set(i, outcome);
      typeIndex[i] = v.logType === null ? -1 : (this.typeIndexOf.get(v.logType) ?? -1);
      status[i] = v.status === 'accepted' ? LINE_ACCEPTED : LINE_REJECTED;
      eventMs[i] = v.status === 'accepted' ? v.eventTime : NaN;
    }
    return { count, starts, ends, status, typeIndex, eventTimes: eventMs, logTypes: this.logTypes, outcomes };
  }

  checkLine(line: Uint8Array, logType: string): CheckOutcome {
    // Framing would split or trim these; the reference sees them as they are.
    if (line.length === 0 || line.includes(0x0a) || line[line.length - 1] === 0x0d) return this.reference.checkLine(line, logType);
    const v = this.checkBatch(line, logType, MAX_U32);
    const outcome = v.outcomes.get(0);
    if (outcome !== undefined) return outcome;
    return { verdict: { status: 'accepted', logType: this.logTypes[v.typeIndex[0]!]!, eventTime: v.eventTimes[0]! }, repairs: [] };
  }

  /** The verdict of a natively rejected line: native reason and field, the reference's message. */
  private rejected(line: Uint8Array, logType: string, r: NativeBatch, i: number, path: string): CheckOutcome {
    const reason = REASONS[r.reason[i]!] ?? 'wrong_type';
    const ti = r.typeIndex[i]!;
    const lt = ti < 0 ? null : this.logTypes[ti]!;
    const field = reason === 'unknown_log_type' ? undefined : path;
    const ref = this.reference.checkLine(line, logType).verdict;
    // The reference agrees (the differential test's invariant): its verdict carries the full message.
    if (ref.status === 'rejected' && ref.reason === reason && ref.field === field && ref.logType === lt) return { verdict: ref, repairs: [] };
    const message =
      field === undefined
        ? 'no loaded schema accepts the record (simdjson engine)'
        : `field "${field}": ${reason} (simdjson engine; the reference engine says ${ref.status === 'rejected' ? ref.reason : 'accepted'})`;
    const verdict: RejectedVerdict = field === undefined ? { status: 'rejected', logType: lt, reason, message } : { status: 'rejected', logType: lt, reason, field, message };
    return { verdict, repairs: [] };
  }
}
