/**
 * `zpa-relay run` and `zpa-relay config check` through the real binary: signals, exit codes, output files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { spawnRelay, runBin, writeRelayConfig } from '../helpers/relay-process.js';
import { connectTo, sendAndClose } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'zpa-relay-proc-'));
}

test('SIGTERM mid-stream: everything already sent is delivered, exit 0 within the drain timeout', async () => {
  const panther = await startPantherStandin({ auth: { type: 'shared-secret', header: 'x-panther-secret', secret: 'proc-s3cret' } });
  const dir = tempDir();
  const file = writeRelayConfig(dir, {
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'http', flushIntervalMs: 5000, http: { url: panther.url, auth: { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'PS' } } },
    deadLetter: { path: join(dir, 'dl') },
    drainTimeoutMs: 10_000,
  });
  const relay = await spawnRelay(['run', '--config', file], { env: { ...process.env, PS: 'proc-s3cret' } });
  const gen = new LssGenerator(77);
  const lines = Array.from({ length: 4000 }, () => gen.userActivity());
  const sock = await connectTo(relay.ports.ua);
  sock.on('error', () => undefined);
  // Stream in pieces, and send SIGTERM while records are still in flight.
  for (let i = 0; i < lines.length; i += 100) {
    const ok = sock.write(lines.slice(i, i + 100).join('\n') + '\n');
    if (!ok) await new Promise((r) => sock.once('drain', r));
  }
  const t0 = Date.now();
  relay.child.kill('SIGTERM');
  const code = await relay.exited;
  assert.equal(code, 0, relay.stderr());
  assert.ok(Date.now() - t0 < 10_000, 'exited within drainTimeoutMs');
  assert.equal(panther.lines.length, lines.length);
  assert.deepEqual([...panther.lines].sort(), [...lines].sort());
  const out = relay.logs.map((l) => JSON.stringify(l)).join('\n') + relay.stderr();
  assert.ok(!out.includes('proc-s3cret'), 'the secret never appears in logs');
  sock.destroy();
  await panther.close();
});

test('the embedded default runs with no config: five listeners, directory output with temp-then-rename files', async () => {
  const dir = tempDir();
  const env = { ...process.env };
  delete env.PANTHER_HTTP_URL;
  delete env.ZPA_RELAY_CONFIG;
  const relay = await spawnRelay(['run'], { cwd: dir, env });
  try {
    assert.deepEqual(relay.ports, { 'app-connector-status': 9015, audit: 9016, 'app-connector-metrics': 9017, 'user-activity': 9018, 'user-status': 9019 });
    assert.equal(relay.adminPort, 9100);
    assert.equal((await fetch('http://127.0.0.1:9100/readyz')).status, 200);
    const gen = new LssGenerator(5);
    const ua = Array.from({ length: 10 }, () => gen.userActivity());
    await sendAndClose(9018, ua.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    relay.child.kill('SIGTERM');
  }
  assert.equal(await relay.exited, 0, relay.stderr());
  const outDir = join(dir, 'data', 'out', 'Zscaler.ZPA.UserActivity');
  const files = readdirSync(outDir);
  assert.ok(files.length >= 1 && files.every((f) => f.endsWith('.json.gz') && !f.startsWith('.')), files.join(','));
  const text = files.map((f) => gunzipSync(readFileSync(join(outDir, f))).toString()).join('');
  assert.equal(text.split('\n').filter(Boolean).length, 10);
});

test('config check prints the effective config with defaults and redacted credentials; exit 0', async () => {
  const dir = tempDir();
  const file = writeRelayConfig(dir, {
    listeners: [{ name: 'ua', port: 9018, logType: 'Zscaler.ZPA.UserActivity' }],
    output: { type: 'http', http: { url: 'https://user:hunter22@logs.x.runpanther.net/http/1', auth: { type: 'bearer', tokenEnv: 'TOK' } } },
  });
  const r = await runBin(['config', 'check', file], { env: { ...process.env, TOK: 'tok-value-123' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /maxLineBytes: 1048576/);
  assert.match(r.stdout, /maxRequestBytes: 1000000/);
  assert.match(r.stdout, /tokenEnv: TOK/);
  assert.ok(!r.stdout.includes('hunter22') && !r.stdout.includes('tok-value-123'), r.stdout);
});

test('a bad config stops the start listing every problem; exit 2', async () => {
  const dir = tempDir();
  const file = writeRelayConfig(dir, {
    listeners: [{ name: 'ua', port: 99999, logType: 'Zscaler.ZPA.Nope' }, { name: 'x', port: 'abc' }],
    output: { type: 'kafka' },
    bogus: 1,
  });
  for (const args of [['run', '--config', file], ['config', 'check', file]]) {
    const r = await runBin(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /listeners\[0\]\.port/);
    assert.match(r.stderr, /listeners\[1\]\.port/);
    assert.match(r.stderr, /output\.type: must be one of http, directory/);
    assert.match(r.stderr, /unknown key "bogus"/);
  }
  const unknownType = writeRelayConfig(dir, { listeners: [{ name: 'ua', port: 0, logType: 'Zscaler.ZPA.Nope' }] });
  const r = await runBin(['config', 'check', unknownType]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /listeners\[0\]\.logType: unknown log type "Zscaler\.ZPA\.Nope"/);
});
