/**
 * `zpa-relay check --engine`: each engine gives the same output on the same file, and asking for simdjson
 * where the addon cannot be loaded is a usage-level failure (exit 2) with a message that says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBin } from '../helpers/relay-process.js';
import { RecordMutator } from './mutate.js';

test('check --engine simdjson and --engine reference print the same verdicts', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zpa-engine-'));
  const file = path.join(dir, 'mixed.log');
  const mut = new RecordMutator(99);
  writeFileSync(file, Buffer.concat(Array.from({ length: 300 }, () => Buffer.concat([Buffer.from(mut.next()), Buffer.from('\n')]))));
  for (const logType of ['auto', 'Zscaler.ZPA.UserActivity']) {
    const ref = await runBin(['check', '--engine', 'reference', '--log-type', logType, file]);
    const simd = await runBin(['check', '--engine', 'simdjson', '--log-type', logType, file]);
    assert.equal(ref.code, 1, ref.stderr);
    assert.equal(simd.code, ref.code, simd.stderr);
    assert.equal(simd.stdout, ref.stdout);
    assert.equal(simd.stderr, ref.stderr);
    assert.match(ref.stdout, /"status":"accepted"/);
  }
});

test('check --engine simdjson without the addon exits 2 and says why; auto falls back', { timeout: 30_000 }, async () => {
  const env = { ...process.env, ZPA_RELAY_NATIVE_ADDON: '/nonexistent/zpa_native.node' };
  const r = await runBin(['check', '--engine', 'simdjson', 'examples/user-activity.log'], { env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--engine simdjson: the simdjson engine is not available: the native addon is not built \(\/nonexistent\/zpa_native\.node is missing/);
  assert.equal(r.stdout, '');
  const auto = await runBin(['check', '--engine', 'auto', 'examples/user-activity.log'], { env });
  const ref = await runBin(['check', '--engine', 'reference', 'examples/user-activity.log']);
  assert.equal(auto.stdout, ref.stdout);
  assert.equal(auto.code, ref.code);
});
