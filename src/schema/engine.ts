/**
 * The schema engine facade: loads Panther schemas, and checks or normalizes one LSS line at a time.
 * Called per record from worker threads, so `checkLine` is the hot path:
 *   repairs (cheap prefix test) -> native JSON.parse -> number-scan gate (exact re-parse only when a risky
 *   literal sits under a field where it matters) -> compiled field loop -> verdict.
 * Rejecting is data: `checkLine` returns a verdict for every input and never throws.
 */
import { failure } from './check-codes.js';
import { CompiledSchema, checkResult } from './compiler.js';
import { autoDetectOrder } from './auto-detect.js';
import { IndicatorCollector } from './indicators.js';
import { parseExact } from './json-exact.js';
import { repairEmptyLists, syslogPriLength } from './lss-repairs.js';
import type { RepairName, RepairOptions } from './lss-repairs.js';
import { hasRiskyNumber } from './number-scan.js';
import { fieldFailureVerdict, noSchemaAcceptsVerdict, rejectedVerdict as rejected } from './rejection.js';
import { parseSchemaSources } from './schema-loader.js';
import { loadSchemaSet, schemaLocations, type SchemaLocations } from './schema-set.js';
import type { SchemaSource } from './schema-loader.js';
import type { SchemaSpec } from './schema-model.js';
import { formatPantherTime } from './time-civil.js';
import type { Verdict } from './verdict.js';

export type { RepairName, RepairOptions } from './lss-repairs.js';
export { serializeNormalized } from './normalized-json.js';

/** What checking one line gives. */
export interface CheckOutcome {
  verdict: Verdict;
  /** Repairs applied to this line (empty when none). */
  repairs: readonly RepairName[];
  /** The text actually checked (and to be forwarded) when a repair changed it. */
  repairedLine?: string;
  /** An accepted record's top-level keys its schema lacks (Panther drops them); absent when none. */
  unknownFields?: readonly string[];
}

/** Engine options. */
export interface EngineOptions {
  repairs?: Partial<RepairOptions>;
}

// Shared, frozen repair lists: the common outcomes allocate no array.
const NO_REPAIRS: readonly RepairName[] = Object.freeze([]);
const PRI: readonly RepairName[] = Object.freeze(['syslog_pri'] as RepairName[]);
const EMPTY_LIST: readonly RepairName[] = Object.freeze(['empty_list'] as RepairName[]);
const PRI_AND_EMPTY_LIST: readonly RepairName[] = Object.freeze(['syslog_pri', 'empty_list'] as RepairName[]);

/** The verdict for a line longer than `max` bytes (reason line_too_long); the line itself is never parsed. */
export function lineTooLong(logType: string | null, length: number, max: number): Verdict {
  return rejected(logType, 'line_too_long', `the line is ${length} bytes, longer than the ${max}-byte limit`);
}

/** The result of parsing one line, before any schema is applied. */
interface Parsed {
  obj?: Record<string, unknown>;
  text: string;
  repairs: readonly RepairName[];
  error?: Verdict;
}

/** Loaded, compiled schemas plus the per-line check. */
export class SchemaEngine {
  /** The loaded log type names, sorted. */
  readonly logTypes: readonly string[];
  private readonly schemas: ReadonlyMap<string, CompiledSchema>;
  private readonly autoOrder: readonly CompiledSchema[];
  private readonly repairOptions: RepairOptions;
  /** Number-scan gates, bound once: per schema, and the union of all for auto-detection. */
  private readonly exactGate: ReadonlyMap<string, (key: string) => boolean>;
  private readonly autoExactGate: (key: string) => boolean;

  private constructor(specs: readonly SchemaSpec[], opts: EngineOptions = {}) {
    const schemas = new Map<string, CompiledSchema>();
    for (const spec of specs) schemas.set(spec.schema, new CompiledSchema(spec));
    this.schemas = schemas;
    this.logTypes = Object.freeze([...schemas.keys()].sort());
    this.autoOrder = autoDetectOrder(schemas.values());
    this.repairOptions = { stripSyslogPri: true, emptyListToArray: true, ...opts.repairs };
    const gates = new Map<string, (key: string) => boolean>();
    const union = new Set<string>();
    for (const s of schemas.values()) {
      const keys = s.exactKeys;
      gates.set(s.name, (key) => keys.has(key));
      for (const k of keys) union.add(k);
    }
    this.exactGate = gates;
    this.autoExactGate = (key) => union.has(key);
  }

