/**
 * onReject: what happens to records Panther's documented schema refuses. Under every policy nothing is
 * lost: each record ends up delivered, kept, or both, and the counts add up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { spawnRelay } from '../helpers/relay-process.js';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, sendAndClose, waitFor, metricValue, readDeadLetters } from '../helpers/relay-harness.js';
import { validateConfig } from '../../src/config/load-config.js';
import { isRelayError } from '../../src/errors.js';
import { LssGenerator } from '../../bench/lss/generate.js';

const deadLetters = (dir: string) => readDeadLetters(join(dir, 'dead-letter'));

// Real LSS output carries the policy *name* in Policy (bigint in the documented schema): wrong_type.
const gen = new LssGenerator(71, { policyNameShare: 1 });
const named = Array.from({ length: 20 }, () => gen.userActivity());
const good = Array.from({ length: 10 }, () => new LssGenerator(72).userActivity()).map((l, i) => l.replace('"SessionID": "', `"SessionID": "g${i}`));
const broken = ['{"LogTimestamp": "Thu Oct  7 10:40:00 2021", "Customer": 00.0}', 'not json at all'];

for (const [policy, expectSent, expectKept] of [
  [{ default: 'dead-letter' }, false, true],
  [{ wrong_type: 'forward' }, true, false],
  [{ wrong_type: 'forward-and-keep' }, true, true],
  [{ default: 'forward-and-keep' }, true, true],
] as const) {
  test(`onReject ${JSON.stringify(policy)}: wrong_type records sent=${expectSent} kept=${expectKept}; invalid_json always kept; counts add up`, async () => {
    const panther = await startPantherStandin();
    const h = await startRelay({ onReject: policy, output: { type: 'http', flushIntervalMs: 30, http: { url: panther.url, auth: { type: 'none' } } } });
    try {
      await sendAndClose(h.port('ua'), [...named, ...good, ...broken].join('\n') + '\n');
      const sent = good.length + (expectSent ? named.length : 0);
      const kept = broken.length + (expectKept ? named.length : 0);
      await panther.waitForLines(sent, 10_000);
      await waitFor(() => {
        try {
          return deadLetters(h.dir).length === kept;
        } catch {
          return false;
        }
      }, `${kept} dead letters`);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(panther.lines.length, sent, 'nothing more was sent');
      const dl = deadLetters(h.dir);
      assert.equal(dl.length, kept);
      assert.equal(dl.filter((d) => d.reason === 'invalid_json').length, 2, 'invalid_json is never forwarded');
      for (const n of named) assert.ok((expectSent && panther.lines.includes(n)) || (expectKept && dl.some((d) => d.line === n)), 'every record is delivered, kept, or both');
      const received = await metricValue(h.adminUrl, 'zpa_relay_records_received_total', { listener: 'ua' });
      assert.equal(received, named.length + good.length + broken.length);
      assert.equal(await metricValue(h.adminUrl, 'zpa_relay_rejected_forwarded_total', { reason: 'wrong_type' }), expectSent ? named.length : 0);
      assert.equal(await metricValue(h.adminUrl, 'zpa_relay_schema_mismatch_total', { log_type: 'Zscaler.ZPA.UserActivity', field: 'Policy', reason: 'wrong_type' }), named.length);
      await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total')) === sent, 'delivered count');
    } finally {
      await h.stop();
      await panther.close();
    }
  });
}

test('config check refuses forwarding what Panther cannot parse, listing every such reason', () => {
  try {
    validateConfig({ listeners: [{ name: 'a', port: 0 }], onReject: { invalid_json: 'forward', line_too_long: 'forward-and-keep', not_an_object: 'forward', bogus: 'forward', wrong_type: 'sideways' } }, { env: {} });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'));
    const d = err.details.join('\n');
    assert.match(d, /onReject\.wrong_type: must be one of dead-letter, forward, forward-and-keep/);
  }
  try {
    validateConfig({ listeners: [{ name: 'a', port: 0 }], onReject: { invalid_json: 'forward', line_too_long: 'forward-and-keep', not_an_object: 'forward', bogus: 'forward' } }, { env: {} });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'));
    const d = err.details.join('\n');
    assert.match(d, /onReject\.invalid_json: forward is impossible/);
    assert.match(d, /onReject\.line_too_long: forward-and-keep is impossible/);
    assert.match(d, /onReject\.not_an_object: forward is impossible/);
    assert.match(d, /onReject\.bogus: unknown reason/);
  }
});

test('at start the relay logs one line with the top mismatches kept in the dead-letter store', async () => {
  const h = await startRelay();
  await sendAndClose(h.port('ua'), named.slice(0, 5).join('\n') + '\n');
  await waitFor(() => deadLetters(h.dir).length === 5, 'five dead letters');
  await h.stop();
  const file = join(h.dir, 'relay.yaml');
  writeFileSync(file, stringify({ listeners: [{ name: 'ua', host: '127.0.0.1', port: 0 }], admin: { host: '127.0.0.1', port: 0 }, deadLetter: { path: join(h.dir, 'dead-letter') }, output: { type: 'directory', directory: { path: join(h.dir, 'out') } } }));
  const relay = await spawnRelay(['run', '--config', file]);
  try {
    await waitFor(() => relay.logs.some((l) => String(l.msg).startsWith('schema mismatches kept in the dead-letter store')), 'start summary');
    const line = relay.logs.find((l) => String(l.msg).startsWith('schema mismatches kept'))!;
    assert.deepEqual(line.top, [{ logType: 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: 'Policy', count: 5 }]);
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
  }
});
