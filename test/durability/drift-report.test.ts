/**
 * `zpa-relay dead-letter report` through the real binary on a crafted store: per log type the failing
 * (reason, field) pairs with counts, three distinct example values (cut to 80 characters, secrets redacted)
 * and shares, of the stored records and, with --metrics, of what a real relay received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '../helpers/relay-process.js';
import { startRelay, sendAndClose, waitFor, metricValue } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { valueAt, truncate, exampleOf } from '../../src/durability/drift-report.js';
import { entry, UA } from './dead-letter-fixture.js';

const US = 'Zscaler.ZPA.UserStatus';
const LONG = 'P'.repeat(200);
const SECRET = 's3cr3t-value-123';

function crafted(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-report-'));
  const store = join(dir, 'dead-letter');
  mkdirSync(store);
  const now = Date.now() - 60_000;
  const pol = (p: string) => entry(now, 'wrong_type', `{"Username": "a@example.com", "Policy": ${JSON.stringify(p)}}`, { field: 'Policy' });
  const records = [
    pol('Any Any Allow'),
    pol('Any Any Allow'),
    pol('ZPA-PRA-PROD-TEST'),
    pol(LONG),
    pol('Ops Allow'),
    entry(now, 'wrong_type', `{"AuthToken": ${JSON.stringify(SECRET)}}`, { field: 'AuthToken' }),
    entry(now, 'sink_rejected', '{"Username": "b@example.com", "Policy": "123"}', { status: 400 }),
    entry(now, 'sink_rejected', '{"Username": "c@example.com", "Policy": "124"}', { status: 400 }),
    entry(now, 'invalid_json', '{"Username": , "Policy": 1}'),
    entry(now, 'wrong_type', '{"TrustedNetworks": "net-a,net-b"}', { logType: US, listener: 'us', field: 'TrustedNetworks' }),
    entry(now, 'wrong_type', '{"TrustedNetworks": "net-c"}', { logType: US, listener: 'us', field: 'TrustedNetworks' }),
    entry(Date.now() - 3 * 86_400_000, 'missing_required', '{"Policy": 1}', { field: 'Username' }),
  ];
  writeFileSync(join(store, 'dl-20261128T000000-000000.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''));
  writeFileSync(join(store, 'dl-20261128T010000-000001.jsonl.open'), JSON.stringify(pol('in the open file')) + '\n');
  const config = join(dir, 'relay.yaml');
  writeFileSync(config, `listeners: [{ name: ua, port: 0, logType: ${UA} }]\ndeadLetter: { path: "${store}" }\n`);
  return { dir, config };
}

interface Row {
  reason: string;
  field: string | null;
  status?: number;
  count: number;
  shareOfStored: number;
  shareOfReceived?: number;
  examples: string[];
}
interface Report {
  records: number;
  logTypes: Array<{ logType: string; stored: number; received?: number; rows: Row[] }>;
}

test('report: counts per log type and field, three distinct examples, long values cut, secrets redacted, shares of the store', { timeout: 30_000 }, async () => {
  const { config } = crafted();
  const r = await runBin(['dead-letter', 'report', '--config', config, '--json', '--since', '1h']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.records, 12, 'the three-day-old record is outside --since; the file the relay is writing (.open) is read too');
  assert.deepEqual(rep.logTypes.map((t) => [t.logType, t.stored]), [[UA, 10], [US, 2]]);
  const ua = rep.logTypes[0]!.rows;
  const policy = ua.find((x) => x.field === 'Policy')!;
  assert.equal(policy.count, 6);
  assert.equal(policy.shareOfStored, 6 / 10);
  assert.deepEqual(policy.examples, ['"Any Any Allow"', '"ZPA-PRA-PROD-TEST"', `"${'P'.repeat(79)}...`], 'distinct values, JSON-encoded, cut to 80 characters');
  assert.equal(ua[0], policy, 'rows are sorted by count');
  assert.deepEqual(ua.find((x) => x.field === 'AuthToken')!.examples, ['[redacted]']);
  const refused = ua.find((x) => x.reason === 'sink_rejected')!;
  assert.equal(refused.status, 400);
  assert.equal(refused.count, 2);
  assert.equal(refused.examples.length, 2, 'no failing field: the start of each line');
  assert.equal(ua.find((x) => x.reason === 'invalid_json')!.count, 1);
  assert.deepEqual(rep.logTypes[1]!.rows, [{ reason: 'wrong_type', field: 'TrustedNetworks', count: 2, shareOfStored: 1, examples: ['"net-a,net-b"', '"net-c"'] }]);
  assert.ok(!r.stdout.includes(SECRET));

  const text = await runBin(['dead-letter', 'report', '--config', config]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${UA.replace(/\./g, '\\.')}: 11 stored$`, 'm'));
  assert.match(text.stdout, /^ {2}wrong_type Policy: 6 \(54\.5% of stored\)$/m);
  assert.match(text.stdout, /^ {2}missing_required Username: 1 \(9\.1% of stored\)$/m);
  assert.match(text.stdout, /^ {2}sink_rejected \(status 400\): 2 \(18\.2% of stored\)$/m);
  assert.match(text.stdout, /^ {6}e\.g\. "ZPA-PRA-PROD-TEST"$/m);
  assert.ok(!text.stdout.includes(SECRET), 'the secret value never appears');
  assert.ok(!text.stdout.includes('in the open file'), 'examples are the first three distinct values, from the closed files');
});

test('report --metrics adds the share of the records a real relay received', { timeout: 30_000 }, async () => {
  const { config } = crafted();
  const gen = new LssGenerator(94);
  const h = await startRelay();
  try {
    await sendAndClose(h.port('ua'), Array.from({ length: 50 }, () => gen.userActivity()).join('\n') + '\n');
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_received_total', { log_type: UA })) === 50, '50 records received');
    const r = await runBin(['dead-letter', 'report', '--config', config, '--json', '--since', '1h', '--metrics', `${h.adminUrl}/metrics`]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    const ua = rep.logTypes.find((t) => t.logType === UA)!;
    assert.equal(ua.received, 50);
    assert.equal(ua.rows.find((x) => x.field === 'Policy')!.shareOfReceived, 6 / 50);
    const us = rep.logTypes.find((t) => t.logType === US)!;
    assert.equal(us.received, 0);
    assert.equal(us.rows[0]!.shareOfReceived, undefined, 'no share when the relay received none of that type');
    const text = await runBin(['dead-letter', 'report', '--config', config, '--since', '1h', '--metrics', `${h.adminUrl}/metrics`]);
    assert.match(text.stdout, /wrong_type Policy: 6 \(60\.0% of stored, 12\.0% of received\)/);
  } finally {
    await h.stop();
  }
  const bad = await runBin(['dead-letter', 'report', '--config', config, '--metrics', 'http://127.0.0.1:9/metrics']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /ZPA_ERR_METRICS_READ/);
});

test('example values: nested paths, cuts on code points, records that are not UTF-8', () => {
  assert.equal(valueAt({ a: { b: [1, { c: 'x' }] } }, 'a.b[1].c'), 'x');
  assert.equal(valueAt({ a: 1 }, 'a.b'), undefined);
  assert.equal(valueAt({ a: 1 }, 'constructor'), undefined, 'only own fields');
  const emoji = '\u{1F600}'.repeat(100);
  assert.equal(truncate(emoji), '\u{1F600}'.repeat(80) + '...');
  assert.equal(exampleOf({ time: '', listener: 'l', logType: null, reason: 'wrong_type', field: 'Policy', message: '', lineBase64: Buffer.from([0xff, 0x7b]).toString('base64') }, 'Policy'), '(2 bytes, not UTF-8)');
  assert.equal(exampleOf({ time: '', listener: 'l', logType: null, reason: 'wrong_type', field: 'Policy', message: '', line: '{"Other": 1}' }, 'Policy'), '(missing)');
});
