/**
 * Compiles a validated SchemaSpec into closures, once at load time: each field gets a `check` specialised
 * for its type (no per-record switch on type names), and the record check is a flat loop over the fields
 * in schema order that allocates nothing on the accepted path.
 */
import { ABSENT, MISSING, OK, WRONG_TYPE, fail, failure, lastTime } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { BOOLEAN_EXPECTED, booleanValue, checkBoolean } from './coerce-boolean.js';
import { FLOAT_EXPECTED, checkFloat, floatValue } from './coerce-float.js';
import { INTEGER_EXPECTED, integerValue, makeIntegerCheck } from './coerce-integer.js';
import type { IntegerBits } from './coerce-integer.js';
import { STRING_EXPECTED, checkString, stringValue } from './coerce-string.js';
import { makeTimestampCheck, timestampExpected, timestampValueFromLast } from './coerce-timestamp.js';
import { IndicatorCollector, scanIndicator } from './indicators.js';
import { RawNumber } from './raw-number.js';
import type { FieldSpec, SchemaSpec, ValueSpec } from './schema-model.js';

/** A compiled value description (a field or an array element). */
export interface CompiledValue {
  readonly spec: ValueSpec;
  /** OK, ABSENT or a failure code (details in `failure`). Never throws. */
  readonly check: (v: unknown) => CheckCode;
  /** Panther's normalized value of a value whose check returned OK; feeds indicators into `out`. */
  readonly normalize: (v: unknown, out: IndicatorCollector) => unknown;
}

/** A compiled top-level or nested field. */
export interface CompiledField extends CompiledValue {
  readonly name: string;
  readonly required: boolean;
  readonly isEventTime: boolean;
  /** The name is also an Object.prototype property ("constructor"...): read it with hasOwn. */
  readonly ownOnly: boolean;
}

/** The outcome of the last `checkObject` call (scratch, read right after the call). */
export const checkResult = {
  /** Failure code when the check failed. */
  code: OK as CheckCode,
  /** Dotted path of the failing field. */
  path: '',
  hasEventTime: false,
  eventMs: 0,
  eventSubMsNanos: 0,
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawNumber);
}

function readField(obj: Record<string, unknown>, f: CompiledField): unknown {
  return f.ownOnly ? (Object.hasOwn(obj, f.name) ? obj[f.name] : undefined) : obj[f.name];
}

/**
 * Checks `obj` against `fields` in order. Returns -1 when all pass, else the index of the first failing
 * field with `failure` filled and `failure.path` relative to that field.
 */
/** The code of the failure checkFields last reported (it returns an index, not a code). */
let fieldsFailCode: CheckCode = OK;

/** Reads every field of a record into `out`, in schema order. */
type FieldReader = (obj: Record<string, unknown>, out: unknown[]) => void;

/**
 * Generates the field reader of a field list as straight-line code with constant property names.
 * Why: a loop doing `obj[field.name]` is a keyed load with a changing key, which V8 serves from its
 * megamorphic stub cache; it was the largest single cost of a User Activity check in the profile. With one
 * constant-name load per field, each load site gets its own inline cache, and since LSS records of a type
 * share one key order (one hidden class) those caches stay monomorphic. Names go through JSON.stringify,
 * so no schema text can inject code; names that are also Object.prototype properties are read with hasOwn.
 */
function makeReader(fields: readonly CompiledField[]): FieldReader {
  const body = fields
    .map((f, i) => {
      const key = JSON.stringify(f.name);
      return f.ownOnly ? `out[${i}] = Object.hasOwn(obj, ${key}) ? obj[${key}] : undefined;` : `out[${i}] = obj[${key}];`;
    })
    .join('\n');
  return new Function('obj', 'out', `"use strict";\n${body}`) as FieldReader;
}

/** A compiled field list: the fields, their reader and the scratch array it fills. */
interface FieldList {
  readonly fields: readonly CompiledField[];
  readonly read: FieldReader;
  readonly values: unknown[];
}

