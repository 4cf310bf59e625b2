/**
 * The unknown-field sample's bounds, on a real directory: at most 256 records and 4 MiB per log type file,
 * counting what earlier runs left; a record kept only for a field with fewer than 16 records so far; the
 * format `schema derive` reads (readUnknownFieldSample), including lineBase64 and a torn last line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_MAX_BYTES, SAMPLE_MAX_RECORDS, SAMPLE_RECORDS_PER_FIELD, UnknownFieldSample, type UnknownSampleCandidate } from '../../src/durability/unknown-field-sample.js';
import { encodeSampleEntry } from '../../src/durability/unknown-field-sample-entry.js';
import { readUnknownFieldSample } from '../../src/durability/unknown-field-sample-reader.js';

const UA = 'Zscaler.ZPA.UserActivity';
const TIME = '2026-12-02T10:00:00.000Z';

function candidate(logType: string, fields: string[], line: string | Uint8Array): UnknownSampleCandidate {
  return { logType, fields, entry: encodeSampleEntry(TIME, 'ua', logType, fields, typeof line === 'string' ? Buffer.from(line) : line) };
}

async function opened(path: string): Promise<UnknownFieldSample> {
  const s = new UnknownFieldSample(path, (msg, err) => assert.fail(`${msg}: ${err.message}`));
  await s.open();
  return s;
}

test('a record is kept only for a field with fewer than 16 records so far; the format round-trips', async () => {
  const path = mkdtempSync(join(tmpdir(), 'zpa-sample-'));
  const s = await opened(path);
  s.offer('ua', Array.from({ length: 40 }, (_, i) => candidate(UA, ['Platform', 'Hostname'], `{"n": ${i}}`)));
  s.offer('ua', [candidate(UA, ['Platform', 'PRASessionType'], '{"n": "new field"}'), candidate(UA, ['Platform'], '{"n": "no"}')]);
  s.offer('audit', [candidate('Zscaler.ZPA.AuditLog', ['ModifiedByUser'], Buffer.from([0x7b, 0xff, 0x7d])), candidate('../escape', ['x'], '{}')]);
  await s.flush();
  const ua = await readUnknownFieldSample(path, UA);
  assert.equal(ua.length, SAMPLE_RECORDS_PER_FIELD + 1);
  assert.deepEqual(ua[0], { time: TIME, listener: 'ua', logType: UA, fields: ['Platform', 'Hostname'], line: '{"n": 0}' });
  assert.equal(ua.at(-1)!.line, '{"n": "new field"}', 'a new field makes a record worth keeping');
  const audit = await readUnknownFieldSample(path, 'Zscaler.ZPA.AuditLog');
  assert.deepEqual(audit.map((r) => [r.line, r.lineBase64]), [[undefined, Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')]], 'not UTF-8: lineBase64');
  assert.equal((await readUnknownFieldSample(path)).length, ua.length + 1, 'every log type; a log type that is no file name is not kept');
  assert.deepEqual(await readUnknownFieldSample(join(path, 'nowhere')), []);
});

test('at most 256 records and 4 MiB per log type, counting what earlier runs left', async () => {
  const path = mkdtempSync(join(tmpdir(), 'zpa-sample-'));
  let s = await opened(path);
  s.offer('ua', Array.from({ length: 200 }, (_, i) => candidate(UA, [`F${i}`], `{"n": ${i}}`)));
  await s.flush();
  // A torn last line (a crash mid-append): skipped by the reader, its bytes still count.
  appendFileSync(join(path, 'samples', `${UA}.jsonl`), '{"time":"2026');
  s = await opened(path);
  s.offer('ua', Array.from({ length: 200 }, (_, i) => candidate(UA, [`G${i}`], `{"n": ${i}}`)));
  await s.flush();
  const records = await readUnknownFieldSample(path, UA);
  assert.equal(records.length, SAMPLE_MAX_RECORDS - 1, 'the torn line counts as one of the 256');

  const big = 'x'.repeat(300 * 1024);
  s = await opened(path);
  s.offer('us', Array.from({ length: 20 }, (_, i) => candidate('Zscaler.ZPA.UserStatus', [`H${i}`], `{"big": "${big}"}`)));
  await s.flush();
  const file = join(path, 'samples', 'Zscaler.ZPA.UserStatus.jsonl');
  assert.ok(statSync(file).size <= SAMPLE_MAX_BYTES);
  assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, Math.floor(SAMPLE_MAX_BYTES / (big.length + 120)));
  s = await opened(path);
  s.offer('us', [candidate('Zscaler.ZPA.UserStatus', ['New'], '{"small": 1}')]);
  await s.flush();
  assert.ok(statSync(file).size <= SAMPLE_MAX_BYTES, 'a restart counts the bytes already there');
});
