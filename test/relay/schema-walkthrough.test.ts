/**
 * The README's walkthrough "When Panther's documented schema and real traffic disagree", step by step through
 * the real binary and the Panther stand-in: User Activity with policy names is dead-lettered; `dead-letter
 * report` shows it while the relay runs; `schema derive` writes a custom schema and `schema test` passes on
 * its tests; the listener moves to the custom schema with `schemas.include` and a SIGHUP, after which records
 * of the same shape are delivered at once; `dead-letter replay` delivers the stored ones. The stand-in must
 * then hold exactly the records sent, byte for byte, and the store none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { runBin, spawnRelay, writeRelayConfig } from '../helpers/relay-process.js';
import { sendAndClose } from '../helpers/relay-harness.js';
import { sumMetric } from '../helpers/metrics-text.js';
import { userActivityDrift } from '../helpers/drift-records.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('walkthrough: dead-lettered policy names -> report -> derive -> schema test -> include + SIGHUP -> delivered at once -> replay; the stand-in holds exactly what was sent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-walkthrough-'));
  const panther = await startPantherStandin();
  const base = {
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'http', flushIntervalMs: 100, http: { url: panther.url } },
    deadLetter: { path: join(dir, 'dl') },
  };
  const cfg = writeRelayConfig(dir, { ...base, listeners: [{ name: 'user-activity', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }] });
  const relay = await spawnRelay(['run', '--config', cfg], { cwd: dir });
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${relay.adminPort}/metrics`)).text();
  try {
    // 1. Real-shaped traffic with the documented schema: every record is refused (Policy holds a name) and kept.
    const first = userActivityDrift(30, 101);
    await sendAndClose(relay.ports['user-activity']!, first.join('\n') + '\n');
    await until('30 dead-lettered records', async () => sumMetric(await metrics(), 'zpa_relay_dead_letter_records_total') === 30);
    assert.equal(panther.lines.length, 0, 'nothing reached Panther with the documented schema');

    // 2. The report reads the file the relay is writing.
    const report = await runBin(['dead-letter', 'report', '--config', cfg], { cwd: dir });
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /Zscaler\.ZPA\.UserActivity/);
    assert.match(report.stdout, /wrong_type\s+Policy:?\s+30\b/);

    // 3. Derive the custom schema from the store, and test it in Panther's format.
    const derive = await runBin(['schema', 'derive', '--log-type', 'Zscaler.ZPA.UserActivity', '--config', cfg, '--out', 'custom-schemas'], { cwd: dir });
    assert.equal(derive.code, 0, derive.stderr + derive.stdout);
    assert.match(derive.stdout, /changed: Policy: bigint -> string \(30 records/);
    // The store's compressed files work as record files too (copied off the machine, say).
    const storeFiles = readdirSync(join(dir, 'dl')).filter((f) => /\.jsonl\.gz(\.open)?$/.test(f)).map((f) => join(dir, 'dl', f));
    const fromFiles = await runBin(['schema', 'derive', '--log-type', 'Zscaler.ZPA.UserActivity', '--no-store', '--out', 'from-files', ...storeFiles], { cwd: dir });
    assert.match(fromFiles.stdout, /records examined: 30 \(dead-letter store 0, sample 0, files 30\)/, fromFiles.stderr);
    const schemaTest = await runBin(['schema', 'test', 'custom-schemas'], { cwd: dir });
    assert.equal(schemaTest.code, 0, schemaTest.stdout + schemaTest.stderr);

    // 4. Load it and move the listener to it, without a restart.
    writeRelayConfig(dir, {
      ...base,
      schemas: { include: ['custom-schemas'] },
      listeners: [{ name: 'user-activity', host: '127.0.0.1', port: 0, logType: 'Custom.ZPA.UserActivity' }],
    });
    relay.child.kill('SIGHUP');
    await until('the reload', async () => relay.logs.some((l) => l.msg === 'config reloaded'));
    const reloaded = relay.logs.find((l) => l.msg === 'config reloaded')!;
    assert.ok((reloaded.applied as string[]).includes('listeners.user-activity.logType'), JSON.stringify(reloaded));
    assert.deepEqual(reloaded.needsRestart, []);

    // 5. New records of the same shape are delivered at once.
    const second = userActivityDrift(20, 202);
    await sendAndClose(relay.ports['user-activity']!, second.join('\n') + '\n');
    await panther.waitForLines(20, 10_000);
    assert.deepEqual([...panther.lines].sort(), [...second].sort());

    // 6. Replay the stored ones: delivered, and removed from the store.
    const replay = await runBin(['dead-letter', 'replay', '--config', cfg], { cwd: dir });
    assert.equal(replay.code, 0, replay.stdout + replay.stderr);
    assert.match(replay.stdout, /30 selected: 30 delivered, 0 still rejected/);
    await panther.waitForLines(50, 10_000);
    assert.equal(panther.lines.length, 50, 'no record delivered twice');
    assert.deepEqual([...panther.lines].sort(), [...first, ...second].sort(), 'byte for byte the records sent');
    const left = await runBin(['dead-letter', 'list', '--json', '--config', cfg], { cwd: dir });
    assert.equal(left.code, 0, left.stderr);
    assert.equal(left.stdout.trim(), '', 'the store holds no record');
  } finally {
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0, relay.stderr());
    await panther.close();
  }
});

test('derive reads the sample the relay keeps of accepted records with unknown fields: the PRA fields are added, no documented field changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-walkthrough-'));
  const cfg = writeRelayConfig(dir, {
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'directory', directory: { path: join(dir, 'out') } },
    deadLetter: { path: join(dir, 'dl') },
    listeners: [{ name: 'user-activity', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
  });
  const relay = await spawnRelay(['run', '--config', cfg], { cwd: dir });
  try {
    // Numeric policies: the documented schema accepts these records, and Panther would drop their PRA fields.
    const accepted = userActivityDrift(40, 303).map((l) => l.replace(/"Policy": "[^"]*"/, '"Policy": "216199618105354462"'));
    await sendAndClose(relay.ports['user-activity']!, accepted.join('\n') + '\n');
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${relay.adminPort}/metrics`)).text();
    await until('the unknown fields counted (every record carries Hostname)', async () => sumMetric(await metrics(), 'zpa_relay_unknown_fields_total', { field: 'Hostname' }) === 40);
    await until('the sample written', async () => {
      const r = await runBin(['schema', 'derive', '--log-type', 'Zscaler.ZPA.UserActivity', '--config', cfg, '--out', 'custom'], { cwd: dir });
      return r.code === 0 && /sample [1-9]/.test(r.stdout);
    });
    const r = await runBin(['schema', 'derive', '--log-type', 'Zscaler.ZPA.UserActivity', '--config', cfg, '--out', 'custom'], { cwd: dir });
    assert.match(r.stdout, /records examined: \d+ \(dead-letter store 0, sample \d+, files 0\)/);
    assert.doesNotMatch(r.stdout, /changed:/);
    for (const f of ['PRASessionType', 'PRAFileTransferList', 'Hostname', 'Platform']) assert.match(r.stdout, new RegExp(`added: .*\\b${f} \\(`));
  } finally {
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0, relay.stderr());
  }
});
