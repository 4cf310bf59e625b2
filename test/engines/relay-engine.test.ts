/**
 * `workers.engine` through the real binary: the relay says which engine its workers run (ready log line and
 * zpa_relay_engine_info), `auto` falls back to the reference engine with a warning where the native addon
 * does not load, and `simdjson` is refused up front there (config check and run), listing the reason.
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
import { loadNativeAddon } from '../../workers/engines/native-addon.js';

const NO_ADDON = { ...process.env, ZPA_RELAY_NATIVE_ADDON: '/nonexistent/zpa_native.node' };

function config(url: string, engine?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-engine-'));
  return writeRelayConfig(dir, {
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'http', flushIntervalMs: 50, http: { url, auth: { type: 'none' } } },
    deadLetter: { path: join(dir, 'dl') },
    ...(engine === undefined ? {} : { workers: { engine } }),
  });
}

async function runOnce(file: string, env: NodeJS.ProcessEnv, panther: Awaited<ReturnType<typeof startPantherStandin>>) {
  const relay = await spawnRelay(['run', '--config', file], { env });
  try {
    const gen = new LssGenerator(5);
    const lines = Array.from({ length: 50 }, () => gen.userActivity());
    const before = panther.lines.length;
    await sendAndClose(relay.ports.ua!, lines.join('\n') + '\n');
    await panther.waitForLines(before + lines.length, 10_000);
    const adminUrl = `http://127.0.0.1:${relay.adminPort}`;
    const info = { simdjson: await metricValue(adminUrl, 'zpa_relay_engine_info', { engine: 'simdjson' }), reference: await metricValue(adminUrl, 'zpa_relay_engine_info', { engine: 'reference' }) };
    const ready = relay.logs.find((l) => l.msg === 'zpa-relay ready')!;
    return { info, ready, logs: relay.logs };
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
  }
}

test('the default (auto) runs the simdjson engine where the addon is built, and says so', { skip: loadNativeAddon().addon === undefined && 'the native addon is not built on this machine' }, async () => {
  const panther = await startPantherStandin();
  try {
    const r = await runOnce(config(panther.url), process.env, panther);
    assert.equal(r.ready.engine, 'simdjson');
    assert.deepEqual(r.info, { simdjson: 1, reference: 0 });
    assert.ok(!r.logs.some((l) => String(l.msg).startsWith('the simdjson engine is not available')), 'no engine fallback warning');
  } finally {
    await panther.close();
  }
});

test('workers.engine: reference runs the reference engine even where the addon is built', async () => {
  const panther = await startPantherStandin();
  try {
    const r = await runOnce(config(panther.url, 'reference'), process.env, panther);
    assert.equal(r.ready.engine, 'reference');
    assert.deepEqual(r.info, { simdjson: 0, reference: 1 });
  } finally {
    await panther.close();
  }
});

test('auto without the addon: the reference engine runs, a warning says why, records are delivered', async () => {
  const panther = await startPantherStandin();
  try {
    const r = await runOnce(config(panther.url, 'auto'), NO_ADDON, panther);
    assert.equal(r.ready.engine, 'reference');
    assert.deepEqual(r.info, { simdjson: 0, reference: 1 });
    const warning = r.logs.find((l) => String(l.msg).startsWith('the simdjson engine is not available'));
    assert.ok(warning, 'a warning names the fallback');
    assert.match(String(warning.reason), /\/nonexistent\/zpa_native\.node is missing/);
  } finally {
    await panther.close();
  }
});

test('workers.engine: simdjson without the addon is refused by config check and run, with every problem listed', async () => {
  const file = config('http://127.0.0.1:9/x', 'simdjson');
  const check = await runBin(['config', 'check', file], { env: NO_ADDON });
  assert.equal(check.code, 2, check.stderr);
  assert.match(check.stderr, /workers\.engine: simdjson is not available here: the native addon is not built/);
  const run = await runBin(['run', '--config', file], { env: NO_ADDON });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /workers\.engine: simdjson is not available here/);
  // An unknown engine name is a schema problem, listed with the others.
  const bad = config('http://127.0.0.1:9/x', 'turbo');
  const r = await runBin(['config', 'check', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /workers\.engine: must be one of auto, reference, simdjson/);
});
