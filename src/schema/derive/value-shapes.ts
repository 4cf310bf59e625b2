/**
 * The shapes of the values a field held across records: what `schema derive` infers a type from and writes
 * into descriptions. A shape says what kind of value it was (an integer of 17-18 digits, text of 3-20
 * characters, a comma-joined list), never the value itself: descriptions end up in Panther and in a
 * repository, and record values carry user names, addresses and policy names.
 */
import { RawNumber } from '../raw-number.js';
import type { FieldSpec, ValueSpec, ValueType } from '../schema-model.js';

/** The kinds a value is sorted into; each Panther type accepts a fixed set of them (ACCEPTS). */
export type ShapeKind =
  | 'absent'
  | 'null'
  | 'empty'
  | 'boolean'
  | 'integer'
  | 'decimal'
  | 'digits'
  | 'numeric_text'
  | 'bool_text'
  | 'rfc3339'
  | 'list_text'
  | 'json_text'
  | 'text'
  | 'object'
  | 'array';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
const NUMERIC = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL_TEXT = new Set(['true', 'false', 'TRUE', 'FALSE', 'True', 'False']);
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** The kind of one value as the exact parser (json-exact.ts) gives it. */
export function shapeOf(v: unknown): ShapeKind {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) && !String(v).includes('e') ? 'integer' : 'decimal';
  if (v instanceof RawNumber) return /^-?\d+$/.test(v.text) ? 'integer' : 'decimal';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  const s = String(v);
  if (s === '') return 'empty';
  if (/^-?\d+$/.test(s)) return 'digits';
  if (NUMERIC.test(s)) return 'numeric_text';
  if (BOOL_TEXT.has(s)) return 'bool_text';
  if (RFC3339.test(s)) return 'rfc3339';
  const t = s.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(s);
      return 'json_text';
    } catch {
      // Not a JSON document after all: plain text that starts with a bracket.
    }
  }
  if (s.includes(',')) return 'list_text';
  return 'text';
}

/** Whether an integer literal (or digit string) fits Panther's bigint (int64). */
function fitsInt64(text: string): boolean {
  try {
    const n = BigInt(text);
    return n >= INT64_MIN && n <= INT64_MAX;
  } catch {
    return false;
  }
}

/** A [min, max] range that grows to take each value. */
class Range {
  min = Infinity;
  max = -Infinity;
  add(n: number): void {
    if (n < this.min) this.min = n;
    if (n > this.max) this.max = n;
  }
  toString(): string {
    return this.min === this.max ? String(this.min) : `${this.min}-${this.max}`;
  }
}

/** The scalar types an added field may be given, narrowest first (see inferValueSpec). */
const SCALAR_ORDER: readonly ValueType[] = ['boolean', 'bigint', 'float', 'timestamp', 'string', 'json'];

/** Which of SCALAR_ORDER take a value of each kind (Panther's coercions, FACTS.md; schema/coerce-*.ts). */
const ACCEPTS: Record<Exclude<ShapeKind, 'object' | 'array'>, ReadonlySet<ValueType>> = {
  absent: new Set(SCALAR_ORDER),
  null: new Set(SCALAR_ORDER),
  empty: new Set(['bigint', 'float', 'timestamp', 'string', 'json']),
  boolean: new Set(['boolean', 'string', 'json']),
  integer: new Set(['bigint', 'float', 'string', 'json']),
  decimal: new Set(['float', 'string', 'json']),
  digits: new Set(['bigint', 'float', 'string', 'json']),
  numeric_text: new Set(['float', 'string', 'json']),
  bool_text: new Set(['boolean', 'string', 'json']),
  rfc3339: new Set(['timestamp', 'string', 'json']),
  list_text: new Set(['string', 'json']),
  json_text: new Set(['string', 'json']),
  text: new Set(['string', 'json']),
};

/**
 * The kinds each base type takes, where kinds alone decide it (ranges aside); undefined where they do not
 * (a timestamp depends on its formats, a boolean on which digits).
 */
const BASE_ACCEPTS: Partial<Record<ValueType, ReadonlySet<ShapeKind>>> = {
  smallint: new Set(['absent', 'null', 'empty', 'integer', 'digits']),
  int: new Set(['absent', 'null', 'empty', 'integer', 'digits']),
  bigint: new Set(['absent', 'null', 'empty', 'integer', 'digits']),
  float: new Set(['absent', 'null', 'empty', 'integer', 'decimal', 'digits', 'numeric_text']),
  string: new Set(['absent', 'null', 'empty', 'boolean', 'integer', 'decimal', 'digits', 'numeric_text', 'bool_text', 'rfc3339', 'list_text', 'json_text', 'text']),
  array: new Set(['absent', 'null', 'array']),
  object: new Set(['absent', 'null', 'object']),
};

/** Tallies the shapes of one field's values (recursively for objects and arrays). */
export class ShapeTally {
  /** Records that held the field (any value, null included). */
  seen = 0;
  readonly kinds = new Map<ShapeKind, number>();
  private readonly digits = new Range();
  private readonly chars = new Range();
  private readonly items = new Range();
  private textWithSpaces = false;
  private int64Overflow = false;
  /** Object values: the tally of each key, and the distinct key sets (capped). */
  readonly children = new Map<string, ShapeTally>();
  readonly keySets = new Set<string>();
  /** Array values: the tally of their elements. */
  elements: ShapeTally | undefined;

