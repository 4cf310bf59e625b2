/**
 * SIGHUP reloads schemas and output settings without dropping connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { spawnRelay } from '../helpers/relay-process.js';
import { connectTo, waitFor, metricValue } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { REPO_ROOT } from '../helpers/repo.js';

test('SIGHUP: a schema fix and a new output URL apply to the same open connection', async () => {
  const first = await startPantherStandin();
  const second = await startPantherStandin();
  const dir = mkdtempSync(join(tmpdir(), 'zpa-reload-'));
  const schemas = join(dir, 'schemas');
  cpSync(join(REPO_ROOT, 'schemas'), schemas, { recursive: true });
  const file = join(dir, 'relay.yaml');
  const config = (url: string) => ({
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
    admin: { host: '127.0.0.1', port: 0 },
    schemas: { path: schemas },
    output: { type: 'http', flushIntervalMs: 30, http: { url, auth: { type: 'none' } } },
    deadLetter: { path: join(dir, 'dl') },
  });
  writeFileSync(file, stringify(config(first.url)));
  const relay = await spawnRelay(['run', '--config', file]);
  const admin = `http://127.0.0.1:${relay.adminPort}`;
  const gen = new LssGenerator(5, { policyNameShare: 1 });
  const sock = await connectTo(relay.ports.ua);
  const before = gen.userActivity();
  sock.write(before + '\n');
  await waitFor(async () => (await metricValue(admin, 'zpa_relay_records_rejected_total', { reason: 'wrong_type' })) === 1, 'Policy name rejected by the documented schema');
  // The operator fixes the schema (Policy: string) and points the relay at another Panther source.
  const ua = join(schemas, 'Zscaler.ZPA.UserActivity.yaml');
  writeFileSync(ua, readFileSync(ua, 'utf8').replace(/(- name: Policy\n(?:\s+description: .*\n)?\s+type: )bigint/, '$1string'));
  assert.match(readFileSync(ua, 'utf8'), /name: Policy\n(\s+description: .*\n)?\s+type: string/);
  writeFileSync(file, stringify(config(second.url)));
  relay.child.kill('SIGHUP');
  await waitFor(() => relay.logs.some((l) => l.msg === 'config reloaded'), 'reload logged');
  const after = gen.userActivity();
  sock.write(after + '\n');
  await second.waitForLines(1);
  assert.deepEqual(second.lines, [after], 'the fixed schema accepts it and the new output receives it');
  assert.equal(first.lines.length, 0);
  assert.ok(!sock.destroyed, 'the connection stayed open');
  assert.equal(await metricValue(admin, 'zpa_relay_connections_total'), 1);
  sock.end();
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0);
  await first.close();
  await second.close();
});
