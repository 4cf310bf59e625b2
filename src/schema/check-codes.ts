/**
 * Result codes of the compiled field checks, and the scratch slots a failing check fills in.
 * Checks return small integers instead of objects so that the accepted path (the common one) allocates
 * nothing per field; the details of a failure are read from `failure` only when a verdict is built.
 */

/** The value is present and valid. */
export const OK = 0;
/** The value coerces to null (`null`, `""` for non-strings): the field is absent. */
export const ABSENT = 1;
/** The value's JSON type cannot be coerced to the field type. */
export const WRONG_TYPE = 2;
/** A number outside the field type's range (int16/int32/int64 bounds, float64 overflow). */
export const OUT_OF_RANGE = 3;
/** A timestamp that none of the field's time formats accepts. */
export const BAD_TIMESTAMP = 4;
/** A required field (nested inside an object or array element) is absent. */
export const MISSING = 5;

export type CheckCode = typeof OK | typeof ABSENT | typeof WRONG_TYPE | typeof OUT_OF_RANGE | typeof BAD_TIMESTAMP | typeof MISSING;

/**
 * Where the last failing check put its details. Single-threaded per isolate, overwritten by every failure;
 * read it right after a check returned a failure code.
 */
export const failure = {
  /** Path suffix below the field that failed, e.g. `[2]` or `.Inner` ('' for the field itself). */
  path: '',
  /** The offending value. */
  value: undefined as unknown,
  /** A fixed phrase saying what was expected, e.g. `a 64-bit integer`. */
  expected: '',
};

/** Records a failure and returns its code, so a check can `return fail(code, value, expected)`. */
export function fail(code: CheckCode, value: unknown, expected: string): CheckCode {
  failure.path = '';
  failure.value = value;
  failure.expected = expected;
  return code;
}

/**
 * Timestamp scratch: a successful timestamp check leaves the instant here (milliseconds since the epoch,
 * plus the nanoseconds below the millisecond) so the engine can take the event time without an allocation.
 */
export const lastTime = { ms: 0, subMsNanos: 0 };
