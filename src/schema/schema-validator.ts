/**
 * Turns a parsed YAML document into a SchemaSpec, collecting every problem instead of stopping at the
 * first, so one load reports all mistakes in a file. Messages name the file and the dotted field path:
 * `schemas/x.yaml: field "Foo": unknown type "strin"`.
 */
import { BUILTIN_TIME_FORMATS, INDICATOR_FIELDS, VALUE_TYPES } from './schema-model.js';
import type { FieldSpec, IndicatorName, SchemaSpec, ValueSpec, ValueType } from './schema-model.js';
import { strftimeProblem } from './time-strftime.js';

const TOP_KEYS = new Set(['schema', 'description', 'referenceURL', 'fields', 'version']);
const FIELD_KEYS = new Set([
  'name',
  'required',
  'description',
  'type',
  'timeFormats',
  'timeFormat',
  'isEventTime',
  'indicators',
  'element',
  'fields',
]);
const ELEMENT_KEYS = new Set(['type', 'timeFormats', 'timeFormat', 'indicators', 'element', 'fields', 'description']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Result of validating one document: the spec when there were no problems. */
export interface ValidationResult {
  readonly spec?: SchemaSpec;
  readonly problems: readonly string[];
}

/** Validates `doc` (the parsed YAML of `file`). */
export function validateSchemaDocument(file: string, doc: unknown): ValidationResult {
  const problems: string[] = [];
  const say = (where: string, what: string): void => {
    problems.push(`${file}: ${where}${what}`);
  };
  if (!isPlainObject(doc)) {
    say('', 'the document is not a mapping with "schema" and "fields"');
    return { problems };
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.has(key)) say('', `unknown key "${key}" (allowed: ${[...TOP_KEYS].join(', ')})`);
  }
  const name = doc['schema'];
  if (typeof name !== 'string' || name.trim() === '') say('', '"schema" must be a non-empty string (the log type name)');
  for (const key of ['description', 'referenceURL']) {
    if (doc[key] !== undefined && typeof doc[key] !== 'string') say('', `"${key}" must be a string`);
  }
  const fields = validateFields(doc['fields'], '', say);
  if (problems.length > 0 || fields === undefined) return { problems };
  const spec: SchemaSpec = {
    file,
    schema: name as string,
    fields,
    ...(typeof doc['description'] === 'string' ? { description: doc['description'] } : {}),
    ...(typeof doc['referenceURL'] === 'string' ? { referenceURL: doc['referenceURL'] } : {}),
  };
  return { spec, problems };
}

type Say = (where: string, what: string) => void;

function validateFields(raw: unknown, parentPath: string, say: Say): FieldSpec[] | undefined {
  const where = parentPath === '' ? '' : `field "${parentPath}": `;
  if (!Array.isArray(raw) || raw.length === 0) {
    say(where, '"fields" must be a non-empty list');
    return undefined;
  }
  const out: FieldSpec[] = [];
  const seen = new Set<string>();
  let ok = true;
  raw.forEach((entry, index) => {
    const name = isPlainObject(entry) ? entry['name'] : undefined;
    const label = typeof name === 'string' && name !== '' ? name : `#${index + 1}`;
    const path = parentPath === '' ? label : `${parentPath}.${label}`;
    const fieldWhere = `field "${path}": `;
    if (!isPlainObject(entry)) {
      say(fieldWhere, 'must be a mapping with "name" and "type"');
      ok = false;
      return;
    }
    if (typeof name !== 'string' || name === '') {
      say(fieldWhere, '"name" must be a non-empty string');
      ok = false;
    } else if (seen.has(name)) {
      say(fieldWhere, 'is declared twice');
      ok = false;
    } else {
      seen.add(name);
    }
    for (const key of Object.keys(entry)) {
      if (!FIELD_KEYS.has(key)) {
        say(fieldWhere, `unknown key "${key}"`);
        ok = false;
      }
    }
    for (const key of ['required', 'isEventTime'] as const) {
      if (entry[key] !== undefined && typeof entry[key] !== 'boolean') {
        say(fieldWhere, `"${key}" must be true or false`);
        ok = false;
      }
    }
    if (entry['description'] !== undefined && typeof entry['description'] !== 'string') {
      say(fieldWhere, '"description" must be a string');
      ok = false;
    }
    const value = validateValue(entry, path, say);
    if (value === undefined) {
      ok = false;
      return;
    }
    if (entry['isEventTime'] === true && value.type !== 'timestamp') {
      say(fieldWhere, '"isEventTime" is only allowed on timestamp fields');
      ok = false;
    }
    out.push({
      ...value,
      name: name as string,
      required: entry['required'] === true,
      isEventTime: entry['isEventTime'] === true,
      ...(typeof entry['description'] === 'string' ? { description: entry['description'] } : {}),
    });
  });
  return ok ? out : undefined;
}

