/**
 * Serialises a normalized record to one JSON line. JSON.stringify cannot be used: int64 values beyond 2^53
 * are JS bigints (it throws on those), numbers inside json-typed values are RawNumbers that must print
 * their exact literal, and a json value may be nested 100,000 levels deep (JSON.stringify would overflow
 * the stack). This writer is iterative and prints bigints and RawNumbers as bare JSON numbers.
 */
import { RawNumber } from './raw-number.js';

type Frame = { entries: Array<[string | null, unknown]>; index: number; close: string };

function scalar(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      if (v === null) return 'null';
      if (v instanceof RawNumber) return v.text;
      return undefined;
  }
}

function open(v: object): Frame {
  if (Array.isArray(v)) return { entries: v.map((e) => [null, e]), index: 0, close: ']' };
  return { entries: Object.entries(v), index: 0, close: '}' };
}

/** The JSON text of `value` (a normalized record or any part of one). */
export function serializeNormalized(value: unknown): string {
  const first = scalar(value);
  if (first !== undefined) return first;
  const parts: string[] = [Array.isArray(value) ? '[' : '{'];
  const stack: Frame[] = [open(value as object)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index === top.entries.length) {
      parts.push(top.close);
      stack.pop();
      continue;
    }
    const [key, v] = top.entries[top.index]!;
    if (top.index > 0) parts.push(',');
    top.index++;
    if (key !== null) parts.push(JSON.stringify(key), ':');
    const s = scalar(v);
    if (s !== undefined) {
      parts.push(s);
      continue;
    }
    parts.push(Array.isArray(v) ? '[' : '{');
    stack.push(open(v as object));
  }
  return parts.join('');
}
