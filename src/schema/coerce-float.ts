/**
 * Panther's float coercion: a JSON number or a numeric string (Go `strconv.ParseFloat(s, 64)` syntax);
 * `""`/`null` are absent. A value past float64 (`1e400`) is out_of_range, as ParseFloat's range error;
 * underflow (`1e-400`) is 0, as in Go. Deliberate difference: ParseFloat also takes "NaN"/"Inf" and hex
 * floats; Panther could not write NaN/Inf to JSON anyway, so those strings are refused as wrong_type.
 */
import { ABSENT, OK, OUT_OF_RANGE, WRONG_TYPE, fail } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { RawNumber } from './raw-number.js';

/** What a failing float check says it expected (also read by the simdjson engine's messages). */
export const FLOAT_EXPECTED = 'a float (number or numeric string)';
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The float check. */
export function checkFloat(v: unknown): CheckCode {
  if (typeof v === 'number') return Number.isFinite(v) ? OK : fail(OUT_OF_RANGE, v, FLOAT_EXPECTED);
  if (typeof v === 'string') {
    if (v === '') return ABSENT;
    if (!DECIMAL.test(v)) return fail(WRONG_TYPE, v, FLOAT_EXPECTED);
    return Number.isFinite(Number(v)) ? OK : fail(OUT_OF_RANGE, v, FLOAT_EXPECTED);
  }
  if (v instanceof RawNumber) return Number.isFinite(Number(v.text)) ? OK : fail(OUT_OF_RANGE, v, FLOAT_EXPECTED);
  return fail(WRONG_TYPE, v, FLOAT_EXPECTED);
}

/** The normalized value of an accepted float. */
export function floatValue(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v === '' ? null : Number(v);
  if (v instanceof RawNumber) return Number(v.text);
  return null;
}