function validateValue(entry: Record<string, unknown>, path: string, say: Say): ValueSpec | undefined {
  const where = `field "${path}": `;
  const type = entry['type'];
  if (typeof type !== 'string') {
    say(where, '"type" is missing (one of ' + VALUE_TYPES.join(', ') + ')');
    return undefined;
  }
  if (!(VALUE_TYPES as readonly string[]).includes(type)) {
    say(where, `unknown type "${type}" (one of ${VALUE_TYPES.join(', ')})`);
    return undefined;
  }
  let ok = true;
  const spec: { -readonly [K in keyof ValueSpec]: ValueSpec[K] } = { type: type as ValueType };

  // timeFormats: only on timestamps, required there. `timeFormat` (singular) is Panther's older spelling.
  const formatsRaw = entry['timeFormats'] ?? (entry['timeFormat'] !== undefined ? [entry['timeFormat']] : undefined);
  if (type === 'timestamp') {
    if (!Array.isArray(formatsRaw) || formatsRaw.length === 0) {
      say(where, 'a timestamp needs "timeFormats" (a non-empty list)');
      ok = false;
    } else {
      const formats: string[] = [];
      for (const f of formatsRaw) {
        const problem = timeFormatProblem(f);
        if (problem !== undefined) {
          say(where, problem);
          ok = false;
        } else {
          formats.push(f as string);
        }
      }
      spec.timeFormats = formats;
    }
  } else if (formatsRaw !== undefined) {
    say(where, '"timeFormats" is only allowed on timestamp fields');
    ok = false;
  }

  const indicators = entry['indicators'];
  if (indicators !== undefined) {
    if (type !== 'string') {
      say(where, '"indicators" are only allowed on string values');
      ok = false;
    } else if (!Array.isArray(indicators)) {
      say(where, '"indicators" must be a list');
      ok = false;
    } else {
      for (const ind of indicators) {
        if (typeof ind !== 'string' || !Object.hasOwn(INDICATOR_FIELDS, ind)) {
          say(where, `unknown indicator ${JSON.stringify(ind)} (one of ${Object.keys(INDICATOR_FIELDS).join(', ')})`);
          ok = false;
        }
      }
      spec.indicators = indicators as IndicatorName[];
    }
  }

  const element = entry['element'];
  if (type === 'array') {
    if (!isPlainObject(element)) {
      say(where, 'an array needs "element" (a mapping with a "type")');
      ok = false;
    } else {
      for (const key of Object.keys(element)) {
        if (!ELEMENT_KEYS.has(key)) {
          say(`field "${path}[]": `, `unknown key "${key}"`);
          ok = false;
        }
      }
      const el = validateValue(element, `${path}[]`, say);
      if (el === undefined) ok = false;
      else spec.element = el;
    }
  } else if (element !== undefined) {
    say(where, '"element" is only allowed on arrays');
    ok = false;
  }

  const fields = entry['fields'];
  if (type === 'object') {
    const nested = validateFields(fields, path, say);
    if (nested === undefined) ok = false;
    else spec.fields = nested;
  } else if (fields !== undefined) {
    say(where, '"fields" is only allowed on objects');
    ok = false;
  }
  return ok ? spec : undefined;
}

function timeFormatProblem(f: unknown): string | undefined {
  if (typeof f !== 'string' || f === '') return `invalid timeFormat ${JSON.stringify(f)}: must be a non-empty string`;
  if ((BUILTIN_TIME_FORMATS as readonly string[]).includes(f)) return undefined;
  // A format with no directive can only match itself: almost surely a misspelt built-in (`rfc3399`).
  if (!f.includes('%')) {
    return `invalid timeFormat "${f}": not a built-in (${BUILTIN_TIME_FORMATS.join(', ')}) and has no strftime directive`;
  }
  const problem = strftimeProblem(f);
  return problem === undefined ? undefined : `invalid timeFormat "${f}": ${problem}`;
}
