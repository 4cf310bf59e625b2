/**
 * Panther's boolean coercion: JSON true/false, the numbers 0 and 1, or a string Go's `strconv.ParseBool`
 * accepts ("1", "t", "T", "TRUE", "true", "True", and the false spellings); `""`/`null` are absent.
 */
import { ABSENT, OK, WRONG_TYPE, fail } from './check-codes.js';
import type { CheckCode } from './check-codes.js';

/** What a failing boolean check says it expected (also read by the simdjson engine's messages). */
export const BOOLEAN_EXPECTED = 'a boolean (true/false, 0/1, or a Go ParseBool string)';
const TRUE_TEXT = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_TEXT = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The boolean check. */
export function checkBoolean(v: unknown): CheckCode {
  if (typeof v === 'boolean') return OK;
  if (typeof v === 'number') return v === 0 || v === 1 ? OK : fail(WRONG_TYPE, v, BOOLEAN_EXPECTED);
  if (typeof v === 'string') {
    if (v === '') return ABSENT;
    return TRUE_TEXT.has(v) || FALSE_TEXT.has(v) ? OK : fail(WRONG_TYPE, v, BOOLEAN_EXPECTED);
  }
  return fail(WRONG_TYPE, v, BOOLEAN_EXPECTED);
}

/** The normalized value of an accepted boolean. */
export function booleanValue(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return v === '' ? null : TRUE_TEXT.has(v);
  return null;
}