  add(v: unknown): void {
    this.seen++;
    const kind = shapeOf(v);
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    switch (kind) {
      case 'integer':
      case 'digits': {
        const text = v instanceof RawNumber ? v.text : String(v);
        this.digits.add(text.replace('-', '').length);
        if (!fitsInt64(text)) this.int64Overflow = true;
        break;
      }
      case 'text':
      case 'list_text': {
        const s = v as string;
        this.chars.add(s.length);
        if (kind === 'list_text') this.items.add(s.split(',').length);
        else if (s.includes(' ')) this.textWithSpaces = true;
        break;
      }
      case 'object': {
        const keys = Object.keys(v as object);
        if (this.keySets.size < 64) this.keySets.add(keys.join('\0'));
        for (const k of keys) {
          let c = this.children.get(k);
          if (c === undefined) this.children.set(k, (c = new ShapeTally()));
          c.add((v as Record<string, unknown>)[k]);
        }
        break;
      }
      case 'array':
        this.elements ??= new ShapeTally();
        for (const e of v as unknown[]) this.elements.add(e);
        break;
      default:
    }
  }

  /** Kinds other than null and empty (the values that say something about the type). */
  private informative(): ShapeKind[] {
    return [...this.kinds.keys()].filter((k) => k !== 'absent' && k !== 'null' && k !== 'empty');
  }

  /**
   * The narrowest Panther value type that takes every value seen: boolean, bigint, float, timestamp
   * (rfc3339), string, then json; an object whose key set never changes becomes an object of its keys, an
   * array of scalars an array of their type. Integers are bigint, never int or smallint: a sample cannot
   * bound a counter, and LSS's IDs are 64-bit. Only nulls and empty strings seen: string.
   */
  inferValueSpec(): ValueSpec {
    const kinds = this.informative();
    if (kinds.length === 0) return { type: 'string' };
    if (kinds.every((k) => k === 'object')) {
      if (this.keySets.size !== 1 || this.kinds.has('empty')) return { type: 'json' };
      const fields: FieldSpec[] = [];
      for (const [name, tally] of this.children) {
        fields.push({ name, required: false, isEventTime: false, ...tally.inferValueSpec() });
      }
      return { type: 'object', fields };
    }
    if (kinds.every((k) => k === 'array')) {
      if (this.kinds.has('empty')) return { type: 'json' };
      const element = this.elements?.inferValueSpec() ?? { type: 'string' };
      return element.type === 'json' || element.type === 'object' || element.type === 'array' ? { type: 'json' } : { type: 'array', element };
    }
    if (kinds.some((k) => k === 'object' || k === 'array')) return { type: 'json' };
    for (const type of SCALAR_ORDER) {
      if (type === 'bigint' && this.int64Overflow) continue;
      if (![...this.kinds.keys()].every((k) => ACCEPTS[k as keyof typeof ACCEPTS].has(type))) continue;
      return type === 'timestamp' ? { type, timeFormats: ['rfc3339'] } : { type };
    }
    return { type: 'json' };
  }

  /**
   * The values of kinds `type` refuses: how many, and their shapes with counts; undefined where kinds alone
   * cannot tell (see BASE_ACCEPTS) or none was refused by kind (a range, say).
   */
  refusedBy(type: ValueType): { count: number; shapes: string } | undefined {
    const takes = BASE_ACCEPTS[type];
    if (takes === undefined) return undefined;
    const refused = [...this.kinds.entries()].filter(([k]) => !takes.has(k)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const count = refused.reduce((n, [, c]) => n + c, 0);
    if (count === 0) return undefined;
    return { count, shapes: refused.map(([k, n]) => `${n} ${this.label(k)}`).join(', ') };
  }

  /** The values seen, described by shape (and count, unless these were a sample), most common first, never by value. */
  describe(withCounts = true): string {
    const parts = [...this.kinds.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([kind, n]) => (withCounts ? `${n} ${this.label(kind)}` : this.label(kind)));
    return parts.join(', ');
  }

  private label(kind: ShapeKind): string {
    switch (kind) {
      case 'absent':
        return 'without the field';
      case 'null':
        return 'null';
      case 'empty':
        return 'empty strings';
      case 'boolean':
        return 'JSON booleans';
      case 'integer':
        return `integers of ${this.digits} digits`;
      case 'decimal':
        return 'decimal numbers';
      case 'digits':
        return `strings of ${this.digits} digits`;
      case 'numeric_text':
        return 'numeric strings';
      case 'bool_text':
        return 'true/false strings';
      case 'rfc3339':
        return 'RFC 3339 timestamps';
      case 'list_text':
        return `comma-joined lists of ${this.items} items`;
      case 'json_text':
        return 'JSON documents inside strings';
      case 'text':
        return `text of ${this.chars} characters${this.textWithSpaces ? ', some with spaces' : ''}`;
      case 'object': {
        const keys = [...this.children.keys()];
        return `JSON objects (keys: ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''})`;
      }
      case 'array': {
        const inner = this.elements?.describe();
        return `JSON arrays${inner ? ` (elements: ${inner})` : ' (empty)'}`;
      }
    }
  }
}
