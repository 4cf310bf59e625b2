/**
 * PROXY protocol against a real peer: Debian's HAProxy in TCP mode in front of the relay, with
 * `send-proxy` (v1) and `send-proxy-v2`, and mutual TLS passed through HAProxy to a TLS listener. HAProxy
 * connects to the relay from 127.0.0.1, so allowCidrs [127.0.0.3/32] admitting 127.0.0.3 and refusing
 * 127.0.0.2 proves the relay checks the address from the header, not the TCP peer.
 *
 * HAProxy is required, never skipped: `.ci/run` installs it (apt-get install -y haproxy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, metricValue } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { makeCerts, pem, tcp, closed } from './listener-kit.js';

function findHaproxy(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, 'haproxy'))) return join(d, 'haproxy');
  throw new Error('haproxy is not installed: this test needs a real HAProxy as the PROXY protocol peer. Install it with `apt-get install -y haproxy` (.ci/run does).');
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts HAProxy in the foreground with `cfg`; resolves once every frontend port accepts connections. */
async function startHaproxy(cfg: string, ports: number[]): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child = spawn(findHaproxy(), ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${output}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not listen on ${port} in time: ${output}`);
      }
      try {
        const s = await tcp(port);
        s.destroy();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  return { child, stop };
}

test('through HAProxy (send-proxy, send-proxy-v2, and TLS passed through): records arrive, allowCidrs sees the real client address', async () => {
  const certs = makeCerts();
  const panther = await startPantherStandin();
  const common = { host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', proxyProtocol: true, allowCidrs: ['127.0.0.3/32'], trustedProxyCidrs: ['127.0.0.1/32'] };
  const h = await startRelay({
    output: { type: 'http', flushIntervalMs: 30, http: { url: panther.url, auth: { type: 'none' } } },
    listeners: [
      { name: 'plain', ...common },
      { name: 'mtls', ...common, tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt') } },
    ],
  });
  const [v1, v2, tlsFront] = [await freePort(), await freePort(), await freePort()];
  // Started inside the try: if HAProxy is missing or fails to start, the relay and the stand-in are still
  // stopped (left running, they kept the test process from exiting).
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  const gen = new LssGenerator(61);
  const refused = (listener: string, reason: string) => metricValue(h.adminUrl, 'zpa_relay_connections_refused_total', { listener, reason });
  try {
    haproxy = await startHaproxy(
      [
        'global',
        '  maxconn 256',
        'defaults',
        '  mode tcp',
        '  timeout connect 2s',
        '  timeout client 20s',
        '  timeout server 20s',
        `frontend fe_v1\n  bind 127.0.0.1:${v1}\n  default_backend be_v1`,
        `backend be_v1\n  server relay 127.0.0.1:${h.port('plain')} send-proxy`,
        `frontend fe_v2\n  bind 127.0.0.1:${v2}\n  default_backend be_v2`,
        `backend be_v2\n  server relay 127.0.0.1:${h.port('plain')} send-proxy-v2`,
        `frontend fe_tls\n  bind 127.0.0.1:${tlsFront}\n  default_backend be_tls`,
        `backend be_tls\n  server relay 127.0.0.1:${h.port('mtls')} send-proxy-v2`,
        '',
      ].join('\n'),
      [v1, v2, tlsFront],
    );
    // The readiness probes above came from 127.0.0.1 through HAProxy and were refused: count from here.
    // Under load HAProxy may still be finishing a probe's backend leg: let it settle, then take every
    // counter asserted below as a baseline, so only this test's traffic is measured.
    await new Promise((r) => setTimeout(r, 500));
    const base = {
      plain: await refused('plain', 'not_allowed'),
      mtls: await refused('mtls', 'not_allowed'),
      invalid: await refused('plain', 'proxy_header_invalid'),
      untrusted: await refused('plain', 'proxy_not_trusted'),
      rejected: await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total'),
    };
    const sent: string[] = [];
    const batch = (n: number) => {
      const rs = Array.from({ length: n }, () => gen.userActivity());
      sent.push(...rs);
      return rs.map((r) => r + '\n').join('');
    };
    for (const front of [v1, v2]) {
      const ok = await tcp(front, '127.0.0.3');
      ok.end(batch(50));
      await closed(ok);
      const stranger = await tcp(front, '127.0.0.2');
      stranger.on('error', () => undefined);
      stranger.write(gen.userActivity() + '\n');
      await closed(stranger);
    }
    const tlsOpts = { host: '127.0.0.1', port: tlsFront, servername: 'localhost', ca: pem(certs, 'ca.crt') };
    const viaTls = (localAddress: string, key: string, cert: string, data: string) =>
      new Promise<'sent' | 'failed'>((resolve) => {
        const s: TLSSocket = tlsConnect({ ...tlsOpts, localAddress, key: pem(certs, key), cert: pem(certs, cert) } as never, () => s.end(data));
        s.on('error', () => resolve('failed'));
        s.on('close', () => resolve('sent'));
        s.resume();
      });
    await viaTls('127.0.0.3', 'client.key', 'client.crt', batch(20));
    await viaTls('127.0.0.3', 'stranger.key', 'stranger.crt', '{"SECRET":"stranger"}\n');
    await viaTls('127.0.0.2', 'client.key', 'client.crt', '{"SECRET":"outside allowCidrs"}\n');
    await panther.waitForLines(sent.length, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(panther.lines.length, sent.length);
    assert.deepEqual([...panther.lines].sort(), [...sent].sort());
    assert.equal((await refused('plain', 'not_allowed')) - base.plain, 2, 'the v1 and the v2 stranger');
    assert.equal((await refused('mtls', 'not_allowed')) - base.mtls, 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_tls_handshake_failures_total', { listener: 'mtls', reason: 'bad_certificate' }), 1);
    assert.equal((await refused('plain', 'proxy_header_invalid')) - base.invalid, 0, 'HAProxy\'s headers all parse');
    assert.equal((await refused('plain', 'proxy_not_trusted')) - base.untrusted, 0, 'HAProxy is a trusted proxy');
    assert.equal((await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total')) - base.rejected, 0, 'no record rejected');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_total', { listener: 'plain' }), 2);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_connections_total', { listener: 'mtls' }), 1);
  } finally {
    await haproxy?.stop();
    await h.stop();
    await panther.close();
  }
});
