/**
 * `zpa-relay dead-letter report`'s section on fields the schemas lack (issue 17, item 4), through the real
 * binary on a store and a sample a real relay wrote, and with --metrics from a second real relay: per log
 * type, each field's share of the stored records, of the sample and of what the relay received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin } from '../helpers/relay-process.js';
import { startRelay, sendAndClose, waitFor, metricValue, readDeadLetters } from '../helpers/relay-harness.js';
import type { UnknownFieldType } from '../../src/durability/unknown-field-report.js';

const UA = 'Zscaler.ZPA.UserActivity';

function record(i: number, policy: string, extra: string): string {
  return (
    `{"LogTimestamp": "Thu Oct  7 10:40:00 2021", "Customer": "Example Corp", "SessionID": "s${i}", "InternalReason": "", ` +
    `"Username": "user${i}@example.com", "Policy": ${policy}, ${extra}"PRASessionType": "ssh", "PRAConsoleType": ""}`
  );
}

test('report: unknown fields of stored and sampled records, and as a real relay counted them', { timeout: 60_000 }, async () => {
  const a = await startRelay();
  const store = join(a.dir, 'dead-letter');
  try {
    const accepted = Array.from({ length: 20 }, (_, i) => record(i, '216199618152744703', '"Platform": "el7", '));
    const refused = Array.from({ length: 10 }, (_, i) => record(100 + i, '"Any Any Allow"', '"Hostname": "h1", '));
    await sendAndClose(a.port('ua'), [...accepted, ...refused, '{"not": "json"'].join('\n') + '\n');
    await waitFor(() => readDeadLetters(store).length === 11, '11 dead letters');
  } finally {
    await a.stop();
  }
  const b = await startRelay();
  try {
    await sendAndClose(b.port('ua'), Array.from({ length: 40 }, (_, i) => record(i, '1', i % 4 === 0 ? '"Platform": "w", ' : '')).join('\n') + '\n');
    await waitFor(async () => (await metricValue(b.adminUrl, 'zpa_relay_unknown_fields_total', { field: 'PRASessionType' })) === 40, '40 counted');
    const config = join(a.dir, 'relay.yaml');
    writeFileSync(config, `listeners: [{ name: ua, port: 0, logType: ${UA} }]\ndeadLetter: { path: "${store}" }\n`);
    const r = await runBin(['dead-letter', 'report', '--config', config, '--json', '--metrics', `${b.adminUrl}/metrics`]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { records: number; unknownFields: UnknownFieldType[] };
    assert.equal(rep.records, 11, 'the existing report is intact');
    const [ua, ...others] = rep.unknownFields;
    assert.deepEqual(others, []);
    assert.equal(ua!.logType, UA);
    assert.deepEqual([ua!.stored, ua!.sampled, ua!.received], [11, 16, 40], 'stored records of the type, the sample (16 records per field), received by relay b');
    const row = (f: string) => ua!.fields.find((x) => x.field === f);
    assert.deepEqual(row('PRASessionType'), { field: 'PRASessionType', stored: 10, shareOfStored: 10 / 11, sampled: 16, shareOfSampled: 1, counted: 40, shareOfReceived: 1 });
    assert.deepEqual(row('Platform'), { field: 'Platform', stored: 0, shareOfStored: 0, sampled: 16, shareOfSampled: 1, counted: 10, shareOfReceived: 10 / 40 });
    assert.deepEqual(row('Hostname'), { field: 'Hostname', stored: 10, shareOfStored: 10 / 11, sampled: 0, shareOfSampled: 0, counted: 0, shareOfReceived: 0 });
    assert.equal(row('Policy'), undefined, 'a schema field is not listed');

    const text = await runBin(['dead-letter', 'report', '--config', config, '--metrics', `${b.adminUrl}/metrics`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}wrong_type Policy: 10 \(90\.9% of stored, 25\.0% of received\)$/m, 'the existing rows come first, as before');
    assert.match(text.stdout, /^Fields the schemas lack \(Panther drops them/m);
    assert.match(text.stdout, /^Zscaler\.ZPA\.UserActivity: 11 stored, 16 sampled, 40 received by the relay$/m);
    assert.match(text.stdout, /^ {2}PRASessionType: 10 stored \(90\.9%\), 16 sampled \(100\.0%\), 40 counted \(100\.0% of received\)$/m);
    assert.match(text.stdout, /^ {2}Hostname: 10 stored \(90\.9%\), 0 sampled \(0\.0%\), 0 counted \(0\.0% of received\)$/m);
  } finally {
    await b.stop();
  }
});
