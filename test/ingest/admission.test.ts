/**
 * Who may connect and for how long, through the real relay (real sockets, worker pool and a Panther
 * stand-in): allowCidrs on IPv4 and IPv6, maxConnections, the idle timeout and the maximum connection
 * age, each counted by reason in /metrics, while admitted clients' records all arrive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, metricValue, waitFor } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { startListener, until, tcp, closed, makeCerts, pem, tlsClient } from './listener-kit.js';
import { join } from 'node:path';

const http = (url: string) => ({ type: 'http', flushIntervalMs: 30, http: { url, auth: { type: 'none' } } });
const ua = (fields: Record<string, unknown>) => [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', ...fields }];

/** Resolves when the server ended or closed the connection (whichever first). */
function serverEnded(s: Socket): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    s.once('end', () => resolve(Date.now() - t0));
    s.once('close', () => resolve(Date.now() - t0));
  });
}

test('allowCidrs and maxConnections: strangers and the excess are closed at accept and counted; admitted clients are unaffected', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: http(panther.url), listeners: ua({ allowCidrs: ['127.0.0.3/32'], maxConnections: 2 }) });
  const gen = new LssGenerator(41);
  try {
    const port = h.port('ua');
    const stranger = await tcp(port, '127.0.0.2');
    stranger.write(gen.userActivity() + '\n');
    await closed(stranger);
    const a = await tcp(port, '127.0.0.3');
    const b = await tcp(port, '127.0.0.3');
    const recs = [gen.userActivity(), gen.userActivity(), gen.userActivity()];
    a.write(recs[0] + '\n');
    await panther.waitForLines(1);
    const third = await tcp(port, '127.0.0.3');
    third.write(gen.userActivity() + '\n');
    await closed(third);
    b.end(recs[1] + '\n');
    await closed(b);
    // A slot is free again.
    const c = await tcp(port, '127.0.0.3');
    c.end(recs[2] + '\n');
    a.end();
    await Promise.all([closed(a), closed(c)]);
    await panther.waitForLines(3);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual([...panther.lines].sort(), [...recs].sort());
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_refused_total', { listener: 'ua', reason: 'not_allowed' }), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_refused_total', { listener: 'ua', reason: 'max_connections' }), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_total', { listener: 'ua' }), 3);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_connections_open', { listener: 'ua' })) === 0, 'open gauge back to 0');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('allowCidrs on IPv6: ::1 admitted by ::1/128, refused by 2001:db8::/32', async () => {
  for (const [cidrs, admitted] of [[['::1/128'], true], [['2001:db8::/32', '127.0.0.0/8'], false]] as const) {
    const { listener, port, rec } = await startListener({ host: '::1', allowCidrs: cidrs });
    try {
      const { connect } = await import('node:net');
      const s = connect({ host: '::1', port });
      s.on('error', () => undefined);
      s.end('{"v6":1}\n');
      await closed(s);
      await until(() => rec.opened.length + rec.refused.length === 1, 'an outcome');
      if (admitted) {
        await until(() => rec.data() === '{"v6":1}\n', 'the record');
        assert.match(rec.opened[0], /^::1:\d+$/);
      } else {
        assert.deepEqual(rec.refused.map((r) => r.reason), ['not_allowed']);
        assert.equal(rec.data(), '');
      }
    } finally {
      listener.stopAccepting();
    }
  }
});

test('idleTimeoutMs closes a silent connection after its records are read (counted idle_timeout); a talking one stays', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: http(panther.url), listeners: ua({ idleTimeoutMs: 300 }) });
  const gen = new LssGenerator(42);
  try {
    const quiet = await tcp(h.port('ua'));
    const talking = await tcp(h.port('ua'));
    const quietEnded = serverEnded(quiet);
    let talkingEnded = false;
    talking.once('end', () => (talkingEnded = true));
    quiet.write(gen.userActivity() + '\n');
    const sent = [];
    for (let i = 0; i < 8; i++) {
      const r = gen.userActivity();
      sent.push(r);
      talking.write(r + '\n');
      await new Promise((res) => setTimeout(res, 100));
    }
    const ms = await quietEnded;
    assert.ok(ms >= 290 && ms < 2000, `closed after ${ms} ms`);
    assert.equal(talkingEnded, false, 'a connection that keeps sending is not idle');
    quiet.end();
    talking.end();
    await Promise.all([closed(quiet), closed(talking)]);
    await panther.waitForLines(9);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_closed_by_relay_total', { listener: 'ua', reason: 'idle_timeout' }), 1);
  } finally {
    await h.stop();
    await panther.close();
  }
});

