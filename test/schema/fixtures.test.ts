/**
 * Pins the verdict of every record in test/fixtures/lss: the project's own records, written for each
 * oddity real LSS output shows (../shared/reference/FACTS.md, ../shared/samples/README.md), checked with the
 * log type of its file and under auto-detection. Each row says why under Panther's semantics. Unlike the
 * public samples (samples.test.ts), these travel with every clone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FIXTURES_DIR } from '../helpers/repo.js';
import { bundledEngine } from './helpers.js';
import { ACM, ACS, AUDIT, UA, US, assertRow, lineOf, readLines, type Row } from './pinned-verdicts.js';

const NAME_IN_POLICY = 'Policy holds the rule name, the schema says bigint -> wrong_type';
const LATITUDE_00 = '00.000000 (a leading zero, as anonymised records print it) is not JSON';

const ROWS: Row[] = [
  { at: 'user-activity.log:1', logType: UA, typed: 'accepted', auto: `accepted ${UA}`, why: 'the default template: Policy as an 18-digit digit string, which bigint takes; "Mar  2" space-padded day' },
  { at: 'user-activity.log:2', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: NAME_IN_POLICY },
  { at: 'user-activity.log:3', logType: UA, typed: 'accepted', auto: `accepted ${UA}`, repairs: 'syslog_pri', why: 'a syslog hop\'s <134> prefix is stripped by the syslog_pri repair; the rest is line 1' },
  { at: 'user-activity.log:4', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', repairs: 'syslog_pri', why: `<111> stripped, then ${NAME_IN_POLICY}` },
  { at: 'user-activity.log:5', logType: UA, typed: 'invalid_json', auto: 'invalid_json', why: `"ClientLatitude": ${LATITUDE_00}` },
  { at: 'user-activity.log:6', logType: UA, typed: 'accepted', auto: `accepted ${UA}`, why: 'single-digit day "Jun 3" with one space fits %e as well as the padded form' },
  { at: 'user-activity.log:7', logType: UA, typed: 'accepted', auto: `accepted ${UA}`, why: 'Policy "" is no value for a bigint, not an error' },
  { at: 'user-status.log:1', logType: US, typed: 'accepted', auto: `accepted ${US}`, why: 'lists as JSON arrays, [] when empty, %f floats' },
  { at: 'user-status.log:2', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: 'TrustedNetworks comma-joined into one string "TN-Corp-HQ,TN-Branch-Lyon", the schema says array -> wrong_type' },
  { at: 'user-status.log:3', logType: US, typed: 'accepted', auto: `accepted ${US}`, repairs: 'empty_list', why: 'the old template\'s empty lists "TrustedNetworks": , and "TrustedNetworksNames": , are mended to [] by the empty_list repair' },
  { at: 'user-status.log:4', logType: US, typed: 'invalid_json', auto: 'invalid_json', why: `after the empty-list repair, "Latitude": ${LATITUDE_00} (the repair is not kept)` },
  { at: 'user-status.log:5', logType: US, typed: 'wrong_type PosturesHit', auto: 'unknown_log_type PosturesHit', why: 'PosturesHit comma-joined into "posture-19,posture-16", the schema says array -> wrong_type' },
  { at: 'user-status.log:6', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: 'a one-element list written as its bare string "216199618105354462" is still not an array' },
  { at: 'app-connector-status.log:1', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: 'single-digit day "Jul 3" fits %e; numbers as numbers, start times as digit strings (bigint takes both)' },
  { at: 'app-connector-status.log:2', logType: ACS, typed: 'invalid_json', auto: 'invalid_json', why: `"Latitude": ${LATITUDE_00}` },
  { at: 'app-connector-status.log:3', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: 'the padded "Jul  3" of the same time; CPUUtilization "6" as a digit string is taken by bigint' },
  { at: 'app-connector-metrics.log:1', logType: ACM, typed: 'accepted', auto: `accepted ${ACM}`, why: 'every counter a digit string (as App Connector Metrics sends them), which bigint accepts' },
  { at: 'app-connector-metrics.log:2', logType: ACM, typed: 'accepted', auto: `accepted ${ACM}`, why: 'single-digit "Oct 7" and no MicroTenantID (optional)' },
  { at: 'app-connector-metrics.log:3', logType: ACM, typed: 'wrong_type CPUUtilization', auto: 'unknown_log_type CPUUtilization', why: 'a counter "n/a" is not a digit string -> wrong_type' },
  { at: 'audit.log:1', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: '17-digit bare ModifiedBy/ObjectID/CustomerID are taken as their exact text by string fields' },
  { at: 'audit.log:2', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: '18-digit bare IDs, above 2^53: exact text, never a float' },
  { at: 'audit.log:3', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: '19-digit bare IDs, one above int64\'s range: still their exact text' },
  { at: 'audit.log:4', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: 'Sign Out event: empty ModifiedTime, AuditNewValue and ObjectName are fine' },
  { at: 'audit.log:5', logType: AUDIT, typed: 'missing_required ModifiedBy', auto: 'unknown_log_type', why: 'ModifiedBy null: a required field without a value (under auto no schema has all its required fields, so none is the closest and no field is named)' },
];

test('every fixture line has a pinned verdict (no line left out)', () => {
  const pinned = new Set(ROWS.map((r) => r.at));
  const files = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.log'));
  assert.equal(files.length, 5, 'one file per ZPA log type');
  for (const f of files) readLines(FIXTURES_DIR, f).forEach((_, i) => assert.ok(pinned.has(`${f}:${i + 1}`), `no pinned verdict for ${f}:${i + 1}`));
});

for (const row of ROWS) {
  test(`fixtures/${row.at}: ${row.typed} (${row.why})`, async () => {
    assertRow(await bundledEngine(), FIXTURES_DIR, row);
  });
}

test('rejections under auto name the closest schema and its reason', async () => {
  const v = (await bundledEngine()).checkLine(lineOf(FIXTURES_DIR, 'user-activity.log:2'), 'auto').verdict;
  assert.equal(v.status, 'rejected');
  assert.match(v.status === 'rejected' ? v.message : '', /closest: Zscaler\.ZPA\.UserActivity .*Policy/);
});

test('17-, 18- and 19-digit audit IDs keep their exact digits in the normalized view', async () => {
  const engine = await bundledEngine();
  const want = [
    ['72060231147847697', '72060231147839311', '72060231147800001'],
    ['288263728720249833', '288263728720249901', '216199618162721850'],
    ['1152921504606846977', '9007199254740993123', '1152921504606846976'],
  ];
  want.forEach(([modifiedBy, objectId, customerId], i) => {
    const { record } = engine.normalize(lineOf(FIXTURES_DIR, `audit.log:${i + 1}`), AUDIT);
    assert.deepEqual([record?.['ModifiedBy'], record?.['ObjectID'], record?.['CustomerID']], [modifiedBy, objectId, customerId]);
  });
});
