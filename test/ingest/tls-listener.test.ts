/**
 * TLS and mutual TLS on a real listener with certificates made by test/certs/generate.sh: only clients
 * with a certificate chaining to caFile get a byte read; every refusal is reported with its reason; TLS
 * below 1.2 is refused; the certificate files are re-read without dropping open connections; the config
 * check refuses incomplete or unreadable TLS settings without ever echoing file contents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { makeCerts, pem, startListener, until, tcp, closed, tlsClient } from './listener-kit.js';
import { validateConfig } from '../../src/config/load-config.js';
import { isRelayError } from '../../src/errors.js';
import { TlsFilesError } from '../../src/ingest/tls-context.js';

const certs = makeCerts();
const tlsFields = (extra: Record<string, unknown> = {}) => ({
  tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt'), handshakeTimeoutMs: 400, ...extra },
});
const clientCert = { key: pem(certs, 'client.key'), cert: pem(certs, 'client.crt'), ca: pem(certs, 'ca.crt') };

/** Sends `line` over a client that may be refused; resolves once the connection is over. */
async function tryTls(port: number, opts: Parameters<typeof tlsClient>[1], line: string): Promise<'connected' | string> {
  try {
    const s = await tlsClient(port, opts);
    s.on('error', () => undefined);
    s.end(line);
    await closed(s as unknown as import('node:net').Socket);
    return 'connected';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
}

test('mutual TLS: a client certificate from caFile is admitted (TLS 1.3 and 1.2); no certificate, a foreign one, TLS 1.1 and plain text are refused before any byte is read', async () => {
  const { listener, port, rec } = await startListener(tlsFields());
  try {
    assert.equal(await tryTls(port, { ...clientCert }, '{"good":13}\n'), 'connected');
    assert.equal(await tryTls(port, { ...clientCert, maxVersion: 'TLSv1.2' }, '{"good":12}\n'), 'connected');
    await until(() => rec.data().includes('{"good":12}'), 'good records');
    await tryTls(port, { ca: pem(certs, 'ca.crt') }, '{"SECRET":"no-cert"}\n');
    await tryTls(port, { key: pem(certs, 'stranger.key'), cert: pem(certs, 'stranger.crt'), ca: pem(certs, 'ca.crt') }, '{"SECRET":"stranger"}\n');
    await tryTls(port, { ca: pem(certs, 'ca.crt'), key: pem(certs, 'stranger.key'), cert: pem(certs, 'stranger.crt'), maxVersion: 'TLSv1.2' }, '{"SECRET":"stranger12"}\n');
    assert.notEqual(await tryTls(port, { ...clientCert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, '{"SECRET":"tls11"}\n'), 'connected');
    const plain = await tcp(port);
    plain.end('{"SECRET":"plaintext"}\n');
    await closed(plain);
    // A client that connects and never speaks is dropped after handshakeTimeoutMs.
    const silent = await tcp(port);
    await closed(silent);
    await until(() => rec.tls.length >= 6, 'six handshake failures');
    assert.deepEqual(rec.tls.map((t) => t.reason).sort(), ['bad_certificate', 'bad_certificate', 'no_certificate', 'protocol', 'protocol', 'timeout']);
    assert.ok(rec.tls.every((t) => t.remote.startsWith('127.0.0.1:')), 'failures carry the client address for the log');
    assert.equal(rec.opened.length, 2);
    assert.equal(rec.data(), '{"good":13}\n{"good":12}\n');
    assert.doesNotMatch(rec.data(), /SECRET/);
    await until(() => listener.connectionCount === 0, 'every connection closed');
  } finally {
    listener.stopAccepting();
  }
});

test('server-only TLS (requireClientCert: false) admits a client without a certificate', async () => {
  const { listener, port, rec } = await startListener({ tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), requireClientCert: false } });
  try {
    assert.equal(await tryTls(port, { ca: pem(certs, 'ca.crt') }, '{"anon":1}\n'), 'connected');
    await until(() => rec.data() === '{"anon":1}\n', 'the record');
    assert.deepEqual(rec.tls, []);
  } finally {
    listener.stopAccepting();
  }
});

test('minVersion TLSv1.3 refuses a TLS 1.2 client', async () => {
  const { listener, port, rec } = await startListener(tlsFields({ minVersion: 'TLSv1.3' }));
  try {
    assert.notEqual(await tryTls(port, { ...clientCert, maxVersion: 'TLSv1.2' }, '{"x":1}\n'), 'connected');
    await until(() => rec.tls.length === 1, 'the failure');
    assert.equal(rec.tls[0].reason, 'protocol');
    assert.equal(rec.data(), '');
  } finally {
    listener.stopAccepting();
  }
});

