/**
 * `schema derive`'s core: from a base Panther schema and the records it refused (or carried unknown fields
 * in), a custom schema that accepts every one of those records and keeps every field they carry.
 *
 * How a field is widened: the relay's own engine is the judge. The records are checked against the
 * candidate schema; for each top-level field that refuses some of them, the field moves one step up its
 * ladder (WIDER) to the first type that takes every value it refused, until every record passes. Each
 * ladder only holds types that take every value the base type took (a string field takes numbers as their
 * literal text; json takes anything), so widening never refuses a record the base schema accepted.
 * A required field absent (or empty) in some records becomes optional instead; a timestamp whose formats miss
 * some values first tries the built-in formats before it becomes a string.
 *
 * The base schema's YAML document is edited in place (yaml's Document API), so field order, descriptions,
 * required, indicators, timeFormats and isEventTime of every untouched field stay exactly as written.
 */
import { parseDocument, type Document, YAMLMap } from 'yaml';
import { SchemaEngine } from '../engine.js';
import { parseExact } from '../json-exact.js';
import type { FieldSpec, IndicatorName, SchemaSpec, ValueSpec, ValueType } from '../schema-model.js';
import type { SchemaSource } from '../schema-loader.js';
import type { RejectReason } from '../verdict.js';
import { RawNumber } from '../raw-number.js';
import { ShapeTally, shapeOf } from './value-shapes.js';

/** One record to derive from: its text as the relay checks it (repairs applied). */
export interface DeriveRecord {
  readonly text: string;
}

/** What the caller asks for. */
export interface DeriveOptions {
  /** The base schema's file (its YAML is edited, not rewritten). */
  readonly base: SchemaSource;
  readonly baseSpec: SchemaSpec;
  /** The derived schema's name (`Custom.ZPA.<Type>`). */
  readonly name: string;
  /** Add the fields the records carry that the base lacks. */
  readonly addFields: boolean;
}

/** A base field the derivation changed. */
export interface FieldChange {
  readonly field: string;
  readonly from: string;
  readonly to: string;
  /** Examined records whose value the base field refused (or lacked, for a required one). */
  readonly records: number;
  readonly shapes: string;
  readonly requiredDropped: boolean;
}

/** A field the base schema lacked, added. */
export interface AddedField {
  readonly field: string;
  readonly type: string;
  readonly records: number;
  readonly indicators: readonly IndicatorName[];
}

export interface DeriveResult {
  /** The derived schema's YAML text. */
  readonly yaml: string;
  /** The derived schema, loaded (it validated as a Panther schema). */
  readonly engine: SchemaEngine;
  readonly changed: readonly FieldChange[];
  readonly added: readonly AddedField[];
  /** Records examined (JSON objects); of those, the ones the ladder and the final check ran on, and of those the derived schema accepts. */
  readonly examined: number;
  readonly checked: number;
  readonly accepted: number;
  /** Records no schema can take, by reason: counted and left out. */
  readonly leftOut: Readonly<Partial<Record<RejectReason, number>>>;
  /** Records still refused (empty unless the ladder ran out: a bug to report). */
  readonly stillRefused: readonly string[];
}

/** Each type's ladder: wider types that take every value it takes, narrowest first (see the module comment). */
const WIDER: Record<ValueType, readonly ValueType[]> = {
  smallint: ['int', 'bigint', 'string', 'json'],
  int: ['bigint', 'string', 'json'],
  bigint: ['string', 'json'],
  float: ['string', 'json'],
  boolean: ['string', 'json'],
  timestamp: ['string', 'json'],
  string: ['json'],
  array: ['json'],
  object: ['json'],
  json: [],
};

/** Built-in formats a timestamp field may gain before it has to become a string. */
const EXTRA_TIME_FORMATS = ['rfc3339', 'unix', 'unix_ms', 'unix_us', 'unix_ns'];

