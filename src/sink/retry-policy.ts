/**
 * When to retry a request to Panther and how long to wait first. Pure functions: no timers, no I/O, so the
 * sender stays a thin loop and every decision here is testable with a table.
 *
 * Panther does not document its status codes or rate limits (FACTS.md, "Panther HTTP source"), so the
 * policy is the safe reading: a batch is only given up ("rejected", then dead-lettered) when the server says
 * the request itself is wrong. Anything that may be transient (throttling, server faults, the network)
 * is retried, by default without limit, because giving up on a good batch is data loss.
 */

/** Backoff settings for one sender. */
export interface RetryOptions {
  /** Upper bound of the first retry's delay, in milliseconds; each later retry doubles it. */
  initialBackoffMs: number;
  /** No computed backoff exceeds this, in milliseconds. Retry-After may exceed it, up to `RETRY_AFTER_CAP_FACTOR` times. */
  maxBackoffMs: number;
  /** Retries after the first attempt before the batch is rejected; 0 means retry forever. */
  maxRetries: number;
}

/** What a response means for the batch: done, try again later, or give up on it. */
export type ResponseClass = 'delivered' | 'retry' | 'reject';

/**
 * The longest delay a Retry-After header can ask for, in milliseconds (one hour). A larger value, or an
 * HTTP-date far in the future, is almost always a misconfigured proxy; waiting days would stall delivery.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Retry-After is honoured up to this many times `maxBackoffMs`. The server knows its own load better than
 * our exponential guess, so it may ask for more than `maxBackoffMs`, but not without bound: past this cap
 * the extra wait only grows the spool, and a premature retry costs one more 429.
 */
export const RETRY_AFTER_CAP_FACTOR = 4;

/** 2xx delivered; 408, 429 and 5xx retry; every other status (other 4xx, and 1xx/3xx, which we never expect) rejects. */
export function classifyStatus(status: number): ResponseClass {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) return 'retry';
  return 'reject';
}

/**
 * Error codes that say the request could never succeed as built (a bug or a bad setting), so retrying it
 * forever would only hide the problem. Everything else that fails without a response (resets, refused
 * connections, DNS failures, timeouts, TLS trouble) is the network's fault, not the batch's, and is retried.
 */
const NON_RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
]);

/** The stable code of an error raised by undici or Node (`err.code`, or its cause's), or its name when it has none. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) {
      const inner = errorCode(cause);
      if (inner !== 'Error') return inner;
    }
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'Error';
}

/** Whether a request that failed with `err` (no HTTP response at all) should be tried again. */
export function classifyError(err: unknown): Exclude<ResponseClass, 'delivered'> {
  return NON_RETRYABLE_ERROR_CODES.has(errorCode(err)) ? 'reject' : 'retry';
}

const DELAY_SECONDS = /^\s*(\d+)\s*$/;
// RFC 9110 allows three date forms (IMF-fixdate, RFC 850, asctime); all start with a day name. Checking the
// shape first stops Date.parse from "understanding" garbage such as "5 apples" as a year.
const HTTP_DATE = /^\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+[\s\w:-]+$/i;

/**
 * The delay a Retry-After header asks for, in milliseconds from `nowMs`: delay-seconds or an HTTP-date
 * (a date in the past means 0). Capped at `MAX_RETRY_AFTER_MS`. Undefined when absent or unparseable, in which
 * case the caller's own backoff applies. With several values (a repeated header) the first usable one wins.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const ms = parseRetryAfter(v, nowMs);
      if (ms !== undefined) return ms;
    }
    return undefined;
  }
  const seconds = DELAY_SECONDS.exec(value);
  if (seconds !== null) {
    return Math.min(Number(seconds[1]) * 1000, MAX_RETRY_AFTER_MS);
  }
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

/**
 * Milliseconds to wait before retry number `attempt` (1 = the first retry).
 *
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw from
 * [0, min(maxBackoffMs, initialBackoffMs * 2^(attempt-1))). Spreading retries over the whole window keeps
 * several senders (or several relays) from retrying in lockstep after a shared outage.
 *
 * When the server sent Retry-After (`retryAfterMs`), the result is never shorter than it: the delay is the
 * larger of the jittered backoff and Retry-After, with Retry-After capped at
 * `maxBackoffMs * RETRY_AFTER_CAP_FACTOR`. `random` must return values in [0, 1); it is injectable for tests.
 */
export function backoffDelayMs(
  attempt: number,
  opts: RetryOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const maxBackoff = Math.max(0, opts.maxBackoffMs);
  const initial = Math.min(Math.max(0, opts.initialBackoffMs), maxBackoff);
  // Clamp the exponent: 2^52 already exceeds any sane maxBackoffMs, and larger exponents would reach
  // Infinity (and Infinity * 0 = NaN when initialBackoffMs is 0).
  const exponent = Math.min(Math.max(0, Math.floor(attempt) - 1), 52);
  const ceiling = Math.min(maxBackoff, initial * 2 ** exponent);
  const jittered = Math.floor(ceiling * Math.min(Math.max(random(), 0), 1));
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return Math.min(jittered, maxBackoff);
  const honoured = Math.min(retryAfterMs, maxBackoff * RETRY_AFTER_CAP_FACTOR);
  return Math.max(jittered, Math.ceil(honoured));
}
