/**
 * Builds rejected verdicts: the one place their messages are put together. The reference engine
 * (engine.ts) and the simdjson engine (workers/engines/simdjson-engine.ts) both call these, so a rejection
 * reads the same whichever engine found it (test/engines/differential.test.ts compares the messages).
 */
import { OK, WRONG_TYPE } from './check-codes.js';
import type { CheckCode } from './check-codes.js';
import { failureMessage, reasonOf } from './failure-message.js';
import type { RejectReason, RejectedVerdict, Verdict } from './verdict.js';

const MAX_MESSAGE_CHARS = 300;

/** A rejected verdict; the message is cut at MAX_MESSAGE_CHARS. */
export function rejectedVerdict(logType: string | null, reason: RejectReason, message: string, field?: string): RejectedVerdict {
  const m = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}...` : message;
  return field === undefined
    ? { status: 'rejected', logType, reason, message: m }
    : { status: 'rejected', logType, reason, field, message: m };
}

/**
 * The verdict of a record `logType` refused at `path` with failure `code`; `value` and `expected` are the
 * failure's details (see failureMessage).
 */
export function fieldFailureVerdict(logType: string, code: CheckCode, path: string, value: unknown, expected: string): RejectedVerdict {
  return rejectedVerdict(logType, reasonOf(code === OK ? WRONG_TYPE : code), failureMessage(code, path, value, expected), path);
}

/**
 * The verdict of auto-detection finding no schema: `closest` is the first schema (in detection order) that
 * had all its required fields and still refused the record, when there was one. When that schema failed on a
 * field, the verdict names it in `field` (the message names the schema), as a typed check's verdict does.
 */
export function noSchemaAcceptsVerdict(closest?: { readonly name: string; readonly verdict: Verdict }): RejectedVerdict {
  if (closest === undefined || closest.verdict.status !== 'rejected') {
    return rejectedVerdict(null, 'unknown_log_type', 'no loaded schema accepts the record; no schema has all its required fields present');
  }
  const v = closest.verdict;
  return rejectedVerdict(null, 'unknown_log_type', `no loaded schema accepts the record; closest: ${closest.name} rejected it (${v.reason}: ${v.message})`, v.field);
}
