/**
 * The real binary with a mutual-TLS listener: after the certificate files are replaced and SIGHUP is
 * sent, new handshakes get the new certificate while a connection opened before goes on and is read;
 * the log never carries key material.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnRelay } from '../helpers/relay-process.js';
import { waitFor, metricValue } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { makeCerts, pem, tlsClient, closed } from './listener-kit.js';

test('SIGHUP re-reads the TLS certificate files without dropping an open connection', async () => {
  const certs = makeCerts();
  const dir = mkdtempSync(join(tmpdir(), 'zpa-tls-hup-'));
  const file = join(dir, 'relay.yaml');
  writeFileSync(
    file,
    stringify({
      listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt') } }],
      admin: { host: '127.0.0.1', port: 0 },
      output: { type: 'directory', directory: { path: join(dir, 'out') } },
      deadLetter: { path: join(dir, 'dl') },
      logLevel: 'debug',
    }),
  );
  const relay = await spawnRelay(['run', '--config', file]);
  const admin = `http://127.0.0.1:${relay.adminPort}`;
  const opts = { key: pem(certs, 'client.key'), cert: pem(certs, 'client.crt'), ca: pem(certs, 'ca.crt') };
  const gen = new LssGenerator(71);
  try {
    const before = await tlsClient(relay.ports.ua, opts);
    assert.equal(before.getPeerCertificate().subject.CN, 'zpa-relay');
    before.write(gen.userActivity() + '\n');
    copyFileSync(join(certs, 'server2.crt'), join(certs, 'server.crt'));
    copyFileSync(join(certs, 'server2.key'), join(certs, 'server.key'));
    relay.child.kill('SIGHUP');
    await waitFor(() => relay.logs.some((l) => l.msg === 'config reloaded'), 'reload logged');
    const after = await tlsClient(relay.ports.ua, opts);
    assert.equal(after.getPeerCertificate().subject.CN, 'zpa-relay-2');
    after.end(gen.userActivity() + '\n');
    before.end(gen.userActivity() + '\n');
    await Promise.all([closed(after as never), closed(before as never)]);
    await waitFor(async () => (await metricValue(admin, 'zpa_relay_records_received_total')) === 3, 'three records read');
    assert.equal(await metricValue(admin, 'zpa_relay_connections_total'), 2);
    // A stranger is refused and logged with its address at debug level; no key material in any log line.
    await tlsClient(relay.ports.ua, { key: pem(certs, 'stranger.key'), cert: pem(certs, 'stranger.crt'), ca: pem(certs, 'ca.crt') }).then((s) => closed(s as never), () => undefined);
    await waitFor(() => relay.logs.some((l) => l.msg === 'TLS handshake failed'), 'the refusal logged');
    const failed = relay.logs.find((l) => l.msg === 'TLS handshake failed')!;
    assert.equal(failed.reason, 'bad_certificate');
    assert.match(String(failed.remote), /^127\.0\.0\.1:\d+$/);
    const logText = JSON.stringify(relay.logs) + relay.stderr();
    for (const f of ['server.key', 'server2.key', 'client.key', 'ca.key']) {
      const body = readFileSync(join(certs, f), 'utf8').split('\n')[1];
      assert.ok(!logText.includes(body), `${f} material in the log`);
    }
    assert.doesNotMatch(logText, /PRIVATE KEY/);
  } finally {
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
  }
});
