/**
 * Panther's timestamp coercion: the field's timeFormats are tried in order (time-formats.ts). `""` and
 * `null` are "no time", not an error. A number is only taken by the unix formats; a list without one
 * refuses numbers as bad_timestamp. Booleans, objects and arrays are wrong_type.
 */
import { ABSENT, BAD_TIMESTAMP, OK, WRONG_TYPE, fail, lastTime } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { RawNumber } from './raw-number.js';
import { formatPantherTime } from './time-civil.js';
import { compileTimeFormats } from './time-formats.js';

/** What a failing timestamp check with `formats` says it expected (also read by the simdjson engine's messages). */
export function timestampExpected(formats: readonly string[]): string {
  return `a timestamp in one of: ${formats.join(' | ')}`;
}

/** Builds the check for a timestamp with `formats`; on OK the instant is in `lastTime`. */
export function makeTimestampCheck(formats: readonly string[]): (v: unknown) => CheckCode {
  const { parseString, parseNumberText } = compileTimeFormats(formats);
  const expected = timestampExpected(formats);
  return (v: unknown): CheckCode => {
    if (typeof v === 'string') {
      if (v === '') return ABSENT;
      return parseString(v) ? OK : fail(BAD_TIMESTAMP, v, expected);
    }
    if (typeof v === 'number' || v instanceof RawNumber) {
      if (parseNumberText === undefined) return fail(BAD_TIMESTAMP, v, expected);
      return parseNumberText(typeof v === 'number' ? String(v) : v.text) ? OK : fail(BAD_TIMESTAMP, v, expected);
    }
    return fail(WRONG_TYPE, v, expected);
  };
}

/** The normalized value of an accepted timestamp (call right after its check returned OK). */
export function timestampValueFromLast(): string {
  return formatPantherTime(lastTime.ms, lastTime.subMsNanos);
}
