import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_RETRY_AFTER_MS,
  RETRY_AFTER_CAP_FACTOR,
  backoffDelayMs,
  classifyError,
  classifyStatus,
  errorCode,
  parseRetryAfter,
  type RetryOptions,
} from '../../src/sink/retry-policy.js';

test('classifyStatus: 2xx delivered; 408, 429, 5xx retry; everything else rejects', () => {
  const table: Array<[number, string]> = [
    [200, 'delivered'], [201, 'delivered'], [204, 'delivered'], [299, 'delivered'],
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [599, 'retry'],
    [400, 'reject'], [401, 'reject'], [403, 'reject'], [404, 'reject'], [413, 'reject'], [422, 'reject'],
    [100, 'reject'], [301, 'reject'], [302, 'reject'], [304, 'reject'], [600, 'reject'], [0, 'reject'],
  ];
  for (const [status, expected] of table) assert.equal(classifyStatus(status), expected, `status ${status}`);
});

test('classifyError: network failures retry, request-construction bugs reject', () => {
  const err = (code: string): Error => Object.assign(new Error('x'), { code });
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE',
    'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED']) {
    assert.equal(classifyError(err(code)), 'retry', code);
  }
  for (const code of ['UND_ERR_INVALID_ARG', 'ERR_INVALID_URL']) assert.equal(classifyError(err(code)), 'reject', code);
  assert.equal(classifyError(new Error('no code')), 'retry');
});

test('errorCode: own code, then the cause chain, then the name', () => {
  assert.equal(errorCode(Object.assign(new Error('a'), { code: 'ECONNRESET' })), 'ECONNRESET');
  assert.equal(errorCode(new TypeError('fetch failed', { cause: Object.assign(new Error('b'), { code: 'ENOTFOUND' }) })), 'ENOTFOUND');
  assert.equal(errorCode(new TypeError('x')), 'TypeError');
  assert.equal(errorCode('string'), 'Error');
});

test('parseRetryAfter: delay-seconds', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter('1', now), 1000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('999999999', now), MAX_RETRY_AFTER_MS, 'capped');
  assert.equal(parseRetryAfter(['junk', '3'], now), 3000, 'first usable of a repeated header');
});

test('parseRetryAfter: the three HTTP-date forms, past dates mean now', () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 0); // 37 s before the RFC's example date
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now), 37_000);
  assert.equal(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now), 37_000);
  assert.equal(parseRetryAfter('Sun Nov  6 08:49:37 1994', now), 37_000);
  assert.equal(parseRetryAfter('Sat, 05 Nov 1994 08:49:37 GMT', now), 0, 'in the past');
  assert.equal(parseRetryAfter('Sun, 06 Nov 2094 08:49:37 GMT', now), MAX_RETRY_AFTER_MS, 'far future is capped');
});

test('parseRetryAfter: absent or garbage gives undefined', () => {
  const now = Date.now();
  for (const v of [undefined, '', ' ', '-1', '1.5', '5 apples', 'soon', 'Someday, 99 Foo 9999', '0x10', []]) {
    assert.equal(parseRetryAfter(v as string | string[] | undefined, now), undefined, JSON.stringify(v));
  }
});

test('backoffDelayMs: full jitter spans [0, min(max, initial*2^(n-1)))', () => {
  const opts: RetryOptions = { initialBackoffMs: 100, maxBackoffMs: 5000, maxRetries: 0 };
  const ceilings = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
  ceilings.forEach((ceiling, i) => {
    const attempt = i + 1;
    assert.equal(backoffDelayMs(attempt, opts, undefined, () => 0), 0, `attempt ${attempt} low end`);
    assert.equal(backoffDelayMs(attempt, opts, undefined, () => 0.5), ceiling / 2, `attempt ${attempt} middle`);
    const top = backoffDelayMs(attempt, opts, undefined, () => 0.999999);
    assert.ok(top < ceiling && top >= ceiling - 1, `attempt ${attempt} high end ${top}`);
  });
  // Huge attempt numbers neither overflow nor produce NaN.
  assert.equal(backoffDelayMs(10_000, opts, undefined, () => 0.5), 2500);
  assert.equal(backoffDelayMs(10_000, { ...opts, initialBackoffMs: 0 }, undefined, () => 0.5), 0);
  // With the real random source every value stays in range.
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelayMs(3, opts);
    assert.ok(d >= 0 && d < 400, String(d));
  }
});

test('backoffDelayMs: Retry-After wins when larger, capped at maxBackoffMs * RETRY_AFTER_CAP_FACTOR', () => {
  const opts: RetryOptions = { initialBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 0 };
  assert.equal(backoffDelayMs(1, opts, 700, () => 0.5), 700, 'Retry-After larger than the jittered backoff');
  assert.equal(backoffDelayMs(4, opts, 10, () => 0.5), 400, 'jittered backoff larger than Retry-After');
  assert.equal(backoffDelayMs(1, opts, 3000, () => 0), 3000, 'above maxBackoffMs but under the cap');
  assert.equal(backoffDelayMs(1, opts, 3_600_000, () => 0), 1000 * RETRY_AFTER_CAP_FACTOR, 'capped');
  assert.equal(backoffDelayMs(1, opts, 0, () => 0.5), 50, 'Retry-After: 0 leaves the backoff alone');
});
