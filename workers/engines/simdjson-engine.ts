/**
 * The simdjson batch engine: one native call checks a whole batch (native/src/checker.h) and returns typed
 * arrays. Lines the native checker does not decide (repairs, invalid JSON, anything it cannot vouch for)
 * come back as "delegate" and are checked by the reference engine. A rejection's verdict is built here from
 * what the checker reports (code, path, schema, the offending value's bytes and the failing check) with the
 * reference's own message functions (src/schema/rejection.ts); the rare failure whose value the reference
 * may see differently (see `failureValue`) goes to the reference engine too.
 * test/engines/differential.test.ts holds both engines to identical verdicts, messages included.
 */
import { expectedOf } from '../../src/schema/compiler.js';
import type { CheckCode } from '../../src/schema/check-codes.js';
import type { CheckOutcome, RepairName, SchemaEngine } from '../../src/schema/engine.js';
import { RawNumber, isCanonicalNumberText } from '../../src/schema/raw-number.js';
import { fieldFailureVerdict, noSchemaAcceptsVerdict } from '../../src/schema/rejection.js';
import type { ValueSpec } from '../../src/schema/schema-model.js';
import type { RejectedVerdict } from '../../src/schema/verdict.js';
import type { BatchEngine, BatchVerdicts } from './engine-types.js';
import { LINE_ACCEPTED, LINE_REJECTED } from './engine-types.js';
import type { NativeAddon, NativeBatch, NativeHandle } from './native-addon.js';
import { NATIVE_ACCEPTED, NATIVE_REJECTED, NATIVE_TOO_LONG, NATIVE_UNKNOWN_LOG_TYPE } from './native-addon.js';
import type { ReferenceEngine } from './reference-engine.js';
import { UnknownFieldSets } from './unknown-field-sets.js';

const MAX_U32 = 0xffffffff;
const NO_REPAIRS: readonly RepairName[] = Object.freeze([]);
/** `failureValue`'s answer when only the reference can tell the value. */
const UNKNOWN = Symbol('unknown value');
/** Longest offending value (its JSON bytes) whose rejection outcome is cached; longer ones are worded each time. */
const CACHED_VALUE_BYTES = 256;
/** Outcomes cached before the cache starts over (a bound on its memory: a few hundred bytes each). */
const CACHED_OUTCOMES = 4096;

/** The native engine, with the reference engine for delegated lines and rejection messages. */
export class SimdjsonEngine implements BatchEngine {
  readonly name = 'simdjson' as const;
  readonly logTypes: readonly string[];
  readonly schemaEngine: SchemaEngine;
  private readonly typeIndexOf: ReadonlyMap<string, number>;
  /** The expected-phrase of each plan value, by id. */
  private readonly expected: readonly string[];
  /**
   * The outcomes of native rejections, by path, then by (failing log type, code, value spec, reason), then
   * by the offending value's JSON bytes (latin1): one frozen outcome shared by every record refused alike.
   * Why: with real User Activity traffic 90% of the records are refused over a few policy names, and
   * wording each one (its value decoded, its message built, a verdict and an outcome object) was a fifth
   * of a refused record's JS time in a worker; downstream, records that share an outcome share its strings,
   * so the dead-letter encoder compares and looks them up by identity.
   */
  private outcomeCache = new Map<string, Map<number, Map<string, CheckOutcome | undefined>>>();
  private cachedOutcomes = 0;

