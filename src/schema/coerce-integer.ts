/**
 * Panther's int (32-bit), smallint (16-bit) and bigint (64-bit) coercion, as in the open-source engine:
 * a JSON integer literal, or a string Go's `strconv.ParseInt(s, 10, bits)` accepts (optional sign, digits
 * only); `""` and `null` are absent. A literal with a fraction or exponent (`6.0`, `1e3`) is refused as
 * wrong_type, as Go's integer decoding does; a value past the type's bounds is out_of_range.
 * Bounds are compared on the decimal text, so int64 edges are exact without BigInt on the hot path.
 */
import { ABSENT, OK, OUT_OF_RANGE, WRONG_TYPE, fail } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { RawNumber } from './raw-number.js';

export type IntegerBits = 16 | 32 | 64;

/** What a failing integer check of each width says it expected (also read by the simdjson engine's messages). */
export const INTEGER_EXPECTED: Readonly<Record<IntegerBits, string>> = {
  16: 'a 16-bit integer (smallint)',
  32: 'a 32-bit integer (int)',
  64: 'a 64-bit integer (bigint)',
};

/** |min| and max of each width as decimal text, for exact comparison of long literals. */
const MAX_TEXT: Record<IntegerBits, string> = { 16: '32767', 32: '2147483647', 64: '9223372036854775807' };
const MIN_TEXT: Record<IntegerBits, string> = { 16: '32768', 32: '2147483648', 64: '9223372036854775808' };

/**
 * Classifies an integer text: OK, WRONG_TYPE (not sign + digits) or OUT_OF_RANGE. `allowPlus` is true for
 * strings (ParseInt takes `+5`), false for JSON literals (which cannot have one anyway).
 */
export function classifyIntegerText(t: string, bits: IntegerBits, allowPlus: boolean): CheckCode {
  let i = 0;
  const first = t.charCodeAt(0);
  const negative = first === 45;
  if (negative || (allowPlus && first === 43)) i = 1;
  if (i === t.length) return WRONG_TYPE;
  for (let k = i; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) return WRONG_TYPE;
  }
  // Strip leading zeros, then compare lengths and, at equal length, the digits as text.
  while (i < t.length - 1 && t.charCodeAt(i) === 48) i++;
  const digits = t.length - i;
  const limit = negative ? MIN_TEXT[bits] : MAX_TEXT[bits];
  if (digits < limit.length) return OK;
  if (digits > limit.length) return OUT_OF_RANGE;
  return (i === 0 ? t : t.slice(i)) <= limit ? OK : OUT_OF_RANGE;
}

/** Builds the check for one integer width. */
export function makeIntegerCheck(bits: IntegerBits): (v: unknown) => CheckCode {
  const expected = INTEGER_EXPECTED[bits];
  const min = bits === 16 ? -32768 : bits === 32 ? -2147483648 : Number.MIN_SAFE_INTEGER;
  const max = bits === 16 ? 32767 : bits === 32 ? 2147483647 : Number.MAX_SAFE_INTEGER;
  return (v: unknown): CheckCode => {
    if (typeof v === 'number') {
      // Numbers that reach here printed as canonical integer literals (see json-exact.ts and number-scan.ts):
      // every other literal arrives as a RawNumber.
      if (!Number.isInteger(v)) return fail(WRONG_TYPE, v, expected);
      if (v < min || v > max) {
        if (bits === 64 && Number.isFinite(v)) return fail(classifyIntegerText(BigInt(v).toString(), 64, false), v, expected);
        return fail(OUT_OF_RANGE, v, expected);
      }
      return OK;
    }
    if (typeof v === 'string') {
      if (v === '') return ABSENT;
      const code = classifyIntegerText(v, bits, true);
      return code === OK ? OK : fail(code, v, expected);
    }
    if (v instanceof RawNumber) {
      const code = classifyIntegerText(v.text, bits, false);
      return code === OK ? OK : fail(code, v, expected);
    }
    return fail(WRONG_TYPE, v, expected);
  };
}

/** The normalized value of an accepted integer: a number when it is a safe integer, else an exact bigint. */
export function integerValue(v: unknown): number | bigint | null {
  let text: string;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') text = v.charCodeAt(0) === 43 ? v.slice(1) : v;
  else if (v instanceof RawNumber) text = v.text;
  else return null;
  if (text === '') return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}
