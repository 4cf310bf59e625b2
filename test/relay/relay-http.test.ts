/**
 * The relay end to end through real parts: App Connector-like TCP clients -> real relay (listeners,
 * worker threads, sender) -> a real node:http server standing in for Panther that checks auth, gunzips and
 * records every line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, sendAndClose, connectTo, waitFor, metricValue, readDeadLetters, LISTENER_OF } from '../helpers/relay-harness.js';
import { LssGenerator, LOG_TYPES } from '../../bench/lss/generate.js';


function httpOutput(url: string, extra: Record<string, unknown> = {}) {
  return { type: 'http', flushIntervalMs: 50, http: { url, auth: { type: 'none' }, retry: { initialBackoffMs: 20, maxBackoffMs: 200 }, ...extra } };
}

const deadLetters = (dir: string) => readDeadLetters(join(dir, 'dead-letter'));

test('all five log types arrive byte for byte (18-digit audit ids intact), metrics match', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(7);
    const sent: string[] = [];
    await Promise.all(
      LOG_TYPES.map((lt) => {
        const lines = Array.from({ length: 200 }, () => gen.record(lt));
        sent.push(...lines);
        return sendAndClose(h.port(LISTENER_OF[lt]), lines.join('\n') + '\n');
      }),
    );
    await panther.waitForLines(sent.length, 15_000);
    assert.deepEqual([...panther.lines].sort(), [...sent].sort());
    assert.ok(panther.lines.some((l) => /"ObjectID":2161996181\d{8}/.test(l)), 'bare 18-digit integers are forwarded as sent');
    for (const lt of LOG_TYPES) {
      assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_received_total', { listener: LISTENER_OF[lt], log_type: lt }), 200);
    }
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total', { output: 'http' })) === sent.length, 'delivered metric');
    const wire = panther.requests.reduce((n, r) => n + r.wireBytes, 0);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_sent_bytes_total', { output: 'http' }), wire, 'sent bytes = wire bytes seen by Panther');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_requests_total', { output: 'http', status: '200' }), panther.requests.length);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total'), 0);
    assert.ok(panther.requests.every((r) => r.encoding === 'gzip'));
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('records split across reads, many per read, CRLF, and a final line without newline', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(11);
    const lines = Array.from({ length: 50 }, () => gen.userStatus());
    const text = lines.join('\r\n'); // no final newline
    const s = await connectTo(h.port('us'));
    for (let i = 0; i < text.length; i += 333) {
      s.write(text.slice(i, i + 333));
      await new Promise((r) => setImmediate(r));
    }
    s.end();
    await panther.waitForLines(50, 10_000);
    assert.deepEqual([...panther.lines].sort(), [...lines].sort(), 'CR stripped, every record whole');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('an auto listener sorts a mix of all five types', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(3);
    const lines = Array.from({ length: 100 }, (_, i) => gen.record(LOG_TYPES[i % 5]));
    await sendAndClose(h.port('auto'), lines.join('\n') + '\n');
    await panther.waitForLines(100);
    for (const lt of LOG_TYPES) {
      assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_received_total', { listener: 'auto', log_type: lt }), 20, lt);
    }
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('100 connections at once all get through', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(5);
    const per = Array.from({ length: 100 }, () => Array.from({ length: 10 }, () => gen.connectorMetrics()));
    await Promise.all(per.map((lines) => sendAndClose(h.port('acm'), lines.join('\n') + '\n')));
    await panther.waitForLines(1000, 15_000);
    assert.deepEqual([...panther.lines].sort(), per.flat().sort());
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_total', { listener: 'acm' }), 100);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_connections_open', { listener: 'acm' })) === 0, 'connections closed');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('bad records are rejected alone and dead-lettered; good ones on the same connection go on', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: httpOutput(panther.url), listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', maxLineBytes: 4096 }] });
  try {
    const gen = new LssGenerator(9);
    const good = [gen.userActivity(), gen.userActivity()];
    const policyName = gen.userActivity().replace(/"Policy": "\d+"/, '"Policy": "Any Any Allow"');
    const huge = '{"x":"' + 'a'.repeat(10_000) + '"}';
    const notJson = 'this is not json';
    await sendAndClose(h.port('ua'), [good[0], notJson, policyName, huge, good[1]].join('\n') + '\n');
    await panther.waitForLines(2);
    await waitFor(() => {
      try {
        return deadLetters(h.dir).length === 3;
      } catch {
        return false;
      }
    }, 'three dead letters');
    const dl = deadLetters(h.dir);
    const byReason = Object.fromEntries(dl.map((d) => [d.reason, d]));
    assert.equal(byReason.invalid_json.line, notJson);
    assert.equal(byReason.wrong_type.field, 'Policy');
    assert.equal(byReason.wrong_type.line, policyName, 'the original text is kept');
    assert.equal(byReason.line_too_long.length, huge.length);
    assert.equal(byReason.wrong_type.listener, 'ua');
    assert.deepEqual([...panther.lines].sort(), [...good].sort());
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total', { listener: 'ua', reason: 'wrong_type' }), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_dead_letter_records_total'), 3);
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('429 with Retry-After and 503 are retried until delivered; nothing is lost', async () => {
  const panther = await startPantherStandin();
  panther.script([{ status: 429, retryAfter: '1' }, { status: 503 }, { status: 503 }]);
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(21);
    const lines = Array.from({ length: 300 }, () => gen.userActivity());
    await sendAndClose(h.port('ua'), lines.join('\n') + '\n');
    await panther.waitForLines(300, 15_000);
    assert.deepEqual([...panther.lines].sort(), [...lines].sort());
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_requests_total', { status: '429' })) >= 1);
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_requests_total', { status: '503' })) >= 1);
  } finally {
    await h.stop();
    await panther.close();
  }
});

for (const status of [400, 401, 413]) test(`a ${status} moves that body to the dead-letter store with reason sink_rejected and the status`, async () => {
  const panther = await startPantherStandin();
  panther.script([{ status }]);
  const h = await startRelay({ output: httpOutput(panther.url) });
  try {
    const gen = new LssGenerator(23);
    const first = Array.from({ length: 20 }, () => gen.userActivity());
    await sendAndClose(h.port('ua'), first.join('\n') + '\n');
    await waitFor(() => {
      try {
        return deadLetters(h.dir).length === 20;
      } catch {
        return false;
      }
    }, 'dead-lettered body');
    const dl = deadLetters(h.dir);
    assert.ok(dl.every((d) => d.reason === 'sink_rejected' && d.status === status));
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_sink_rejected_batches_total', { status: String(status) }), 1, 'an alarm in metrics');
    assert.deepEqual(dl.map((d) => d.line).sort(), [...first].sort());
    // The rest of the traffic is unaffected.
    const second = Array.from({ length: 20 }, () => gen.userActivity());
    await sendAndClose(h.port('ua'), second.join('\n') + '\n');
    await panther.waitForLines(20);
    assert.deepEqual([...panther.lines].sort(), [...second].sort());
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_dead_letter_records_total', { reason: 'sink_rejected' }), 20);
  } finally {
    await h.stop();
    await panther.close();
  }
});

for (const [mode, standinAuth, relayAuth, env] of [
  ['shared-secret', { type: 'shared-secret', header: 'x-panther-secret', secret: 'sh4red-s3cret' }, { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'T_SECRET' }, { T_SECRET: 'sh4red-s3cret' }],
  ['bearer', { type: 'bearer', token: 'b3arer-tok' }, { type: 'bearer', tokenEnv: 'T_TOKEN' }, { T_TOKEN: 'b3arer-tok' }],
  ['basic', { type: 'basic', username: 'zpa', password: 'p4ss-word' }, { type: 'basic', username: 'zpa', passwordEnv: 'T_PASS' }, { T_PASS: 'p4ss-word' }],
  ['hmac sha512 base64', { type: 'hmac', header: 'x-sig', secret: 'hm4c-key', algorithm: 'sha512', encoding: 'base64' }, { type: 'hmac', header: 'x-sig', secretEnv: 'T_HMAC', algorithm: 'sha512', encoding: 'base64' }, { T_HMAC: 'hm4c-key' }],
] as const) {
  test(`auth mode ${mode} is accepted by the stand-in`, async () => {
    const panther = await startPantherStandin({ auth: standinAuth as never });
    const h = await startRelay({ output: httpOutput(panther.url, { auth: relayAuth }) }, { ...process.env, ...env });
    try {
      const gen = new LssGenerator(31);
      const lines = Array.from({ length: 30 }, () => gen.userStatus());
      await sendAndClose(h.port('us'), lines.join('\n') + '\n');
      await panther.waitForLines(30);
      assert.ok(panther.requests.every((r) => r.authorized && r.status === 200));
    } finally {
      await h.stop();
      await panther.close();
    }
  });
}

test('bodies never exceed maxRequestBytes on the wire, and are not tiny', async () => {
  const limit = 60_000;
  const panther = await startPantherStandin({ maxRequestBytes: limit });
  const h = await startRelay({ output: httpOutput(panther.url, { maxRequestBytes: limit }) });
  try {
    const gen = new LssGenerator(41);
    const lines = Array.from({ length: 3000 }, () => gen.userActivity());
    await sendAndClose(h.port('ua'), lines.join('\n') + '\n');
    await panther.waitForLines(3000, 20_000);
    assert.ok(panther.requests.every((r) => r.status === 200 && r.wireBytes <= limit), JSON.stringify(panther.requests.map((r) => r.wireBytes)));
    const sizes = panther.requests.map((r) => r.wireBytes).sort((a, b) => b - a);
    assert.ok(sizes[Math.floor(sizes.length / 2)] >= limit * 0.4, `median body ${sizes[Math.floor(sizes.length / 2)]} of ${limit}`);
    assert.deepEqual([...panther.lines].sort(), [...lines].sort());
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('a stalled sink pauses the sockets, memory stays under maxBufferedBytes, everything arrives after', async () => {
  const panther = await startPantherStandin();
  let stalled = true;
  panther.script(() => (stalled ? { status: 503 } : undefined));
  const maxBufferedBytes = 2 * 1024 * 1024;
  const h = await startRelay({ maxBufferedBytes, output: httpOutput(panther.url, { maxRequestBytes: 200_000 }) });
  try {
    const gen = new LssGenerator(51);
    const lines = Array.from({ length: 5000 }, () => gen.userActivity()); // ~9.5 MB, well over the bound
    const s = await connectTo(h.port('ua'));
    const writeDone = new Promise<void>((resolve) => s.end(lines.join('\n') + '\n', () => resolve()));
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_ingest_paused')) === 1, 'ingest paused');
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, h.relay.heldBytes);
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(peak <= maxBufferedBytes + 512 * 1024, `held ${peak} bytes`);
    // The gauge operators alert on reports the same held bytes: at or above the bound while paused.
    const gauge = await metricValue(h.adminUrl, 'zpa_relay_buffered_bytes');
    assert.ok(gauge >= maxBufferedBytes * 0.75 && gauge <= maxBufferedBytes + 512 * 1024, `zpa_relay_buffered_bytes ${gauge}`);
    assert.equal(panther.lines.length, 0);
    assert.ok(!s.destroyed, 'the connection is kept open while paused');
    stalled = false;
    await writeDone;
    await panther.waitForLines(5000, 30_000);
    assert.deepEqual([...panther.lines].sort(), [...lines].sort());
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_ingest_paused')) === 0, 'ingest resumed');
    // The stall held the sockets paused for at least the half second sampled above.
    const pausedSeconds = await metricValue(h.adminUrl, 'zpa_relay_ingest_paused_seconds_total');
    assert.ok(pausedSeconds >= 0.5, `zpa_relay_ingest_paused_seconds_total ${pausedSeconds}`);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_buffered_bytes')) === 0, 'nothing held once all is delivered');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('readyz is 200 once bound and 503 while draining; healthz is 200', async () => {
  const h = await startRelay();
  assert.equal((await fetch(`${h.adminUrl}/readyz`)).status, 200);
  assert.equal((await fetch(`${h.adminUrl}/healthz`)).status, 200);
  const s = await connectTo(h.port('ua'));
  const stopping = h.stop();
  await new Promise((r) => setTimeout(r, 30));
  const r = await fetch(`${h.adminUrl}/readyz`).then((x) => x.status, () => 'closed');
  assert.ok(r === 503 || r === 'closed', String(r));
  s.destroy();
  await stopping;
});

test('zstd bodies: Panther detects the format from the content; an independent decoder gets exactly the records sent; wire size within the limit', async () => {
  const limit = 80_000;
  const panther = await startPantherStandin({ maxRequestBytes: limit });
  const h = await startRelay({ output: httpOutput(panther.url, { compression: 'zstd', maxRequestBytes: limit }) });
  try {
    const gen = new LssGenerator(61);
    const lines = Array.from({ length: 2000 }, (_, i) => gen.record(LOG_TYPES[i % 5]));
    await Promise.all(LOG_TYPES.map((lt, k) => sendAndClose(h.port(LISTENER_OF[lt]), lines.filter((_, i) => i % 5 === k).join('\n') + '\n')));
    await panther.waitForLines(2000, 20_000);
    assert.ok(panther.requests.every((r) => r.encoding === 'zstd' && r.status === 200 && r.wireBytes <= limit));
    assert.ok(panther.requests.every((r) => r.headers['content-encoding'] === 'zstd'));
    assert.deepEqual([...panther.lines].sort(), [...lines].sort());
    const raw = lines.reduce((n, l) => n + l.length + 1, 0);
    const wire = panther.requests.reduce((n, r) => n + r.bodyBytes, 0);
    assert.ok(raw / wire > 4, `zstd ratio ${(raw / wire).toFixed(1)}`);
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('output.http.flushIntervalMs overrides output.flushIntervalMs for the HTTP output', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: { type: 'http', flushIntervalMs: 600_000, http: { url: panther.url, auth: { type: 'none' }, flushIntervalMs: 50 } } });
  try {
    const line = new LssGenerator(91).userActivity();
    const t0 = Date.now();
    await sendAndClose(h.port('ua'), line + '\n');
    await panther.waitForLines(1, 5_000);
    assert.ok(Date.now() - t0 < 5_000);
    assert.deepEqual(panther.lines, [line]);
  } finally {
    await h.stop();
    await panther.close();
  }
});
