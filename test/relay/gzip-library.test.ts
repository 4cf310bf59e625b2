/**
 * `output.http.gzipLibrary` through the real binary: gzip bodies compressed by ISA-L's igzip (the default
 * where its module is built) or by zlib reach the stand-in Panther, whose decoder (Node's zlib, which checks
 * the gzip trailer's CRC-32 and length) gets exactly the records sent; the relay says which library runs
 * (ready log line and zpa_relay_compression_info); `auto` falls back to zlib where the module does not load,
 * and `isal` is refused up front there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { runBin, spawnRelay, writeRelayConfig } from '../helpers/relay-process.js';
import { metricValue, sendAndClose } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { loadIsal } from '../../src/sink/isal-gzip.js';

const NO_ISAL = { ...process.env, ZPA_RELAY_ISAL_ADDON: '/nonexistent/zpa_igzip.node' };
const noIsalHere = loadIsal().addon === undefined && 'the ISA-L gzip module is not built on this machine (install libisal-dev, then npm run build:native)';

function config(url: string, http: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-gzip-'));
  return writeRelayConfig(dir, {
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
    admin: { host: '127.0.0.1', port: 0 },
    // Small bodies, so that every run uses several and each one's trailer chains several runs' CRCs.
    output: { type: 'http', flushIntervalMs: 50, http: { url, auth: { type: 'none' }, maxRequestBytes: 100_000, ...http } },
    // Small batches: several compressed runs per body.
    batch: { maxBytes: 64 * 1024 },
    deadLetter: { path: join(dir, 'dl') },
  });
}

async function runOnce(http: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const panther = await startPantherStandin({ maxRequestBytes: 100_000 });
  const relay = await spawnRelay(['run', '--config', config(panther.url, http)], { env }).catch(async (err: unknown) => {
    await panther.close();
    throw err;
  });
  try {
    const gen = new LssGenerator(23);
    const lines = Array.from({ length: 3000 }, () => gen.userActivity());
    await sendAndClose(relay.ports.ua!, lines.join('\n') + '\n');
    await panther.waitForLines(lines.length, 20_000);
    const adminUrl = `http://127.0.0.1:${relay.adminPort}`;
    const library = async (format: string, lib: string) => metricValue(adminUrl, 'zpa_relay_compression_info', { output: 'http', format, library: lib });
    return {
      sent: lines,
      received: [...panther.lines],
      requests: panther.requests,
      info: { isal: await library('gzip', 'isal'), zlib: await library('gzip', 'zlib') },
      ready: relay.logs.find((l) => l.msg === 'zpa-relay ready')!,
      logs: relay.logs,
    };
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
    await panther.close();
  }
}

function assertExact(r: Awaited<ReturnType<typeof runOnce>>): void {
  assert.ok(r.requests.length >= 10, `${r.requests.length} bodies: the records span many`);
  assert.ok(r.requests.every((q) => q.status === 200 && q.encoding === 'gzip' && q.wireBytes <= 100_000), 'every body is gzip, decoded and within the limit');
  // Bodies are sent concurrently, so their order is not the records' order; the multiset must be equal.
  const received = [...r.received].sort();
  const sent = [...r.sent].sort();
  assert.equal(received.length, sent.length, 'as many records as sent');
  assert.ok(received.every((l, i) => l === sent[i]), 'exactly the records sent, byte for byte');
}

test('the default (auto) compresses gzip bodies with igzip where its module is built; zlib decodes them exactly', { skip: noIsalHere }, async () => {
  const r = await runOnce({}, process.env);
  assertExact(r);
  assert.equal(r.ready.compression, 'gzip level 1 (isal)');
  assert.deepEqual(r.info, { isal: 1, zlib: 0 });
});

test('gzipLibrary: zlib compresses with zlib even where igzip is built', async () => {
  const r = await runOnce({ gzipLibrary: 'zlib' }, process.env);
  assertExact(r);
  assert.equal(r.ready.compression, 'gzip level 1 (zlib)');
  assert.deepEqual(r.info, { isal: 0, zlib: 1 });
});

test('auto at compressionLevel 6 uses zlib: igzip has no level that small', async () => {
  const r = await runOnce({ compressionLevel: 6 }, process.env);
  assertExact(r);
  assert.equal(r.ready.compression, 'gzip level 6 (zlib)');
});

test('auto without the module: zlib compresses, an info line says why, records arrive exactly', async () => {
  const r = await runOnce({}, NO_ISAL);
  assertExact(r);
  assert.equal(r.ready.compression, 'gzip level 1 (zlib)');
  assert.deepEqual(r.info, { isal: 0, zlib: 1 });
  const line = r.logs.find((l) => String(l.msg).startsWith('the ISA-L gzip module is not available'));
  assert.ok(line, 'the fallback is logged');
  assert.match(String(line.reason), /\/nonexistent\/zpa_igzip\.node is missing/);
});

test('gzipLibrary: isal without the module is refused by config check and run, with the reason', async () => {
  const file = config('http://127.0.0.1:9/x', { gzipLibrary: 'isal' });
  const check = await runBin(['config', 'check', file], { env: NO_ISAL });
  assert.equal(check.code, 2, check.stderr);
  assert.match(check.stderr, /output\.http\.gzipLibrary: isal is not available here: the ISA-L gzip module is not built/);
  const run = await runBin(['run', '--config', file], { env: NO_ISAL });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /output\.http\.gzipLibrary: isal is not available here/);
  const bad = config('http://127.0.0.1:9/x', { gzipLibrary: 'pigz' });
  const r = await runBin(['config', 'check', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /output\.http\.gzipLibrary: must be one of auto, isal, zlib/);
});