test('reloadTls re-reads the certificate files: new handshakes get the new certificate, an open connection goes on', async () => {
  const dir = makeCerts();
  const { listener, port, rec } = await startListener({ tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') } });
  const opts = { key: pem(dir, 'client.key'), cert: pem(dir, 'client.crt'), ca: pem(dir, 'ca.crt') };
  let before: TLSSocket | undefined;
  try {
    before = await tlsClient(port, opts);
    assert.equal(before.getPeerCertificate().subject.CN, 'zpa-relay');
    before.write('{"before":1}\n');
    copyFileSync(join(dir, 'server2.crt'), join(dir, 'server.crt'));
    copyFileSync(join(dir, 'server2.key'), join(dir, 'server.key'));
    assert.equal(listener.reloadTls(), true);
    const after = await tlsClient(port, opts);
    assert.equal(after.getPeerCertificate().subject.CN, 'zpa-relay-2');
    after.end('{"after":1}\n');
    // The connection opened before the reload is still up and still read.
    before.end('{"before":2}\n');
    await Promise.all([closed(after as never), closed(before as never)]);
    await until(() => rec.data().split('\n').length === 4, 'three records');
    assert.deepEqual(rec.data().split('\n').filter(Boolean).sort(), ['{"after":1}', '{"before":1}', '{"before":2}']);
    // A broken key file: the reload throws a safe error and the current certificate stays in use.
    writeFileSync(join(dir, 'server.key'), '-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n');
    assert.throws(() => listener.reloadTls(), (err: unknown) => err instanceof TlsFilesError && !/TOPSECRET|BEGIN/.test(err.message));
    const still = await tlsClient(port, opts);
    assert.equal(still.getPeerCertificate().subject.CN, 'zpa-relay-2');
    still.destroy();
  } finally {
    before?.destroy();
    listener.stopAccepting();
  }
});

test('config check: TLS needs both files, a CA when client certificates are required, readable PEM; problems never quote file contents', () => {
  const bad = join(certs, 'bad.pem');
  writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nTOPSECRETNOTACERT\n-----END CERTIFICATE-----\n');
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ certFile: join(certs, 'server.crt') }, /tls\.keyFile: required/],
    [{ keyFile: join(certs, 'server.key') }, /tls\.certFile: required/],
    [{ certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key') }, /tls\.caFile: required when requireClientCert/],
    [{ certFile: join(certs, 'missing.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt') }, /tls\.certFile: cannot read .*missing\.crt: ENOENT/],
    [{ certFile: join(certs, 'server.crt'), keyFile: join(certs, 'client.key'), caFile: join(certs, 'ca.crt') }, /do not load.*ERR_/],
    [{ certFile: bad, keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt') }, /do not load/],
    [{ caFile: join(certs, 'ca.crt') }, /caFile: set, but TLS is off/],
  ];
  for (const [tls, expected] of cases) {
    assert.throws(
      () => validateConfig({ listeners: [{ name: 'a', port: 0, tls }] }),
      (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') && expected.test(err.message) && !/TOPSECRET|BEGIN/.test(err.message),
      JSON.stringify(tls),
    );
  }
  assert.throws(() => validateConfig({ listeners: [{ name: 'a', port: 0, tls: { certFile: join(certs, 'server.crt'), keyFile: join(certs, 'server.key'), caFile: join(certs, 'ca.crt'), minVersion: 'TLSv1.1' } }] }), /minVersion: must be one of TLSv1\.2, TLSv1\.3/);
  const ok = validateConfig({ listeners: [{ name: 'a', port: 0, ...tlsFields() }] });
  assert.equal(ok.listeners[0].tls.requireClientCert, true);
  assert.equal(ok.listeners[0].tls.minVersion, 'TLSv1.2');
});

test('PROXY header then TLS: ClientHello bytes that arrive in the same read as the header reach the handshake', async () => {
  const { listener, port, rec } = await startListener({ proxyProtocol: true, allowCidrs: ['192.0.2.0/24'], ...tlsFields() });
  try {
    const raw = await tcp(port);
    // Corked: the header and the ClientHello leave in one segment.
    raw.cork();
    raw.write('PROXY TCP4 192.0.2.44 10.0.0.1 33000 9018\r\n');
    const s = tlsConnect({ socket: raw, servername: 'localhost', ...clientCert });
    process.nextTick(() => raw.uncork());
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    s.end('{"through":"proxy+tls"}\n');
    await closed(s as never);
    await until(() => rec.closed.length === 1, 'the close');
    assert.equal(rec.data(), '{"through":"proxy+tls"}\n');
    assert.deepEqual(rec.opened, ['192.0.2.44:33000']);
  } finally {
    listener.stopAccepting();
  }
});
