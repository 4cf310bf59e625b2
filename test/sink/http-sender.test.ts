import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createAuth } from '../../src/sink/panther-auth.js';
import { HttpSender, type HttpSenderOptions } from '../../src/sink/http-sender.js';
import { startPantherStandin, type Standin } from '../helpers/panther-standin.js';

const NONE = createAuth({ type: 'none' });

function body(tag: string, n = 3): { buf: Buffer; lines: string[] } {
  const lines = Array.from({ length: n }, (_, i) => `{"tag":"${tag}","i":${i},"ObjectID":216196257331380392}`);
  return { buf: gzipSync(`${lines.join('\n')}\n`), lines };
}

interface Trace {
  attempts: Array<{ status: number; error?: string; wireBytes: number }>;
  retries: Array<{ attempt: number; delayMs: number; status: number; error?: string }>;
}

function sender(panther: Pick<Standin, 'url'>, extra: Partial<HttpSenderOptions> = {}): { s: HttpSender; trace: Trace } {
  const trace: Trace = { attempts: [], retries: [] };
  const s = new HttpSender({
    url: panther.url,
    auth: NONE,
    requestTimeoutMs: 2000,
    concurrency: 2,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20, maxRetries: 0 },
    onAttempt: (a) => trace.attempts.push(a),
    onRetry: (r) => trace.retries.push(r),
    ...extra,
  });
  return { s, trace };
}

test('sender: 429 with Retry-After then 200 -> delivered after at least the Retry-After wait', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther, { retry: { initialBackoffMs: 5, maxBackoffMs: 1000, maxRetries: 0 } });
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script([{ status: 429, retryAfter: '1' }]);
  const { buf, lines } = body('ra');
  const started = performance.now();
  const outcome = await s.send(buf);
  const elapsed = performance.now() - started;
  assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 2 });
  assert.ok(elapsed >= 1000, `waited ${elapsed} ms`);
  assert.deepEqual(trace.retries, [{ attempt: 1, delayMs: 1000, status: 429 }]);
  assert.deepEqual(panther.lines, lines);
  assert.deepEqual(panther.requests.map((r) => r.status), [429, 200]);
});

test('sender: 503 flapping then success -> delivered once, every retry reported', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther);
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script([{ status: 503 }, { status: 502 }, { status: 503 }]);
  const { buf, lines } = body('flap');
  const outcome = await s.send(buf);
  assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 4 });
  assert.deepEqual(trace.retries.map((r) => [r.attempt, r.status]), [[1, 503], [2, 502], [3, 503]]);
  for (const r of trace.retries) assert.ok(r.delayMs >= 0 && r.delayMs <= 20);
  assert.deepEqual(trace.attempts.map((a) => a.status), [503, 502, 503, 200]);
  assert.deepEqual(panther.lines, lines, 'ingested exactly once');
});

test('sender: 400 -> rejected immediately, no retry, message carries the response text', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther);
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script([{ status: 400 }]);
  const outcome = await s.send(body('bad').buf);
  assert.equal(outcome.status, 'rejected');
  assert.equal(outcome.httpStatus, 400);
  assert.equal(outcome.attempts, 1);
  if (outcome.status === 'rejected') assert.match(outcome.message, /not retryable: HTTP 400: scripted 400/);
  assert.equal(trace.retries.length, 0);
  assert.equal(panther.requests.length, 1);
});

test('sender: payload over the stand-in limit -> 413 -> rejected without retry', async (t) => {
  const panther = await startPantherStandin({ maxRequestBytes: 300 });
  const { s } = sender(panther);
  t.after(async () => { await s.close(); await panther.close(); });
  const outcome = await s.send(Buffer.alloc(400, 0x61));
  assert.equal(outcome.status, 'rejected');
  assert.equal(outcome.httpStatus, 413);
});

test('sender: connection reset mid-body -> retried and delivered', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther);
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script([{ reset: true }]);
  const { buf, lines } = body('reset', 2000); // a body of several TCP segments
  const outcome = await s.send(buf);
  assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 2 });
  assert.equal(trace.attempts[0]?.status, 0);
  assert.match(trace.attempts[0]?.error ?? '', /^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/);
  assert.equal(trace.retries[0]?.status, 0);
  assert.deepEqual(panther.lines, lines);
});

test('sender: a response slower than requestTimeoutMs -> attempt times out, retried, delivered once', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther, { requestTimeoutMs: 200 });
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script([{ delayMs: 700 }]);
  const { buf, lines } = body('slow');
  const started = performance.now();
  const outcome = await s.send(buf);
  assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 2 });
  assert.ok(performance.now() - started < 650, 'did not wait for the slow answer');
  assert.equal(trace.attempts[0]?.status, 0);
  assert.match(trace.attempts[0]?.error ?? '', /^(ETIMEDOUT|UND_ERR_HEADERS_TIMEOUT)$/);
  await new Promise((r) => setTimeout(r, 600)); // let the stand-in's late answer fall on the closed socket
  assert.deepEqual(panther.lines, lines, 'the timed-out request was not counted as ingested');
  assert.deepEqual(panther.requests.map((r) => r.status), [0, 200]);
});