function fieldList(fields: readonly CompiledField[]): FieldList {
  return { fields, read: makeReader(fields), values: new Array<unknown>(fields.length).fill(undefined) };
}

/**
 * Checks `obj` against a field list in order. Returns -1 when all pass, else the index of the first failing
 * field with `failure` filled and `failure.path` relative to that field.
 */
function checkFields(list: FieldList, obj: Record<string, unknown>, takeEventTime: boolean): number {
  const { fields, values } = list;
  // Nested object checks reuse the list's scratch array; an object field's value cannot contain the same
  // list again (schemas are finite trees), so no re-entrant use of one array happens.
  list.read(obj, values);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = values[i];
    if (v === undefined || v === null) {
      if (f.required) {
        fieldsFailCode = fail(MISSING, v, 'a value');
        return i;
      }
      continue;
    }
    const code = f.check(v);
    if (code === OK) {
      if (takeEventTime && f.isEventTime && !checkResult.hasEventTime) {
        checkResult.hasEventTime = true;
        checkResult.eventMs = lastTime.ms;
        checkResult.eventSubMsNanos = lastTime.subMsNanos;
      }
      continue;
    }
    if (code === ABSENT) {
      if (f.required) {
        fieldsFailCode = fail(MISSING, v, 'a value');
        return i;
      }
      continue;
    }
    fieldsFailCode = code;
    return i;
  }
  return -1;
}

function integerBits(type: 'smallint' | 'int' | 'bigint'): IntegerBits {
  return type === 'smallint' ? 16 : type === 'int' ? 32 : 64;
}

/**
 * The `failure.expected` phrase a failing check of `spec` itself writes (not one of its elements or nested
 * fields), so that an engine which finds the failure another way (the simdjson engine) words it identically.
 */
export function expectedOf(spec: ValueSpec): string {
  switch (spec.type) {
    case 'string':
      return STRING_EXPECTED;
    case 'smallint':
    case 'int':
    case 'bigint':
      return INTEGER_EXPECTED[integerBits(spec.type)];
    case 'float':
      return FLOAT_EXPECTED;
    case 'boolean':
      return BOOLEAN_EXPECTED;
    case 'timestamp':
      return timestampExpected(spec.timeFormats ?? []);
    case 'json':
      return 'any JSON value'; // never shown: a json check does not fail
    case 'array':
      return `an array of ${spec.element!.type}`;
    case 'object':
      return 'an object';
  }
}

function compileValue(spec: ValueSpec): CompiledValue {
  const indicators = spec.indicators ?? [];
  switch (spec.type) {
    case 'string':
      return {
        spec,
        check: checkString,
        normalize: (v, out) => {
          const s = stringValue(v);
          if (s !== null) for (const ind of indicators) scanIndicator(ind, s, out);
          return s;
        },
      };
    case 'smallint':
    case 'int':
    case 'bigint':
      return {
        spec,
        check: makeIntegerCheck(integerBits(spec.type)),
        normalize: integerValue,
      };
    case 'float':
      return { spec, check: checkFloat, normalize: floatValue };
    case 'boolean':
      return { spec, check: checkBoolean, normalize: booleanValue };
    case 'timestamp': {
      const check = makeTimestampCheck(spec.timeFormats ?? []);
      return { spec, check, normalize: (v) => (check(v) === OK ? timestampValueFromLast() : null) };
    }
    case 'json':
      return { spec, check: () => OK, normalize: (v) => v };
    case 'array': {
      const el = compileValue(spec.element!);
      const expected = expectedOf(spec);
      return {
        spec,
        check: (v) => {
          if (!Array.isArray(v)) return fail(WRONG_TYPE, v, expected);
          for (let i = 0; i < v.length; i++) {
            const e = v[i];
            if (e === null) continue;
            const code = el.check(e);
            if (code === OK || code === ABSENT) continue;
            failure.path = `[${i}]${failure.path}`;
            return code;
          }
          return OK;
        },
        normalize: (v, out) =>
          (v as unknown[]).map((e) => (e === null || el.check(e) !== OK ? null : el.normalize(e, out))),
      };
    }
    case 'object': {
      const fields = compileFields(spec.fields!);
      const list = fieldList(fields);
      const expected = expectedOf(spec);
      return {
        spec,
        check: (v) => {
          if (!isPlainObject(v)) return fail(WRONG_TYPE, v, expected);
          const at = checkFields(list, v, false);
          if (at < 0) return OK;
          failure.path = `.${fields[at]!.name}${failure.path}`;
          return fieldsFailCode;
        },
        normalize: (v, out) => normalizeFields(fields, v as Record<string, unknown>, out),
      };
    }
  }
}