/** Indicators an added string field gets from its name (Panther's standard fields). */
const NAME_INDICATORS: ReadonlyArray<[RegExp, IndicatorName]> = [
  [/(IP|Ip|IPAddress|IpAddress)$|^ip$/, 'ip'],
  [/(Hostname|HostName|FQDN)$/, 'hostname'],
  [/Domain$/, 'domain'],
  [/(Email|EMail|Mail)$/, 'email'],
  [/(UserName|Username|^User)$/, 'username'],
  [/(URL|Url)$/, 'url'],
  [/MD5$/i, 'md5'],
  [/SHA1$/i, 'sha1'],
  [/SHA256$/i, 'sha256'],
];

const MAX_ROUNDS = 200;

/** The field a failure path belongs to: `Policy`, `SAML.x` -> `SAML`, `List[0]` -> `List`. */
function topField(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  const m = /^[^.[]+/.exec(path);
  return m ? m[0] : path;
}

/** One field of the schema being derived. */
interface Draft {
  spec: FieldSpec;
  /** The base's type (undefined for an added field). */
  readonly baseType: string | undefined;
  readonly index: number;
  /** Records the base refused on this field, and the shapes of their values. */
  readonly failing: Set<number>;
  readonly shapes: ShapeTally;
  requiredDropped: boolean;
  timeFormatsAdded: string[];
  added?: { records: number; shapes: ShapeTally };
}

/** What Panther calls a value spec's type, with an array's element (`array of string`). */
function typeName(v: ValueSpec): string {
  if (v.type === 'array' && v.element) return `array of ${typeName(v.element)}`;
  if (v.type === 'timestamp' && v.timeFormats) return `timestamp (${v.timeFormats.join(', ')})`;
  return v.type;
}

/** Records kept for the ladder: a real store holds millions, but their shapes repeat (see DeriveCollector.add). */
const MAX_KEPT = 20_000;
const KEPT_PER_REFUSAL = 200;
const KEPT_PER_SHAPE = 20;

/**
 * Takes the records one at a time (a store holds gigabytes), keeps the ones the derivation needs, and
 * derives the schema from them. Every record is examined: counted, its unknown fields tallied, and checked
 * against the base schema. Only a bounded, varied subset is kept for the ladder and the final check: per
 * base refusal (reason and field) the first KEPT_PER_REFUSAL, and per shape of the record (its keys and the
 * kind of each value: integer, text, list, ...) with that verdict the first KEPT_PER_SHAPE, MAX_KEPT in all.
 */
export class DeriveCollector {
  private readonly baseEngine: SchemaEngine;
  private readonly kept: Array<{ text: string; obj: Record<string, unknown> }> = [];
  private readonly keptBy = new Map<string, number>();
  private readonly baseNames: ReadonlySet<string>;
  /** Unknown top-level keys, and the base's fields: the shapes of their values over every record. */
  private readonly unknown = new Map<string, ShapeTally>();
  private readonly base = new Map<string, ShapeTally>();
  /** Records the base refused, by the field its verdict names. */
  readonly baseRefusedBy = new Map<string, number>();
  readonly leftOut: Partial<Record<RejectReason, number>> = {};
  examined = 0;

  constructor(private readonly opts: DeriveOptions) {
    this.baseEngine = SchemaEngine.fromSpecs([opts.baseSpec]);
    this.baseNames = new Set(opts.baseSpec.fields.map((f) => f.name));
  }

  /** The record texts kept (for the schema tests). */
  get keptRecords(): readonly DeriveRecord[] {
    return this.kept;
  }

  add(text: string): void {
    let obj: unknown;
    try {
      // JSON.parse decides validity, as in the engine (the exact parser is laxer: it takes `00.5`).
      JSON.parse(text);
      obj = parseExact(text);
    } catch {
      this.leftOut.invalid_json = (this.leftOut.invalid_json ?? 0) + 1;
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      this.leftOut.not_an_object = (this.leftOut.not_an_object ?? 0) + 1;
      return;
    }
    const rec = obj as Record<string, unknown>;
    this.examined++;
    const shape: string[] = [];
    for (const key of Object.keys(rec)) {
      const kind = shapeOf(rec[key]);
      shape.push(`${key}:${kind}${kind === 'integer' || kind === 'digits' ? (String(rec[key] instanceof RawNumber ? (rec[key] as RawNumber).text : rec[key]).length > 18 ? '+' : '') : ''}`);
      const tallies = this.baseNames.has(key) ? this.base : this.unknown;
      let t = tallies.get(key);
      if (t === undefined) tallies.set(key, (t = new ShapeTally()));
      t.add(rec[key]);
    }
    const v = this.baseEngine.checkLine(text, this.opts.baseSpec.schema).verdict;
    const verdict = v.status === 'accepted' ? 'accepted' : `${v.reason}\0${topField(v.field) ?? ''}`;
    if (v.status === 'rejected') {
      const f = topField(v.field) ?? '';
      this.baseRefusedBy.set(f, (this.baseRefusedBy.get(f) ?? 0) + 1);
    }
    if (this.kept.length >= MAX_KEPT) return;
    const byVerdict = this.keptBy.get(verdict) ?? 0;
    const shapeKey = `${verdict}\0${shape.join(',')}`;
    const byShape = this.keptBy.get(shapeKey) ?? 0;
    if ((v.status === 'rejected' && byVerdict < KEPT_PER_REFUSAL) || byShape < KEPT_PER_SHAPE) {
      this.kept.push({ text, obj: rec });
      this.keptBy.set(verdict, byVerdict + 1);
      this.keptBy.set(shapeKey, byShape + 1);
    }
  }

  /** Derives the schema from what was added; the caller writes it (and its tests) only when `stillRefused` is empty. */
  derive(): DeriveResult {
    return deriveFrom(this.kept, this.examined, this.leftOut, this.opts.addFields ? this.unknown : new Map(), this.base, this.baseRefusedBy, this.opts);
  }
}

function deriveFrom(
  objects: ReadonlyArray<{ text: string; obj: Record<string, unknown> }>,
  examined: number,
  leftOut: Partial<Record<RejectReason, number>>,
  unknown: ReadonlyMap<string, ShapeTally>,
  baseTallies: ReadonlyMap<string, ShapeTally>,
  baseRefusedBy: ReadonlyMap<string, number>,
  opts: DeriveOptions,
): DeriveResult {
  const sampled = objects.length < examined;
  const drafts: Draft[] = opts.baseSpec.fields.map((spec, index) => ({
    spec,
    baseType: typeName(spec),
    index,
    failing: new Set<number>(),
    shapes: new ShapeTally(),
    requiredDropped: false,
    timeFormatsAdded: [],
  }));
  const byName = new Map(drafts.map((d) => [d.spec.name, d]));
  for (const [name, tally] of unknown) addUnknownField(name, tally, drafts, byName);

  let engine = buildEngine(opts, drafts);
  let refused = refusals(engine, opts.name, objects.map((_, i) => i), objects);
  for (let round = 0; refused.size > 0 && round < MAX_ROUNDS; round++) {
    let progressed = false;
    for (const [field, failures] of byField(refused)) {
      const d = byName.get(field);
      if (d === undefined) continue;
      for (const { index, reason } of failures) {
        if (!d.failing.has(index)) {
          d.failing.add(index);
          d.shapes.add(objects[index]!.obj[field]);
        }
        if (reason === 'missing_required' && d.spec.required) {
          d.spec = { ...d.spec, required: false };
          d.requiredDropped = true;
          progressed = true;
        }
      }
      if (failures.every((f) => f.reason === 'missing_required')) continue;
      if (widenField(opts, drafts, d, failures.map((f) => f.index), objects)) progressed = true;
    }
    engine = buildEngine(opts, drafts);
    refused = refusals(engine, opts.name, objects.map((_, i) => i), objects);
    if (!progressed) break;
  }

  const changed: FieldChange[] = [];
  const added: AddedField[] = [];
  for (const d of drafts) {
    if (d.added !== undefined) {
      added.push({ field: d.spec.name, type: typeName(d.spec), records: d.added.records, indicators: d.spec.indicators ?? [] });
    } else if (d.failing.size > 0) {
      // Counted over every examined record: by the kinds of values the base type refuses where kinds tell;
      // else (timestamps, ranges, absent required fields) at least what the base's verdicts named (the first
      // failing field of each record) and what the subset the ladder ran on showed.
      const exact = d.requiredDropped ? undefined : baseTallies.get(d.spec.name)?.refusedBy(opts.baseSpec.fields[d.index]!.type);
      const records = exact?.count ?? Math.max(d.failing.size, baseRefusedBy.get(d.spec.name) ?? 0);
      const shapes = exact?.shapes ?? d.shapes.describe(!sampled);
      changed.push({ field: d.spec.name, from: d.baseType!, to: typeName(d.spec), records, shapes, requiredDropped: d.requiredDropped });
    }
  }
  return {
    yaml: renderYaml(opts, drafts, examined, changed),
    engine,
    changed,
    added,
    examined,
    checked: objects.length,
    accepted: objects.length - refused.size,
    leftOut,
    stillRefused: [...refused.values()].map((v) => `${v.reason}${v.field ? ` ${v.field}` : ''}`),
  };
}

/** Adds, after the base fields and in the order first seen, a top-level key the base lacks. */
function addUnknownField(name: string, tally: ShapeTally, drafts: Draft[], byName: Map<string, Draft>): void {
  const value = tally.inferValueSpec();
  const indicators = value.type === 'string' ? NAME_INDICATORS.filter(([re]) => re.test(name)).map(([, ind]) => ind).slice(0, 1) : [];
  const spec: FieldSpec = { name, required: false, isEventTime: false, ...value, ...(indicators.length > 0 ? { indicators } : {}) };
  const d: Draft = { spec, baseType: undefined, index: drafts.length, failing: new Set(), shapes: tally, requiredDropped: false, timeFormatsAdded: [], added: { records: tally.seen, shapes: tally } };
  drafts.push(d);
  byName.set(name, d);
}

/** The refused records among `indices`: index -> the verdict's reason and field. */
function refusals(engine: SchemaEngine, name: string, indices: readonly number[], objects: ReadonlyArray<{ text: string }>): Map<number, { reason: RejectReason; field?: string }> {
  const out = new Map<number, { reason: RejectReason; field?: string }>();
  for (const i of indices) {
    const v = engine.checkLine(objects[i]!.text, name).verdict;
    if (v.status === 'rejected') out.set(i, v.field === undefined ? { reason: v.reason } : { reason: v.reason, field: v.field });
  }
  return out;
}

function byField(refused: ReadonlyMap<number, { reason: RejectReason; field?: string }>): Map<string, Array<{ index: number; reason: RejectReason }>> {
  const m = new Map<string, Array<{ index: number; reason: RejectReason }>>();
  for (const [index, v] of refused) {
    const f = topField(v.field);
    if (f === undefined) continue;
    const list = m.get(f);
    if (list) list.push({ index, reason: v.reason });
    else m.set(f, [{ index, reason: v.reason }]);
  }
  return m;
}

/**
 * Moves `d` to the first type (or, for a timestamp, first set of formats) under which none of `failing` is
 * refused on this field any more. Returns false when its ladder has no step left.
 */
function widenField(opts: DeriveOptions, drafts: Draft[], d: Draft, failing: readonly number[], objects: ReadonlyArray<{ text: string }>): boolean {
  const stillFails = (): boolean => {
    const engine = buildEngine(opts, drafts);
    for (const v of refusals(engine, opts.name, failing, objects).values()) if (topField(v.field) === d.spec.name) return true;
    return false;
  };
  const before = d.spec;
  if (d.spec.type === 'timestamp') {
    for (const f of EXTRA_TIME_FORMATS) {
      if (d.spec.timeFormats?.includes(f)) continue;
      const previous = d.spec;
      d.spec = { ...d.spec, timeFormats: [...(d.spec.timeFormats ?? []), f] };
      if (!stillFails()) {
        d.timeFormatsAdded.push(f);
        return true;
      }
      d.spec = previous;
    }
  }
  for (const type of WIDER[d.spec.type]) {
    d.spec = retype(before, type);
    if (!stillFails()) return true;
  }
  if (WIDER[before.type].length === 0) return false;
  return true; // json takes any value: stillFails() only stays true for another field's failure
}

/** `spec` as `type`: the keys only the old type may carry (element, fields, timeFormats, isEventTime, indicators) go. */
function retype(spec: FieldSpec, type: ValueType): FieldSpec {
  const { element: _e, fields: _f, timeFormats: _t, indicators, ...rest } = spec;
  const next: FieldSpec = { ...rest, type, isEventTime: false };
  return type === 'string' && indicators !== undefined ? { ...next, indicators } : next;
}

function buildEngine(opts: DeriveOptions, drafts: readonly Draft[]): SchemaEngine {
  const spec: SchemaSpec = { file: `${opts.name} (derived)`, schema: opts.name, fields: drafts.map((d) => d.spec) };
  return SchemaEngine.fromSpecs([spec]);
}

/** The derived schema's YAML: the base document with its name, the changed fields and the added ones edited in. */
function renderYaml(opts: DeriveOptions, drafts: readonly Draft[], examined: number, changed: readonly FieldChange[]): string {
  const doc = parseDocument(opts.base.text);
  doc.set('schema', opts.name);
  const baseDescription = opts.baseSpec.description ?? opts.baseSpec.schema;
  doc.set('description', `${baseDescription} (derived from ${opts.baseSpec.schema} by zpa-relay schema derive, from ${examined} examined records)`);
  for (const d of drafts) {
    if (d.added !== undefined) {
      doc.addIn(['fields'], doc.createNode(addedFieldYaml(d, examined)));
      continue;
    }
    if (d.failing.size === 0) continue;
    const node = doc.getIn(['fields', d.index]) as YAMLMap;
    editField(doc, node, d, examined, changed.find((c) => c.field === d.spec.name)!);
  }
  return doc.toString({ lineWidth: 0 });
}

function editField(doc: Document, node: YAMLMap, d: Draft, examined: number, change: FieldChange): void {
  const base = descriptionOf(node);
  const notes: string[] = [];
  if (d.requiredDropped) {
    node.delete('required');
    notes.push(`Made optional by zpa-relay schema derive: absent, null or empty in some of the ${change.records} of ${examined} examined records the base schema refused for it.`);
  }
  const typeChanged = d.spec.type !== (node.get('type') as string);
  if (d.timeFormatsAdded.length > 0 && !typeChanged) {
    node.set('timeFormats', doc.createNode(d.spec.timeFormats));
    notes.push(`Time formats ${d.timeFormatsAdded.join(', ')} added by zpa-relay schema derive: ${change.records} of ${examined} examined records carried ${change.shapes}.`);
  }
  if (typeChanged) {
    const from = d.baseType!;
    node.set('type', d.spec.type);
    for (const key of ['element', 'fields', 'timeFormats', 'timeFormat', 'isEventTime']) node.delete(key);
    if (d.spec.indicators === undefined) node.delete('indicators');
    notes.push(
      `Widened from ${from} to ${typeName(d.spec)} by zpa-relay schema derive: ${change.records} of ${examined} examined records carried ${change.shapes}, which ${from} refuses; ${typeName(d.spec)} also takes every value ${from} takes.`,
    );
  }
  node.set('description', [base, ...notes].filter((s) => s !== '').join(' '));
}

function descriptionOf(node: YAMLMap): string {
  const v = node.get('description');
  return typeof v === 'string' ? v : '';
}

/** The YAML mapping of an added field, keys in the bundled schemas' order. */
function addedFieldYaml(d: Draft, examined: number): Record<string, unknown> {
  const s = d.spec;
  const out: Record<string, unknown> = { name: s.name };
  out['description'] =
    `Added by zpa-relay schema derive (not in the documented schema, so Panther would drop it): present in ${d.added!.records} of ${examined} examined records, as ${d.added!.shapes.describe()}.`;
  Object.assign(out, valueYaml(s));
  return out;
}

function valueYaml(v: ValueSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { type: v.type };
  if (v.element !== undefined) out['element'] = valueYaml(v.element);
  if (v.fields !== undefined) out['fields'] = v.fields.map((f) => ({ name: f.name, ...valueYaml(f) }));
  if (v.timeFormats !== undefined) out['timeFormats'] = [...v.timeFormats];
  if (v.indicators !== undefined && v.indicators.length > 0) out['indicators'] = [...v.indicators];
  return out;
}
