/**
 * A listener with `proxyProtocol: true`, spoken to directly through the real relay: a valid header gives
 * the real client address for allowCidrs; random bytes, truncated headers, bad v1 ports, bad v2
 * signatures and lengths, and silence are refused and counted by reason, while good records on other
 * connections keep arriving; only trusted load balancers may send a header when trustedProxyCidrs is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, metricValue, waitFor } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { startListener, until, tcp, closed } from './listener-kit.js';

const http = (url: string) => ({ type: 'http', flushIntervalMs: 30, http: { url, auth: { type: 'none' } } });
const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2tcp4(src: number[], length = 12): Buffer {
  const b = Buffer.alloc(28);
  SIG.copy(b, 0);
  b[12] = 0x21;
  b[13] = 0x11;
  b.writeUInt16BE(length, 14);
  Buffer.from(src).copy(b, 16);
  Buffer.from([10, 0, 0, 1]).copy(b, 20);
  b.writeUInt16BE(40000, 24);
  b.writeUInt16BE(9018, 26);
  return b;
}

test('PROXY protocol: the header\'s client address is checked; malformed or missing headers are refused and counted; good connections are unaffected', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({
    output: http(panther.url),
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', proxyProtocol: true, proxyHeaderTimeoutMs: 300, allowCidrs: ['203.0.113.0/24'] }],
  });
  const gen = new LssGenerator(51);
  try {
    const port = h.port('ua');
    const sent: string[] = [];
    // A good v1 connection stays open across the whole attack and keeps sending.
    const good = await tcp(port);
    good.write('PROXY TCP4 203.0.113.5 10.0.0.1 51000 9018\r\n');
    const send = (s: typeof good) => {
      const r = gen.userActivity();
      sent.push(r);
      s.write(r + '\n');
    };
    send(good);
    const attacks: Array<[string, Buffer | null]> = [
      ['random bytes', Buffer.concat([Buffer.from([0x16]), randomBytes(3000)])],
      ['v1 with a bad port', Buffer.from(`PROXY TCP4 203.0.113.6 10.0.0.1 99999 9018\r\n${gen.userActivity()}\n`)],
      ['v2 with a bad signature', Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0b]), Buffer.alloc(16), Buffer.from(gen.userActivity() + '\n')])],
      ['v2 with a length shorter than its addresses', Buffer.concat([v2tcp4([203, 0, 113, 7], 4), Buffer.from(gen.userActivity() + '\n')])],
      ['records without a header', Buffer.from(gen.userActivity() + '\n')],
    ];
    for (const [, bytes] of attacks) {
      const s = await tcp(port);
      s.write(bytes!);
      await closed(s);
      send(good);
    }
    // Truncated: half a header, then the client closes.
    const trunc = await tcp(port);
    trunc.end('PROXY TCP4 203.0.113.');
    await closed(trunc);
    // Silence: refused after proxyHeaderTimeoutMs.
    const silent = await tcp(port);
    const t0 = Date.now();
    await closed(silent);
    const silentMs = Date.now() - t0;
    // A valid header naming a client outside allowCidrs (the TCP peer, 127.0.0.1, is not in it either).
    const outsider = await tcp(port);
    outsider.write(Buffer.concat([v2tcp4([198, 51, 100, 9]), Buffer.from(gen.userActivity() + '\n')]));
    await closed(outsider);
    // A load balancer's TCP health check (connect, close, no byte) is not a refusal.
    const probe = await tcp(port);
    probe.end();
    await closed(probe);
    // A good v2 connection, header and records in one write.
    const good2 = await tcp(port);
    const r2 = gen.userActivity();
    sent.push(r2);
    good2.end(Buffer.concat([v2tcp4([203, 0, 113, 8]), Buffer.from(r2 + '\n')]));
    await closed(good2);
    send(good);
    good.end();
    await closed(good);
    await panther.waitForLines(sent.length);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual([...panther.lines].sort(), [...sent].sort());
    assert.ok(silentMs >= 250 && silentMs < 3000, `silent connection closed after ${silentMs} ms`);
    const refused = async (reason: string) => metricValue(h.adminUrl, 'zpa_relay_connections_refused_total', { listener: 'ua', reason });
    assert.equal(await refused('proxy_header_invalid'), 6);
    assert.equal(await refused('proxy_header_timeout'), 1);
    assert.equal(await refused('not_allowed'), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_total', { listener: 'ua' }), 2);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total'), 0, 'no byte of a refused connection reached the checker');
    // Metrics never carry addresses.
    const text = await (await fetch(`${h.adminUrl}/metrics`)).text();
    assert.doesNotMatch(text, /203\.0\.113|198\.51\.100|127\.0\.0\.1/);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_connections_open', { listener: 'ua' })) === 0, 'no connection open');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('trustedProxyCidrs: only the load balancer\'s addresses may send a PROXY header', async () => {
  const { listener, port, rec } = await startListener({ proxyProtocol: true, trustedProxyCidrs: ['127.0.0.5/32'] });
  try {
    const lb = await tcp(port, '127.0.0.5');
    lb.end('PROXY TCP4 192.0.2.1 10.0.0.1 1 2\r\n{"via":"lb"}\n');
    await closed(lb);
    const direct = await tcp(port, '127.0.0.6');
    direct.write('PROXY TCP4 192.0.2.1 10.0.0.1 1 2\r\n{"forged":1}\n');
    await closed(direct);
    await until(() => rec.refused.length === 1 && rec.closed.length === 1, 'both outcomes');
    assert.deepEqual(rec.refused.map((r) => [r.reason, r.remote.split(':')[0]]), [['proxy_not_trusted', '127.0.0.6']]);
    assert.deepEqual(rec.opened, ['192.0.2.1:1'], 'the admitted connection is known by its real client address');
    assert.equal(rec.data(), '{"via":"lb"}\n');
  } finally {
    listener.stopAccepting();
  }
});