function compileFields(specs: readonly FieldSpec[]): CompiledField[] {
  return specs.map((spec) => {
    return {
      ...compileValue(spec),
      name: spec.name,
      required: spec.required,
      isEventTime: spec.isEventTime,
      ownOnly: spec.name in Object.prototype,
    };
  });
}

function normalizeFields(
  fields: readonly CompiledField[],
  obj: Record<string, unknown>,
  out: IndicatorCollector,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    const v = readField(obj, f);
    if (v === undefined || v === null || f.check(v) !== OK) continue;
    const n = f.normalize(v, out);
    if (n === null || n === undefined) continue;
    if (f.name === '__proto__') Object.defineProperty(record, f.name, { value: n, enumerable: true, writable: true, configurable: true });
    else record[f.name] = n;
  }
  return record;
}

/** A schema ready to check records. */
export class CompiledSchema {
  readonly name: string;
  readonly file: string;
  readonly fields: readonly CompiledField[];
  private readonly list: FieldList;
  readonly fieldNames: readonly string[];
  readonly requiredNames: readonly string[];
  /** Top-level keys whose number literals must be read exactly (every type but float and json). */
  readonly exactKeys: ReadonlySet<string>;
  private readonly fieldSet: ReadonlySet<string>;

  constructor(spec: SchemaSpec) {
    this.name = spec.schema;
    this.file = spec.file;
    this.fields = compileFields(spec.fields);
    this.list = fieldList(this.fields);
    this.fieldNames = this.fields.map((f) => f.name);
    this.requiredNames = this.fields.filter((f) => f.required).map((f) => f.name);
    this.exactKeys = new Set(this.fields.filter((f) => f.spec.type !== 'float' && f.spec.type !== 'json').map((f) => f.name));
    this.fieldSet = new Set(this.fieldNames);
  }

  /**
   * The top-level keys of a parsed record that this schema lacks (Panther drops them), or undefined when it
   * has none. Only the top level: inside an object field, extra keys are that field's business.
   */
  unknownKeys(obj: Record<string, unknown>): string[] | undefined {
    let out: string[] | undefined;
    for (const k of Object.keys(obj)) if (!this.fieldSet.has(k)) (out ??= []).push(k);
    return out;
  }

  /**
   * Checks a parsed top-level object. Returns true when accepted; otherwise `checkResult.code`/`path` and
   * `failure` describe the first failing field in schema order. The event time is left in `checkResult`.
   */
  checkObject(obj: Record<string, unknown>): boolean {
    checkResult.hasEventTime = false;
    const at = checkFields(this.list, obj, true);
    if (at < 0) return true;
    const f = this.fields[at]!;
    checkResult.code = fieldsFailCode;
    checkResult.path = f.name + failure.path;
    return false;
  }

  /** True when every required field has a non-null value (a cheap pre-filter for auto-detection). */
  hasRequired(obj: Record<string, unknown>): boolean {
    for (const name of this.requiredNames) {
      const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
      if (v === undefined || v === null) return false;
    }
    return true;
  }

  /** Panther's normalized record (schema fields only, coerced) for an accepted object. */
  normalizeObject(obj: Record<string, unknown>, out: IndicatorCollector): Record<string, unknown> {
    return normalizeFields(this.fields, obj, out);
  }
}
