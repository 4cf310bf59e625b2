/**
 * Panther's string coercion: a JSON string as is (`""` stays `""`, it is a value); a number or boolean is
 * kept as its literal text (so `"ObjectID": 288263728720249833` becomes the exact digits, which is why
 * long literals arrive as RawNumber); an object or array is wrong_type.
 */
import { OK, WRONG_TYPE, fail } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { RawNumber } from './raw-number.js';

/** What a failing string check says it expected (also read by the simdjson engine's messages). */
export const STRING_EXPECTED = 'a string (numbers and booleans are taken as their text)';

/** The string check. */
export function checkString(v: unknown): CheckCode {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || v instanceof RawNumber) return OK;
  return fail(WRONG_TYPE, v, STRING_EXPECTED);
}

/** The normalized value of an accepted string: the text Panther stores. */
export function stringValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof RawNumber) return v.text;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}
