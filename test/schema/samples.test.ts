/**
 * Pins the verdict of every record in ../shared/samples (every line of every .log file), checked with the
 * log type of its file and under auto-detection. Each row says why under Panther's semantics. The schemas
 * are the onboarding document's, unloosened: several real records are rejected, and that is the finding.
 * The folder is beside the repository in CI, not in a fresh clone: there these tests are skipped, and
 * test/fixtures/lss (fixtures.test.ts) covers the same oddities with the project's own records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { SAMPLES_DIR as SAMPLES, SAMPLES_MISSING } from '../helpers/repo.js';
import { bundledEngine } from './helpers.js';
import { ACM, ACS, AUDIT, UA, US, assertRow, lineOf, readLines, type Row } from './pinned-verdicts.js';

const NAME_IN_POLICY = 'Policy holds the rule name, the schema says bigint -> wrong_type';
const LIST_AS_STRING = 'TrustedNetworks is the string "TN1_stc1", the schema says array -> wrong_type';

const ROWS: Row[] = [
  { at: 'elastic_integrations/app_connector_status.log:1', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: 'numbers as numbers, start times as digit strings (bigint takes both), legacy HostUpTime ignored' },
  { at: 'elastic_integrations/app_connector_status_system_test_sample.log:1', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: 'same shape as above; single-space asctime day "Jul 3" fits %e' },
  { at: 'elastic_integrations/audit.log:1', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: '17-digit ModifiedBy/ObjectID numbers are taken as their exact text by string fields' },
  { at: 'elastic_integrations/audit.log:2', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: 'ModifiedTime "" is no time, not an error' },
  { at: 'elastic_integrations/audit.log:3', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: 'masked "xxxxx" IDs are strings, which the string fields accept; ClientAuditUpdate 1 is a bigint' },
  { at: 'elastic_integrations/audit_system_test_sample.log:1', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: 'same as audit.log:1' },
  { at: 'elastic_integrations/browser_access.log:1', logType: 'auto', typed: 'unknown_log_type', auto: 'unknown_log_type', why: 'Browser Access has no Panther schema; no loaded schema has its required fields' },
  { at: 'elastic_integrations/user_activity.log:1', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: NAME_IN_POLICY },
  { at: 'elastic_integrations/user_activity.log:2', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: NAME_IN_POLICY },
  { at: 'elastic_integrations/user_activity_system_test_sample.log:1', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: `${NAME_IN_POLICY} (the missing ClientPrivateIP is optional)` },
  { at: 'elastic_integrations/user_status.log:1', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: LIST_AS_STRING },
  { at: 'elastic_integrations/user_status.log:2', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: `${LIST_AS_STRING} (PosturesHit is an array here, but TrustedNetworks comes first)` },
  { at: 'elastic_integrations/user_status.log:3', logType: US, typed: 'accepted', auto: `accepted ${US}`, why: 'IP-anchoring record: real [] arrays, %f floats, no SAMLAttributes key (optional)' },
  { at: 'elastic_integrations/user_status_system_test_sample.log:1', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: LIST_AS_STRING },
  { at: 'splunk_sc4s/app_connector_metrics.log:1', logType: ACM, typed: 'accepted', auto: `accepted ${ACM}`, why: 'every counter is a digit string, which bigint accepts; MicroTenantID absent (optional)' },
  { at: 'splunk_sc4s/app_connector_status.log:1', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: '2020 record with legacy HostUpTime/ConnectorUpTime (unknown fields are ignored)' },
  { at: 'splunk_sc4s/app_connector_status.log:2', logType: ACS, typed: 'invalid_json', auto: 'invalid_json', why: 'anonymised "Latitude": 00.000000 has a leading zero: not JSON' },
  { at: 'splunk_sc4s/audit.log:1', logType: AUDIT, typed: 'accepted', auto: `accepted ${AUDIT}`, why: 'Sign Out event: empty ModifiedTime/AuditOldValue/AuditNewValue are fine' },
  { at: 'splunk_sc4s/user_activity.log:1', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: NAME_IN_POLICY },
  { at: 'splunk_sc4s/user_activity.log:2', logType: UA, typed: 'invalid_json', auto: 'invalid_json', why: '"ClientLatitude": 00.000000 (leading zero) is not JSON' },
  { at: 'splunk_sc4s/user_activity_syslog_pri_prefixed.log:1', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', repairs: 'syslog_pri', why: `<111> is stripped by the syslog_pri repair, then ${NAME_IN_POLICY}` },
  { at: 'splunk_sc4s/user_activity_syslog_pri_prefixed.log:2', logType: UA, typed: 'invalid_json', auto: 'invalid_json', repairs: 'syslog_pri', why: 'prefix stripped, but 00.000000 is still not JSON' },
  { at: 'splunk_sc4s/user_status.log:1', logType: US, typed: 'accepted', auto: `accepted ${US}`, repairs: 'empty_list', why: 'old template\'s "TrustedNetworks": , is mended to [] by the empty_list repair; then valid' },
  { at: 'splunk_sc4s/user_status.log:2', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: LIST_AS_STRING },
  { at: 'splunk_sc4s/user_status.log:3', logType: US, typed: 'invalid_json', auto: 'invalid_json', why: 'after the empty-list repair, 00.000000 still makes it invalid (repair not kept)' },
  { at: 'splunk_sc4s/user_status.log:4', logType: US, typed: 'invalid_json', auto: 'invalid_json', why: '"Latitude": 00.000000 is not JSON' },
  { at: 'splunk_sc4s/user_status.log:5', logType: US, typed: 'invalid_json', auto: 'invalid_json', why: 'machine-tunnel record with "Latitude": 00.000000 is not JSON' },
  { at: 'zscaler_help_docs/app_connector_metrics.log:1', logType: ACM, typed: 'accepted', auto: `accepted ${ACM}`, why: 'digit strings for bigint; "Oct  7" (double space) fits %e' },
  { at: 'zscaler_help_docs/app_connector_status.log:1', logType: ACS, typed: 'accepted', auto: `accepted ${ACS}`, why: 'numbers as numbers, MicroTenantID string' },
  { at: 'zscaler_help_docs/audit.log:1', logType: AUDIT, typed: 'invalid_json', auto: 'invalid_json', why: 'docs example: bad escape \\a inside auditNewValue and unquoted objectName' },
  { at: 'zscaler_help_docs/audit.log:2', logType: AUDIT, typed: 'invalid_json', auto: 'invalid_json', why: 'same broken docs example' },
  { at: 'zscaler_help_docs/browser_access.log:1', logType: 'auto', typed: 'invalid_json', auto: 'invalid_json', why: 'keyless tail ,https://example.com,token_created} is not JSON' },
  { at: 'zscaler_help_docs/browser_access.log:2', logType: 'auto', typed: 'invalid_json', auto: 'invalid_json', why: 'same keyless tail (and "Juthl" would fail %b anyway)' },
  { at: 'zscaler_help_docs/user_activity.log:1', logType: UA, typed: 'wrong_type Policy', auto: 'unknown_log_type Policy', why: NAME_IN_POLICY },
  { at: 'zscaler_help_docs/user_activity.log:2', logType: UA, typed: 'invalid_json', auto: 'invalid_json', why: '"PRAConnectionID: " is missing its closing quote' },
  { at: 'zscaler_help_docs/user_status.log:1', logType: US, typed: 'wrong_type TrustedNetworks', auto: 'unknown_log_type TrustedNetworks', why: LIST_AS_STRING },
];

test('every sample line has a pinned verdict (no line left out)', { skip: SAMPLES_MISSING }, () => {
  const pinned = new Set(ROWS.map((r) => r.at));
  for (const dir of readdirSync(SAMPLES, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(path.join(SAMPLES, dir.name))) {
      if (!f.endsWith('.log')) continue;
      const rel = `${dir.name}/${f}`;
      readLines(SAMPLES, rel).forEach((_, i) => assert.ok(pinned.has(`${rel}:${i + 1}`), `no pinned verdict for ${rel}:${i + 1}`));
    }
  }
});

for (const row of ROWS) {
  test(`${row.at}: ${row.typed} (${row.why})`, { skip: SAMPLES_MISSING }, async () => {
    assertRow(await bundledEngine(), SAMPLES, row);
  });
}

test('rejections under auto name the closest schema and its reason', { skip: SAMPLES_MISSING }, async () => {
  const engine = await bundledEngine();
  const line = lineOf(SAMPLES, 'splunk_sc4s/user_activity.log:1');
  const v = engine.checkLine(line, 'auto').verdict;
  assert.equal(v.status, 'rejected');
  assert.match(v.status === 'rejected' ? v.message : '', /closest: Zscaler\.ZPA\.UserActivity .*Policy/);
  assert.equal(v.status === 'rejected' ? v.field : undefined, 'Policy', 'the field the closest schema failed on, as a typed check gives it');
});

test('the big audit IDs keep their exact digits in the normalized view', { skip: SAMPLES_MISSING }, async () => {
  const engine = await bundledEngine();
  const line = lineOf(SAMPLES, 'elastic_integrations/audit.log:3');
  const { record } = engine.normalize(line, AUDIT);
  assert.equal(record?.['ModifiedBy'], '288263728720249833');
});
