/**
 * Fields Panther would drop (issue 17, item 4): accepted records carrying top-level fields their schema lacks
 * are counted in zpa_relay_unknown_fields_total{log_type,field}, at most 64 names per log type and the rest as
 * `other`, and a few of them are kept in the unknown-field sample for `schema derive`. Through the real
 * relay: TCP listeners on port 0, the worker pool, the metrics endpoint and the sample files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startRelay, sendAndClose, waitFor, metricValue } from '../helpers/relay-harness.js';
import { readUnknownFieldSample } from '../../src/durability/unknown-field-sample-reader.js';
import { SAMPLE_RECORDS_PER_FIELD } from '../../src/durability/unknown-field-sample.js';

const UA = 'Zscaler.ZPA.UserActivity';
const PRA = ['PRASessionType', 'PRAConsoleType', 'PRACredentialUserName', 'PRAFileTransferList', 'PRAApprovalID'];

/** A User Activity record the documented schema accepts (a policy number), with `extra` fields it lacks. */
function userActivity(i: number, extra: string): string {
  return (
    `{"LogTimestamp": "Thu Oct  7 10:40:${String(i % 60).padStart(2, '0')} 2021", "Customer": "Example Corp", "SessionID": "s${i}", ` +
    `"InternalReason": "", "ConnectionStatus": "active", "Username": "user${i}@example.com", "Policy": 216199618152744703, ` +
    `"ServicePort": 443, ${extra}"TimestampConnectionStart": "2021-10-07T10:40:00.123Z"}`
  );
}

const pra = (i: number): string =>
  `"Platform": "el7", "Hostname": "host-${i}", "PRASessionType": "${i % 2 ? 'ssh' : ''}", "PRAConsoleType": "", ` +
  `"PRACredentialUserName": "admin", "PRAFileTransferList": {"file_list": [{"name": "a.txt", "status": "ok"}]}, "PRAApprovalID": ${i % 3 === 0 ? '"15787"' : 0}, `;
const many = (i: number): string => Array.from({ length: 70 }, (_, k) => `"Extra${k}": ${i + k}, `).join('');

async function unknownCount(adminUrl: string, field: string): Promise<number> {
  return metricValue(adminUrl, 'zpa_relay_unknown_fields_total', { log_type: UA, field });
}

test('accepted records with fields the schema lacks: counted per field, 64 names then other; a bounded sample kept', { timeout: 60_000 }, async () => {
  let h = await startRelay();
  const deadLetterPath = join(h.dir, 'dead-letter');
  const plain = Array.from({ length: 300 }, (_, i) => userActivity(i, pra(i)));
  const wide = Array.from({ length: 40 }, (_, i) => userActivity(1000 + i, pra(i) + many(i)));
  const refused = userActivity(5000, pra(0)).replace('"Policy": 216199618152744703', '"Policy": "Any Any Allow"');
  try {
    await sendAndClose(h.port('ua'), plain.join('\n') + '\n');
    await waitFor(async () => (await unknownCount(h.adminUrl, 'PRASessionType')) === 300, 'PRASessionType counted for 300 records');
    for (const f of [...PRA, 'Platform', 'Hostname']) assert.equal(await unknownCount(h.adminUrl, f), 300, f);
    assert.equal(await unknownCount(h.adminUrl, 'Policy'), 0, 'a schema field is never counted');
    assert.equal(await unknownCount(h.adminUrl, 'file_list'), 0, 'only top-level keys count');

    // 7 + 70 unknown fields per record: 64 names for the log type, and the rest counted as other. Sent on the
    // auto listener, they count under the log type detected, and a refused record counts nowhere.
    await sendAndClose(h.port('auto'), [...wide, refused].join('\n') + '\n');
    const total = 300 * 7 + 40 * 77;
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_unknown_fields_total', { log_type: UA })) === total, `${total} field counts`);
    const text = await (await fetch(`${h.adminUrl}/metrics`)).text();
    const labels = [...text.matchAll(/^zpa_relay_unknown_fields_total\{log_type="Zscaler\.ZPA\.UserActivity",field="([^"]*)"\} (\d+)/gm)];
    assert.equal(labels.length, 65, 'at most 64 field names per log type, plus other');
    const other = labels.find((m) => m[1] === 'other');
    assert.ok(other, 'past 64 names the fields count as other');
    assert.equal(Number(other[2]), 40 * (77 - 64), 'other counts each field past the bound once per record');
    assert.equal(await unknownCount(h.adminUrl, 'PRASessionType'), 340);
  } finally {
    await h.stop();
  }

  const sample = await readUnknownFieldSample(deadLetterPath, UA);
  assert.ok(sample.length > 0 && sample.length <= 256);
  assert.deepEqual(await readUnknownFieldSample(deadLetterPath), sample, 'every log type: only User Activity has a sample');
  const sent = new Set([...plain, ...wide]);
  const seen = new Map<string, number>();
  for (const r of sample) {
    assert.equal(r.logType, UA);
    assert.ok(r.listener === 'ua' || r.listener === 'auto');
    assert.ok(!Number.isNaN(Date.parse(r.time)));
    assert.ok(r.line !== undefined && sent.has(r.line), 'the original record text, one that was accepted');
    assert.deepEqual([...r.fields].sort(), Object.keys(JSON.parse(r.line!)).filter((k) => ['Platform', 'Hostname', ...PRA].includes(k) || k.startsWith('Extra')).sort());
    assert.ok(r.fields.some((f) => (seen.get(f) ?? 0) < SAMPLE_RECORDS_PER_FIELD), 'kept only for a field with fewer than 16 records so far');
    for (const f of r.fields) seen.set(f, (seen.get(f) ?? 0) + 1);
  }
  assert.equal(seen.get('PRASessionType'), sample.length);
  assert.ok((seen.get('PRASessionType') ?? 0) >= SAMPLE_RECORDS_PER_FIELD, 'every field gets its share');
  assert.ok((seen.get('Extra69') ?? 0) >= SAMPLE_RECORDS_PER_FIELD, 'a field past the count bound is sampled too');

  // A second run over the same store counts what the first kept: every field has its share, nothing is added.
  h = await startRelay({ deadLetter: { path: deadLetterPath } });
  try {
    await sendAndClose(h.port('ua'), [...plain, ...wide].join('\n') + '\n');
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_unknown_fields_total', { log_type: UA })) === 300 * 7 + 40 * 77, 'the second run counted');
  } finally {
    await h.stop();
  }
  assert.equal((await readUnknownFieldSample(deadLetterPath, UA)).length, sample.length, 'a saturated sample stays as it was');
});