  /**
   * Loads every schema file of `where`: a directory, or a location set (schemas.path plus schemas.include);
   * default: the bundled `schemas/` of this package, found from this module's location so it works from
   * `dist/`. Throws RelayError ZPA_ERR_SCHEMA_READ/ZPA_ERR_SCHEMA_INVALID.
   */
  static async load(where?: string | SchemaLocations, opts?: EngineOptions): Promise<SchemaEngine> {
    return new SchemaEngine(await loadSchemaSet(schemaLocations(where)), opts);
  }

  /** Builds an engine from schemas already read and validated (schema-set.ts). */
  static fromSpecs(specs: readonly SchemaSpec[], opts?: EngineOptions): SchemaEngine {
    return new SchemaEngine(specs, opts);
  }

  /** Builds an engine from in-memory schema texts (tests, embedding). Same errors as `load`. */
  static fromSchemas(sources: Array<{ file: string; text: string }>, opts?: EngineOptions): SchemaEngine {
    return new SchemaEngine(parseSchemaSources(sources as SchemaSource[]), opts);
  }

  /** True when `logType` names a loaded schema. */
  has(logType: string): boolean {
    return this.schemas.has(logType);
  }

  /** Top-level field names of `logType` in schema order (empty for an unknown type). */
  schemaFields(logType: string): readonly string[] {
    return this.schemas.get(logType)?.fieldNames ?? [];
  }

  /** Checks one line (without its newline) against `logType`, a loaded name or 'auto'. Never throws. */
  checkLine(line: string, logType: string): CheckOutcome {
    return this.checkInternal(line, logType, false).outcome;
  }

  /**
   * Checks a line and, when accepted, builds Panther's normalized record: the schema's fields (unknown
   * fields dropped) with coerced values, then `p_log_type`, `p_event_time`, `p_parse_time` and the
   * `p_any_*` indicator arrays. Timestamps are `YYYY-MM-DD HH:MM:SS.fffffffff` UTC; int64 values beyond
   * 2^53 are bigints and numbers inside json values may be RawNumbers: print it with `serializeNormalized`.
   */
  normalize(line: string, logType: string): { outcome: CheckOutcome; record?: Record<string, unknown> } {
    const { outcome, schema, obj } = this.checkInternal(line, logType, true);
    if (schema === undefined || obj === undefined || outcome.verdict.status !== 'accepted') return { outcome };
    const parseMs = Date.now();
    const out = new IndicatorCollector();
    try {
      schema.checkObject(obj);
      const eventMs = checkResult.hasEventTime ? checkResult.eventMs : parseMs;
      const eventSub = checkResult.hasEventTime ? checkResult.eventSubMsNanos : 0;
      const record = schema.normalizeObject(obj, out);
      record['p_log_type'] = schema.name;
      record['p_event_time'] = formatPantherTime(eventMs, eventSub);
      record['p_parse_time'] = formatPantherTime(parseMs);
      for (const [field, values] of out.toFields()) record[field] = values;
      return { outcome, record };
    } catch (err) {
      // Unreachable for an accepted record (the same checks just passed); keep the verdict, drop the view.
      return { outcome: { ...outcome, verdict: rejected(schema.name, 'wrong_type', `cannot normalize: ${String(err)}`) } };
    }
  }