  /** `values` are the plan's values by id (NativePlan.values), to word the failures the addon reports. */
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: NativeHandle,
    readonly reference: ReferenceEngine,
    private readonly values: readonly ValueSpec[],
  ) {
    this.logTypes = reference.logTypes;
    this.schemaEngine = reference.schemaEngine;
    this.typeIndexOf = new Map(this.logTypes.map((t, i) => [t, i]));
    this.expected = values.map(expectedOf);
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
    const { count, starts, ends, status, typeIndex, eventMs, unknownSet } = r;
    const outcomes = new Map<number, CheckOutcome>();
    // The native sets keep their indices (repeated keys dropped); a delegated line's fields are added after them.
    const sets = new UnknownFieldSets();
    for (const [type, names] of r.unknownSets) sets.sets.push({ logType: this.logTypes[type]!, names: names.length > 1 ? [...new Set(names)] : names });
    let now = NaN;
    let rejectedSeen = 0;
    let buf: Buffer | undefined;
    for (let i = 0; i < count; i++) {
      const st = status[i]!;
      if (st === NATIVE_ACCEPTED) {
        if (eventMs[i] !== eventMs[i]) eventMs[i] = Number.isNaN(now) ? (now = Date.now()) : now; // no event time: parse time
        continue;
      }
      if (st === NATIVE_TOO_LONG) continue; // same code as LINE_TOO_LONG
      if (st === NATIVE_REJECTED) {
        buf ??= Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const outcome = this.nativeOutcome(buf, r, i, r.paths[rejectedSeen++]!);
        if (outcome !== undefined) {
          // status, typeIndex and eventMs already say so (NATIVE_REJECTED is LINE_REJECTED).
          outcomes.set(i, outcome);
          continue;
        }
      }
      const outcome = this.reference.checkLine(data.subarray(starts[i]!, ends[i]!), logType);
      const v = outcome.verdict;
      outcomes.set(i, outcome);
      typeIndex[i] = v.logType === null ? -1 : (this.typeIndexOf.get(v.logType) ?? -1);
      status[i] = v.status === 'accepted' ? LINE_ACCEPTED : LINE_REJECTED;
      eventMs[i] = v.status === 'accepted' ? v.eventTime : NaN;
      unknownSet[i] = v.status === 'accepted' && outcome.unknownFields !== undefined ? sets.add(v.logType, outcome.unknownFields) : -1;
    }
    return { count, starts, ends, status, typeIndex, eventTimes: eventMs, logTypes: this.logTypes, outcomes, unknownSet, unknownSets: sets.sets };
  }

  checkLine(line: Uint8Array, logType: string): CheckOutcome {
    // Framing would split or trim these; the reference sees them as they are.
    if (line.length === 0 || line.includes(0x0a) || line[line.length - 1] === 0x0d) return this.reference.checkLine(line, logType);
    const v = this.checkBatch(line, logType, MAX_U32);
    const outcome = v.outcomes.get(0);
    if (outcome !== undefined) return outcome;
    const set = v.unknownSet[0]!;
    return {
      verdict: { status: 'accepted', logType: this.logTypes[v.typeIndex[0]!]!, eventTime: v.eventTimes[0]! },
      repairs: [],
      ...(set >= 0 ? { unknownFields: v.unknownSets[set]!.names } : {}),
    };
  }

  /** nativeRejection's verdict as an outcome, from the cache when a record was refused alike before. */
  private nativeOutcome(batch: Buffer, r: NativeBatch, i: number, path: string): CheckOutcome | undefined {
    const start = r.valueStart[i]!;
    const end = r.valueEnd[i]!;
    const reason = r.reason[i]!;
    const code = r.failCode[i]!;
    if ((start >= 0 && end - start > CACHED_VALUE_BYTES) || reason >= 64 || code >= 64) {
      const verdict = this.nativeRejection(batch, r, i, path);
      return verdict === undefined ? undefined : { verdict, repairs: NO_REPAIRS };
    }
    // Everything nativeRejection reads besides the value, in one number: the value spec's id, the failing
    // log type (-1 .. logTypes - 1), the reason and the code (each below 64, checked above).
    const kind = ((r.specId[i]! + 1) * (this.logTypes.length + 1) + (r.failType[i]! + 1)) * 4096 + reason * 64 + code;
    const value = start < 0 ? '' : batch.toString('latin1', r.starts[i]! + start, r.starts[i]! + end);
    let byKind = this.outcomeCache.get(path);
    if (byKind === undefined) this.outcomeCache.set(path, (byKind = new Map()));
    let byValue = byKind.get(kind);
    if (byValue === undefined) byKind.set(kind, (byValue = new Map()));
    // An absent field ('') and an empty string value ('""') differ: a JSON value is never empty.
    let outcome = byValue.get(value);
    if (outcome === undefined && !byValue.has(value)) {
      const verdict = this.nativeRejection(batch, r, i, path);
      outcome = verdict === undefined ? undefined : Object.freeze({ verdict: Object.freeze(verdict), repairs: NO_REPAIRS });
      if (++this.cachedOutcomes > CACHED_OUTCOMES) {
        this.outcomeCache = new Map([[path, (byKind = new Map([[kind, (byValue = new Map())]]))]]);
        this.cachedOutcomes = 1;
      }
      byValue.set(value, outcome);
    }
    return outcome;
  }

  /**
   * The verdict of line `i` of `r`, a natively rejected line of `batch` (`path` is its entry of `r.paths`),
   * worded by the reference's functions, or undefined when only the reference can word it. Public for the
   * differential test.
   */
  nativeRejection(batch: Buffer, r: NativeBatch, i: number, path: string): RejectedVerdict | undefined {
    const failType = r.failType[i]!;
    if (r.reason[i] !== NATIVE_UNKNOWN_LOG_TYPE) return this.fieldFailure(batch, r, i, path);
    if (failType < 0) return noSchemaAcceptsVerdict();
    const closest = this.fieldFailure(batch, r, i, path);
    return closest === undefined ? undefined : noSchemaAcceptsVerdict({ name: this.logTypes[failType]!, verdict: closest });
  }

  /**
   * The verdict of the field failure the addon reports for line `i` (for unknown_log_type, the closest
   * schema's), or undefined when its value is UNKNOWN. A value start of -1 is an absent field (undefined).
   */
  private fieldFailure(batch: Buffer, r: NativeBatch, i: number, path: string): RejectedVerdict | undefined {
    const id = r.specId[i]!;
    const spec = id < 0 ? undefined : this.values[id];
    const start = r.valueStart[i]!;
    const value = start < 0 ? undefined : failureValue(batch, r.starts[i]! + start, r.starts[i]! + r.valueEnd[i]!, spec);
    if (value === UNKNOWN) return undefined;
    return fieldFailureVerdict(this.logTypes[r.failType[i]!]!, r.failCode[i]! as CheckCode, path, value, id < 0 ? '' : this.expected[id]!);
  }
}

