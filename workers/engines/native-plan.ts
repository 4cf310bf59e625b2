/**
 * Compiles loaded schemas into the plan the native checker executes (native/src/plan.h reads it). The plan
 * mirrors src/schema/compiler.ts: kinds instead of types, time formats pre-compiled (strftime into the same
 * operation list as src/schema/time-strftime.ts), required and isEventTime flags, nested fields and elements.
 * A schema the native code cannot check with identical results is marked `native: false`, and its lines go
 * to the reference engine: today that is a strftime format with a non-ASCII character (the native parser
 * works on UTF-8 bytes, the reference on UTF-16 units, which only agree for ASCII formats).
 */
import type { FieldSpec, SchemaSpec, ValueSpec } from '../../src/schema/schema-model.js';
import { compileStrftimeOps } from '../../src/schema/time-strftime.js';

/** Value kinds: the order of `enum class Kind` in native/src/plan.h. */
const KIND: Record<ValueSpec['type'], number> = {
  string: 0,
  smallint: 1,
  int: 2,
  bigint: 3,
  float: 4,
  boolean: 5,
  timestamp: 6,
  json: 7,
  array: 8,
  object: 9,
};

const UNIT_NS: Record<string, number> = { unix: 1e9, unix_ms: 1e6, unix_us: 1e3, unix_ns: 1 };

/** Thrown for a schema the native checker cannot check identically; the schema is left to the reference. */
class NotNative extends Error {}

interface PlanFormat {
  t: number;
  unitNs?: number;
  ops?: number[];
  lits?: number[];
}

/** A strftime format as the reference compiles it (src/schema/time-strftime.ts: same operation numbers). */
function strftimeOps(format: string): PlanFormat {
  // The native parser works on UTF-8 bytes, the reference on UTF-16 units: they agree only for ASCII formats.
  if (/[^\x00-\x7f]/.test(format)) throw new NotNative(`time format ${JSON.stringify(format)} has a non-ASCII character`);
  const c = compileStrftimeOps(format);
  // The schema validator refused invalid formats before; this is a guard, not a path.
  if (typeof c === 'string') throw new NotNative(`time format ${JSON.stringify(format)}: ${c}`);
  return { t: 2, ops: c.ops, lits: c.literals };
}

/** A value's plan; its id is its index in `values` (the native checker names a failing check by id). */
function planValue(spec: ValueSpec, values: ValueSpec[]): object {
  const out: Record<string, unknown> = { kind: KIND[spec.type], id: values.push(spec) - 1 };
  if (spec.type === 'timestamp') {
    out['formats'] = (spec.timeFormats ?? []).map((f): PlanFormat => {
      if (f === 'rfc3339') return { t: 0 };
      const unit = UNIT_NS[f];
      if (unit !== undefined) return { t: 1, unitNs: unit };
      return strftimeOps(f);
    });
  } else if (spec.type === 'array') {
    out['element'] = planValue(spec.element!, values);
  } else if (spec.type === 'object') {
    out['fields'] = (spec.fields ?? []).map((f) => planField(f, values));
  }
  return out;
}

function planField(f: FieldSpec, values: ValueSpec[]): object {
  return { name: f.name, required: f.required, eventTime: f.isEventTime, value: planValue(f, values) };
}

/** The plan of a set of schemas, plus which of them stay with the reference engine and why. */
export interface NativePlan {
  /** The JSON the addon's compile() takes. */
  readonly json: string;
  /** Log type name -> why it is not checked natively (empty when every schema is). */
  readonly referenceOnly: ReadonlyMap<string, string>;
  /** Every value of the plan by id (the addon's `specId`). */
  readonly values: readonly ValueSpec[];
}

/**
 * Builds the plan. `logTypes` fixes the schema order (indices in the addon's results); `autoOrder` is the
 * reference engine's auto-detection order (auto-detect.ts), by name.
 */
export function buildNativePlan(specs: readonly SchemaSpec[], logTypes: readonly string[], autoOrder: readonly string[]): NativePlan {
  const byName = new Map(specs.map((s) => [s.schema, s]));
  const referenceOnly = new Map<string, string>();
  const values: ValueSpec[] = [];
  const schemas = logTypes.map((name) => {
    const spec = byName.get(name);
    if (spec === undefined) throw new Error(`buildNativePlan: no spec for log type ${name}`);
    const mark = values.length;
    try {
      return { name, native: true, fields: spec.fields.map((f) => planField(f, values)) };
    } catch (err) {
      if (!(err instanceof NotNative)) throw err;
      values.length = mark; // ids of a schema left out are never reported
      referenceOnly.set(name, err.message);
      return { name, native: false };
    }
  });
  const auto = autoOrder.map((name) => logTypes.indexOf(name));
  return { json: JSON.stringify({ schemas, auto }), referenceOnly, values };
}