  private parse(line: string, logTypeForErrors: string | null, exact: boolean, gate: (key: string) => boolean): Parsed {
    let text = line;
    let repairs = NO_REPAIRS;
    if (this.repairOptions.stripSyslogPri) {
      const n = syslogPriLength(text);
      if (n > 0) {
        text = text.slice(n);
        repairs = PRI;
      }
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      // Invalid JSON: the old template's empty lists are the one breakage we can mend.
      const repaired = this.repairOptions.emptyListToArray ? repairEmptyLists(text) : undefined;
      let mended = false;
      if (repaired !== undefined) {
        try {
          obj = JSON.parse(repaired);
          mended = true;
        } catch {
          // Still invalid: report the original line's error below, not the repaired one's.
        }
      }
      if (!mended) {
        return { text, repairs, error: rejected(logTypeForErrors, 'invalid_json', `invalid JSON: ${(err as Error).message}`) };
      }
      text = repaired!;
      repairs = repairs === PRI ? PRI_AND_EMPTY_LIST : EMPTY_LIST;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      const what = obj === null ? 'null' : Array.isArray(obj) ? 'an array' : `a ${typeof obj}`;
      return { text, repairs, error: rejected(logTypeForErrors, 'not_an_object', `the line is ${what}, not a JSON object`) };
    }
    // Exact numbers only when they can change the outcome (or always for the normalized view).
    if (exact || hasRiskyNumber(text, gate)) {
      try {
        obj = parseExact(text);
      } catch (err) {
        return { text, repairs, error: rejected(logTypeForErrors, 'invalid_json', `invalid JSON: ${(err as Error).message}`) };
      }
    }
    return { obj: obj as Record<string, unknown>, text, repairs };
  }

  private checkInternal(
    line: string,
    logType: string,
    exact: boolean,
  ): { outcome: CheckOutcome; schema?: CompiledSchema; obj?: Record<string, unknown> } {
    const auto = logType === 'auto';
    const target = auto ? undefined : this.schemas.get(logType);
    if (!auto && target === undefined) {
      return {
        outcome: {
          verdict: rejected(null, 'unknown_log_type', `no schema named "${logType}" is loaded (loaded: ${this.logTypes.join(', ')})`),
          repairs: NO_REPAIRS,
        },
      };
    }
    const gate = target === undefined ? this.autoExactGate : this.exactGate.get(target.name)!;
    const parsed = this.parse(line, target?.name ?? null, exact, gate);
    const base = parsed.text === line ? { repairs: parsed.repairs } : { repairs: parsed.repairs, repairedLine: parsed.text };
    if (parsed.error !== undefined) return { outcome: { verdict: parsed.error, ...base } };
    const obj = parsed.obj!;
    if (target !== undefined) {
      return { outcome: withUnknownFields({ verdict: this.verdictFor(target, obj), ...base }, target, obj), schema: target, obj };
    }
    let closest: { name: string; verdict: Verdict } | undefined;
    for (const schema of this.autoOrder) {
      if (!schema.hasRequired(obj)) continue;
      const verdict = this.verdictFor(schema, obj);
      if (verdict.status === 'accepted') return { outcome: withUnknownFields({ verdict, ...base }, schema, obj), schema, obj };
      closest ??= { name: schema.name, verdict };
    }
    return { outcome: { verdict: noSchemaAcceptsVerdict(closest), ...base } };
  }

  private verdictFor(schema: CompiledSchema, obj: Record<string, unknown>): Verdict {
    let ok: boolean;
    try {
      ok = schema.checkObject(obj);
    } catch (err) {
      // Defensive: the checks are written not to throw; if one ever does, the record is still a verdict.
      return rejected(schema.name, 'wrong_type', `internal check error: ${String(err)}`);
    }
    if (ok) {
      return {
        status: 'accepted',
        logType: schema.name,
        eventTime: checkResult.hasEventTime ? checkResult.eventMs : Date.now(),
      };
    }
    return fieldFailureVerdict(schema.name, checkResult.code, checkResult.path, failure.value, failure.expected);
  }
}

/** Adds an accepted record's unknown top-level fields to its outcome (counted by the worker, sampled for `schema derive`). */
function withUnknownFields(outcome: CheckOutcome, schema: CompiledSchema, obj: Record<string, unknown>): CheckOutcome {
  if (outcome.verdict.status !== 'accepted') return outcome;
  const unknown = schema.unknownKeys(obj);
  if (unknown !== undefined) outcome.unknownFields = unknown;
  return outcome;
}