/**
 * Streams records in odd-sized pieces until the server ends the connection, finishes the record it is
 * writing (the client is half-open, as a well-behaved sender should be), then closes; returns what it wrote
 * and how long after `t0` the server ended it.
 */
async function streamUntilEnded(s: Socket | import('node:tls').TLSSocket, gen: LssGenerator, t0 = Date.now()): Promise<{ records: string[]; ms: number }> {
  const records: string[] = [];
  let ended = false;
  let ms = 0;
  s.once('end', () => {
    ended = true;
    ms = Date.now() - t0;
  });
  s.on('error', () => undefined);
  while (!ended && Date.now() - t0 < 5_000) {
    const r = gen.userActivity();
    records.push(r);
    const line = Buffer.from(r + '\n');
    const cut = 1 + Math.floor(line.length / 3);
    s.write(line.subarray(0, cut));
    await new Promise((res) => setImmediate(res));
    s.write(line.subarray(cut));
    await new Promise((res) => setTimeout(res, 5));
  }
  s.end();
  await closed(s as Socket);
  return { records, ms };
}

test('maxConnectionAgeMs: the relay ends an old connection at a record boundary and reads everything the client sent before it saw the FIN', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: http(panther.url), listeners: ua({ maxConnectionAgeMs: 500 }) });
  const gen = new LssGenerator(43);
  try {
    // Timed from before the connect: the relay's age timer starts when it admits the connection, which in this
    // one process may run before the client's connect callback does.
    const t0 = Date.now();
    const s = await tcp(h.port('ua'), undefined, true);
    const { records, ms } = await streamUntilEnded(s, gen, t0);
    assert.ok(ms >= 440 && ms < 3000, `ended after ${ms} ms`);
    assert.ok(records.length > 20, `${records.length} records written`);
    await panther.waitForLines(records.length);
    await new Promise((r) => setTimeout(r, 200));
    // Batches may be delivered out of order (parallel workers and requests); compare as sets, compactly.
    const got = new Set(panther.lines);
    assert.equal(panther.lines.length, records.length, 'no duplicate, no extra');
    assert.equal(records.filter((r) => !got.has(r)).length, 0, 'every record written before the client saw the FIN arrived, none cut');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_closed_by_relay_total', { listener: 'ua', reason: 'max_age' }), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total'), 0);
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('maxConnectionAgeMs waits for the end of a record: a half-written line past the age keeps the connection open until it is complete', async () => {
  const { listener, port, rec } = await startListener({ maxConnectionAgeMs: 200 });
  try {
    const s = await tcp(port);
    let endedAt = 0;
    s.once('end', () => (endedAt = Date.now()));
    s.write('{"first":1}\n{"partial":');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(endedAt, 0, 'not ended inside a record');
    const completedAt = Date.now();
    s.write('2}\n');
    await until(() => endedAt > 0, 'the end after the record');
    assert.ok(endedAt - completedAt < 500);
    s.end();
    await closed(s);
    assert.equal(rec.data(), '{"first":1}\n{"partial":2}\n');
    assert.deepEqual(rec.closedByRelay.map((c) => c.reason), ['max_age']);
  } finally {
    listener.stopAccepting();
  }
});

test('maxConnectionAgeMs over mutual TLS: close_notify at a record boundary, nothing the client sent is lost', async () => {
  const certs = makeCerts();
  const { listener, port, rec } = await startListener({
    maxConnectionAgeMs: 300,
    tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt') },
  });
  try {
    const s = await tlsClient(port, { key: pem(certs, 'client.key'), cert: pem(certs, 'client.crt'), ca: pem(certs, 'ca.crt'), allowHalfOpen: true } as never);
    const { records } = await streamUntilEnded(s, new LssGenerator(44));
    await until(() => rec.closed.length === 1, 'the close');
    assert.equal(rec.data(), records.map((r) => r + '\n').join(''));
    assert.deepEqual(rec.closedByRelay.map((c) => c.reason), ['max_age']);
  } finally {
    listener.stopAccepting();
  }
});
