/**
 * Generated and mutated LSS records for the differential test: LssGenerator output for the five log types,
 * then, for most records, one or two mutations: field deletions, type swaps, odd and huge numbers, odd
 * timestamps, nesting depth, duplicate and escaped keys, truncations, byte flips, and the repairs' inputs.
 * Deterministic for a seed.
 */
import { LssGenerator, rng } from '../../bench/lss/generate.js';
import { RAW_VALUES } from './fixtures.js';

const ODD_TIMES = RAW_VALUES.filter((v) => /^"(\w{3} |\d{4}-|\d+"$)/.test(v) || /^-?\d/.test(v));
const FLIP_BYTES = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x30, 0x31, 0x65, 0x2d, 0x2e, 0x09, 0x00, 0x1f, 0xff, 0xc3, 0x80, 0x6e, 0x74, 0x41, 0x0d];

/** A deterministic source of records, plain and mutated. */
export class RecordMutator {
  private readonly r: () => number;
  private readonly gen: LssGenerator;
  private readonly named: LssGenerator;

  constructor(seed: number) {
    this.r = rng(seed);
    this.gen = new LssGenerator(seed);
    this.named = new LssGenerator(seed + 1, { policyNameShare: 0.5 });
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }

  /** A fresh, unmutated record of a random log type. */
  plain(): string {
    switch (Math.floor(this.r() * 6)) {
      case 0:
        return this.gen.userActivity();
      case 1:
        return this.named.userActivity();
      case 2:
        return this.gen.userStatus();
      case 3:
        return this.gen.connectorStatus();
      case 4:
        return this.gen.connectorMetrics();
      default:
        return this.gen.audit();
    }
  }

  /** A record with 0-2 mutations (a quarter stay plain); a Buffer when a byte-level mutation made it so. */
  next(): string | Buffer {
    let rec: string | Buffer = this.plain();
    const n = this.r() < 0.25 ? 0 : this.r() < 0.7 ? 1 : 2;
    for (let k = 0; k < n; k++) rec = this.mutate(rec);
    return rec;
  }

  /** Top-level `"Key": value` spans of a flat LSS record (value up to the next top-level comma). */
  private pairs(s: string): Array<{ keyStart: number; valueStart: number; end: number }> {
    const out: Array<{ keyStart: number; valueStart: number; end: number }> = [];
    let depth = 0;
    let inStr = false;
    let pairStart = 1;
    let valueStart = -1;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (inStr) {
        if (c === '\\') i++;
        else if (c === '"') inStr = false;
        continue;
      }
      if (c === '"') inStr = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0 && valueStart > 0) out.push({ keyStart: pairStart, valueStart, end: i });
      } else if (c === ':' && depth === 1 && valueStart < 0) valueStart = i + 1;
      else if (c === ',' && depth === 1) {
        if (valueStart > 0) out.push({ keyStart: pairStart, valueStart, end: i });
        pairStart = i + 1;
        valueStart = -1;
      }
    }
    return out;
  }

  private mutate(rec: string | Buffer): string | Buffer {
    if (Buffer.isBuffer(rec)) return this.byteMutation(rec);
    const s = rec;
    const pairs = this.pairs(s);
    const p = pairs.length > 0 ? this.pick(pairs) : undefined;
    const choice = Math.floor(this.r() * 13);
    if (p === undefined || choice >= 11) return this.byteMutation(Buffer.from(s));
    const key = s.slice(p.keyStart, p.valueStart - 1);
    switch (choice) {
      case 0: // field deletion (with its comma)
        return s.slice(0, p.keyStart) + s.slice(p.end + (s[p.end] === ',' ? 1 : 0));
      case 1:
      case 2: // type swap or odd value
        return s.slice(0, p.valueStart) + ' ' + this.pick(RAW_VALUES) + s.slice(p.end);
      case 3: // odd timestamp in a time field, or in any field
        return s.slice(0, p.valueStart) + ' ' + this.pick(ODD_TIMES) + s.slice(p.end);
      case 4: // huge or exotic number
        return s.slice(0, p.valueStart) + ' ' + this.pick(['1e400', '-0', '6.0', '9223372036854775808', '-9223372036854775809', `1${'0'.repeat(30)}`, '1E-400', '0.000001', '123456789012345678']) + s.slice(p.end);
      case 5: { // nesting depth (beyond simdjson's 1024 sometimes)
        const depth = this.pick([1, 5, 100, 1000, 1100, 3000]);
        const open = this.r() < 0.5 ? '[' : '{"a":';
        const close = open === '[' ? ']' : '}';
        return s.slice(0, p.valueStart) + ' ' + open.repeat(depth) + '1' + close.repeat(depth) + s.slice(p.end);
      }
      case 6: // duplicate key, the later one wins
        return s.slice(0, s.length - 1) + `, ${key}: ${this.pick(RAW_VALUES)}}`;
      case 7: { // escaped key spelling of the same name
        const name = key.slice(1, -1);
        if (name.length === 0) return s;
        const esc = `\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${name.slice(1)}`;
        return s.slice(0, p.keyStart) + s.slice(p.keyStart).replace(key, `"${esc}"`);
      }
      case 8: // the repairs' inputs: <PRI> prefix, empty value
        return this.r() < 0.5 ? `<${Math.floor(this.r() * 192)}>${s}` : s.slice(0, p.valueStart) + ' ' + s.slice(p.end);
      case 9: // null, "" and whitespace
        return s.slice(0, p.valueStart) + this.pick([' null', ' ""', '\t""', '  \r 0 ', '[ ]', ' { } ']) + s.slice(p.end);
      default: // truncation
        return s.slice(0, Math.floor(this.r() * s.length));
    }
  }

  private byteMutation(b: Buffer): Buffer {
    const out = Buffer.from(b);
    if (out.length === 0) return out;
    switch (Math.floor(this.r() * 5)) {
      case 0:
      case 1: {
        const flips = 1 + Math.floor(this.r() * 3);
        for (let k = 0; k < flips; k++) out[Math.floor(this.r() * out.length)] = this.pick(FLIP_BYTES);
        return out;
      }
      case 2:
        return out.subarray(0, Math.floor(this.r() * out.length));
      case 3:
        return Buffer.concat([this.pick([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' '), Buffer.from('\t')]), out]);
      default:
        return Buffer.concat([out, this.pick([Buffer.from(' '), Buffer.from('x'), Buffer.from('{}'), Buffer.from(' \t'), Buffer.from(',')])]);
    }
  }
}