test('sender: DNS failure -> retries scheduled, then rejected with httpStatus 0 naming the error code', async (t) => {
  const { s, trace } = sender({ url: 'http://nonexistent.invalid:1/' }, { retry: { initialBackoffMs: 1, maxBackoffMs: 5, maxRetries: 2 } });
  t.after(() => s.close());
  const outcome = await s.send(body('dns').buf);
  assert.equal(outcome.status, 'rejected');
  assert.equal(outcome.httpStatus, 0);
  assert.equal(outcome.attempts, 3);
  if (outcome.status === 'rejected') assert.match(outcome.message, /^retries exhausted after 3 attempts: (ENOTFOUND|EAI_AGAIN|EAI_FAIL)/);
  assert.equal(trace.retries.length, 2);
  assert.ok(trace.retries.every((r) => r.status === 0 && /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL)$/.test(r.error ?? '')));
});

test('sender: connection refused -> retried until the server appears', async (t) => {
  // Grab a free port, close it, then start the stand-in there only after a few refused attempts.
  const probe = await startPantherStandin();
  const url = probe.url;
  await probe.close();
  const { s, trace } = sender({ url }, { retry: { initialBackoffMs: 20, maxBackoffMs: 40, maxRetries: 0 } });
  t.after(() => s.close());
  const pending = s.send(body('refused').buf);
  while (trace.retries.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(trace.retries[0]?.error, 'ECONNREFUSED');
  // Nothing can listen on that exact port without racing other tests, so abort instead and check the outcome.
  await s.close({ abort: true });
  const outcome = await pending;
  assert.deepEqual(outcome.status, 'rejected');
  if (outcome.status === 'rejected') assert.equal(outcome.message, 'aborted');
});

test('sender: concurrency bound respected at the server, pending counts queued + in flight', async (t) => {
  const panther = await startPantherStandin();
  const { s } = sender(panther, { concurrency: 3 });
  t.after(async () => { await s.close(); await panther.close(); });
  panther.script(() => ({ delayMs: 60 }));
  const bodies = Array.from({ length: 10 }, (_, i) => body(`c${i}`));
  const outcomes = bodies.map((b) => s.send(b.buf));
  assert.equal(s.pending, 10);
  assert.equal(s.needsDrain, true);
  let drained = false;
  s.once('drain', () => { drained = true; });
  const settled = await Promise.all(outcomes);
  assert.ok(settled.every((o) => o.status === 'delivered'));
  assert.equal(panther.maxInFlight, 3);
  assert.equal(s.pending, 0);
  assert.equal(drained, true);
  assert.equal(panther.lines.length, 30);
});

test('sender: headerBytes matches the bytes on the wire exactly, auth headers included', async (t) => {
  const panther = await startPantherStandin({ auth: { type: 'hmac', header: 'X-Sig', secret: 'k', algorithm: 'sha512', encoding: 'base64' } });
  const auth = createAuth({ type: 'hmac', header: 'X-Sig', secretEnv: 'K', algorithm: 'sha512', encoding: 'base64' }, { K: 'k' });
  const { s } = sender(panther, { auth });
  t.after(async () => { await s.close(); await panther.close(); });
  for (const n of [1, 50, 5000]) {
    const { buf } = body(`h${n}`, n);
    const outcome = await s.send(buf);
    assert.equal(outcome.status, 'delivered');
    const seen = panther.requests[panther.requests.length - 1]!;
    assert.equal(seen.wireBytes, buf.length + s.headerBytes(buf.length), `${n} lines`);
    assert.equal(seen.headers['content-encoding'], 'gzip');
    assert.equal(seen.headers['content-type'], 'application/x-ndjson');
    assert.equal(seen.encoding, 'gzip');
  }
});

test('sender: close() lets pending sends finish; later sends are refused as data', async (t) => {
  const panther = await startPantherStandin();
  const { s } = sender(panther, { concurrency: 1 });
  t.after(() => panther.close());
  panther.script([{ delayMs: 150 }, { status: 503 }]);
  const a = s.send(body('a').buf);
  const b = s.send(body('b').buf);
  await s.close();
  assert.equal((await a).status, 'delivered');
  assert.deepEqual(await b, { status: 'delivered', httpStatus: 200, attempts: 2 });
  assert.equal(panther.lines.length, 6);
  assert.deepEqual(await s.send(body('late').buf), { status: 'rejected', httpStatus: 0, attempts: 0, message: 'sender closed' });
});

test('sender: close({ abort: true }) cancels backoff waits and queued sends as rejected "aborted"', async (t) => {
  const panther = await startPantherStandin();
  const { s, trace } = sender(panther, { concurrency: 1 });
  t.after(() => panther.close());
  panther.script([{ status: 503, retryAfter: '30' }]);
  const waiting = s.send(body('w').buf);
  const queued = s.send(body('q').buf);
  while (trace.retries.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(trace.retries[0]!.delayMs, 80, 'Retry-After 30 s capped at 4 x maxBackoffMs');
  const started = performance.now();
  await s.close({ abort: true });
  assert.ok(performance.now() - started < 500);
  assert.deepEqual(await waiting, { status: 'rejected', httpStatus: 503, attempts: 1, message: 'aborted' });
  assert.deepEqual(await queued, { status: 'rejected', httpStatus: 0, attempts: 0, message: 'aborted' });
  assert.equal(panther.lines.length, 0);
});

test('sender: invalid settings -> ZPA_ERR_CONFIG_INVALID listing every problem', () => {
  assert.throws(
    () => new HttpSender({ url: 'ftp://user:pw@x/', auth: NONE, requestTimeoutMs: 0, concurrency: 0, retry: { initialBackoffMs: 1, maxBackoffMs: 1, maxRetries: -1 } }),
    (err: unknown) => {
      const e = err as { code?: string; details?: string[]; message: string };
      return e.code === 'ZPA_ERR_CONFIG_INVALID' && e.details?.length === 5 && !e.message.includes('pw');
    },
  );
});
