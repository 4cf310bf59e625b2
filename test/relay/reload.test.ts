/**
 * SIGHUP reloads schemas, onReject and output settings without dropping connections.
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

/** One User Activity listener sending to `url`, with `extra` settings on top. */
function relayConfig(dir: string, url: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'http', flushIntervalMs: 30, http: { url, auth: { type: 'none' } } },
    deadLetter: { path: join(dir, 'dl') },
    ...extra,
  };
}

/** A relay started on `cfg` with one connection open to it; reload() rewrites the file and sends SIGHUP. */
async function relayWithConnection(dir: string, cfg: Record<string, unknown>) {
  const file = join(dir, 'relay.yaml');
  writeFileSync(file, stringify(cfg));
  const relay = await spawnRelay(['run', '--config', file]);
  const admin = `http://127.0.0.1:${relay.adminPort}`;
  const sock = await connectTo(relay.ports.ua);
  const reload = async (next: Record<string, unknown>) => {
    const seen = relay.logs.filter((l) => l.msg === 'config reloaded').length;
    writeFileSync(file, stringify(next));
    relay.child.kill('SIGHUP');
    await waitFor(() => relay.logs.filter((l) => l.msg === 'config reloaded').length > seen, 'reload logged');
  };
  const stop = async () => {
    sock.end();
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
  };
  return { admin, sock, reload, stop };
}

test('SIGHUP: a schema fix and a new output URL apply to the same open connection', async () => {
  const first = await startPantherStandin();
  const second = await startPantherStandin();
  const dir = mkdtempSync(join(tmpdir(), 'zpa-reload-'));
  const schemas = join(dir, 'schemas');
  cpSync(join(REPO_ROOT, 'schemas'), schemas, { recursive: true });
  const config = (url: string) => relayConfig(dir, url, { schemas: { path: schemas } });
  const { admin, sock, reload, stop } = await relayWithConnection(dir, config(first.url));
  const gen = new LssGenerator(5, { policyNameShare: 1 });
  const before = gen.userActivity();
  sock.write(before + '\n');
  await waitFor(async () => (await metricValue(admin, 'zpa_relay_records_rejected_total', { reason: 'wrong_type' })) === 1, 'Policy name rejected by the documented schema');
  // The operator fixes the schema (Policy: string) and points the relay at another Panther source.
  const ua = join(schemas, 'Zscaler.ZPA.UserActivity.yaml');
  writeFileSync(ua, readFileSync(ua, 'utf8').replace(/(- name: Policy\n(?:\s+description: .*\n)?\s+type: )bigint/, '$1string'));
  assert.match(readFileSync(ua, 'utf8'), /name: Policy\n(\s+description: .*\n)?\s+type: string/);
  await reload(config(second.url));
  const after = gen.userActivity();
  sock.write(after + '\n');
  await second.waitForLines(1);
  assert.deepEqual(second.lines, [after], 'the fixed schema accepts it and the new output receives it');
  assert.equal(first.lines.length, 0);
  assert.ok(!sock.destroyed, 'the connection stayed open');
  assert.equal(await metricValue(admin, 'zpa_relay_connections_total'), 1);
  await stop();
  await first.close();
  await second.close();
});

test('SIGHUP: a new onReject applies to the next records of an open connection (the workers get it with each batch)', async () => {
  const panther = await startPantherStandin();
  const dir = mkdtempSync(join(tmpdir(), 'zpa-reload-'));
  const config = (onReject: Record<string, string>) => relayConfig(dir, panther.url, { onReject });
  const { admin, sock, reload, stop } = await relayWithConnection(dir, config({ default: 'dead-letter' }));
  // A policy name in Policy (bigint in the documented schema): refused with wrong_type.
  const gen = new LssGenerator(6, { policyNameShare: 1 });
  const kept = gen.userActivity();
  sock.write(kept + '\n');
  await waitFor(async () => (await metricValue(admin, 'zpa_relay_dead_letter_records_total', { reason: 'wrong_type' })) === 1, 'kept in the dead-letter store');
  await reload(config({ wrong_type: 'forward' }));
  const forwarded = gen.userActivity();
  sock.write(forwarded + '\n');
  await panther.waitForLines(1);
  assert.deepEqual(panther.lines, [forwarded], 'refused as before, but now sent on');
  assert.equal(await metricValue(admin, 'zpa_relay_rejected_forwarded_total', { reason: 'wrong_type' }), 1);
  assert.equal(await metricValue(admin, 'zpa_relay_dead_letter_records_total', { reason: 'wrong_type' }), 1, 'and not kept');
  await stop();
  await panther.close();
});