/**
 * The offending value as the reference's check saw it (`failure.value`), from its JSON bytes
 * `batch[start, end)`. Only its preview reaches the message, so an object or array is an empty one.
 * A number is a RawNumber when its literal does not print back from a float64: the reference reads such a literal exactly whenever it sits under a top-level key typed other
 * than float or json (number-scan.ts), which is every failing number but one under a float field. There
 * (an overflow like 1e400) JSON.parse's Infinity or the literal depends on the rest of the line: UNKNOWN.
 */
function failureValue(batch: Buffer, start: number, end: number, spec: ValueSpec | undefined): unknown {
  switch (batch[start]) {
    case 0x22 /* " */: {
      // A valid JSON string (raw control bytes are delegated): without a backslash its text is the value.
      const inner = batch.toString('utf8', start + 1, end - 1);
      return inner.includes('\\') ? (JSON.parse(`"${inner}"`) as string) : inner;
    }
    case 0x6e /* n */:
      return null;
    case 0x74 /* t */:
      return true;
    case 0x66 /* f */:
      return false;
    case 0x5b /* [ */:
      return [];
    case 0x7b /* { */:
      return {};
    default: {
      const text = batch.toString('latin1', start, end);
      if (isCanonicalNumberText(text)) return Number(text);
      return spec?.type === 'float' ? UNKNOWN : new RawNumber(text);
    }
  }
}
