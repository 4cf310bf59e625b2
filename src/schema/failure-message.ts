/**
 * Turns a failure code and the failure's details (the `failure` scratch of a check, or what the simdjson
 * engine reports) into the verdict's reason and a one-line message.
 * Runs only for rejected records, so it may allocate freely.
 */
import { BAD_TIMESTAMP, MISSING, OUT_OF_RANGE, WRONG_TYPE } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { RawNumber } from './raw-number.js';
import type { RejectReason } from './verdict.js';

const PREVIEW_CHARS = 64;

/** A short, safe rendering of a value for messages (never the whole of a 50 MB string). */
export function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > PREVIEW_CHARS ? `${v.slice(0, PREVIEW_CHARS)}...` : v);
  if (v instanceof RawNumber) return v.text.length > PREVIEW_CHARS ? `${v.text.slice(0, PREVIEW_CHARS)}...` : v.text;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** The reject reason of a failure code. */
export function reasonOf(code: CheckCode): RejectReason {
  switch (code) {
    case MISSING:
      return 'missing_required';
    case OUT_OF_RANGE:
      return 'out_of_range';
    case BAD_TIMESTAMP:
      return 'bad_timestamp';
    case WRONG_TYPE:
    default:
      return 'wrong_type';
  }
}

/**
 * The message for the failure at `path`: `v` is the offending value (undefined when the field is absent)
 * and `expected` the phrase of the check that failed (`failure.value` and `failure.expected`).
 */
export function failureMessage(code: CheckCode, path: string, v: unknown, expected: string): string {
  switch (code) {
    case MISSING:
      return `required field "${path}" is ${v === undefined ? 'missing' : v === null ? 'null' : `empty (${preview(v)})`}`;
    case OUT_OF_RANGE:
      return `field "${path}": ${preview(v)} is out of range for ${expected}`;
    case BAD_TIMESTAMP:
      return `field "${path}": ${preview(v)} is not ${expected}`;
    default:
      return `field "${path}": expected ${expected}, got ${preview(v)}`;
  }
}
