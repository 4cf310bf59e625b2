/**
 * Pins the verdict of every record in ../shared/samples (every line of every .log file), checked with the
 * log type of its file and under auto-detection. Each row says why under Panther's semantics. The schemas
 * are the onboarding document's, unloosened: several real records are rejected, and that is the finding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundledEngine, samplesDir } from './helpers.js';

const UA = 'Zscaler.ZPA.UserActivity';
const US = 'Zscaler.ZPA.UserStatus';
const ACS = 'Zscaler.ZPA.AppConnectorStatus';
const ACM = 'Zscaler.ZPA.AppConnectorMetrics';
const AUDIT = 'Zscaler.ZPA.AuditLog';

/** status / reason / field, as a compact string: `accepted`, `wrong_type Policy`, `invalid_json`. */
type Pin = string;

interface Row {
  /** file:line relative to the samples directory */
  at: string;
  /** log type the file holds ('auto' when no schema exists for it) */
  logType: string;
  typed: Pin;
  /** verdict under auto-detection, with the detected type for accepted ones and the closest schema's failing field for rejected ones */
  auto: Pin;
  repairs?: string;
  why: string;
}

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

function pin(v: { status: string; reason?: string; field?: string; logType: string | null }, withType: boolean): Pin {
  if (v.status === 'accepted') return withType ? `accepted ${v.logType}` : 'accepted';
  return v.field === undefined ? v.reason! : `${v.reason} ${v.field}`;
}

function readLines(rel: string): string[] {
  const lines = readFileSync(path.join(samplesDir(), rel), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

test('every sample line has a pinned verdict (no line left out)', () => {
  const pinned = new Set(ROWS.map((r) => r.at));
  for (const dir of readdirSync(samplesDir(), { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(path.join(samplesDir(), dir.name))) {
      if (!f.endsWith('.log')) continue;
      const rel = `${dir.name}/${f}`;
      readLines(rel).forEach((_, i) => assert.ok(pinned.has(`${rel}:${i + 1}`), `no pinned verdict for ${rel}:${i + 1}`));
    }
  }
});

for (const row of ROWS) {
  test(`${row.at}: ${row.typed} (${row.why})`, async () => {
    const engine = await bundledEngine();
    const [file, lineNo] = row.at.split(':') as [string, string];
    const line = readLines(file)[Number(lineNo) - 1]!;
    const typed = engine.checkLine(line, row.logType);
    assert.equal(pin(typed.verdict, false), row.typed, typed.verdict.status === 'rejected' ? typed.verdict.message : '');
    if (row.logType !== 'auto') assert.equal(typed.verdict.logType, row.logType);
    assert.equal(typed.repairs.join(','), row.repairs ?? '');
    const auto = engine.checkLine(line, 'auto');
    assert.equal(pin(auto.verdict, true), row.auto);
    if (auto.verdict.status === 'rejected') assert.equal(auto.verdict.logType, null);
  });
}

test('rejections under auto name the closest schema and its reason', async () => {
  const engine = await bundledEngine();
  const line = readLines('splunk_sc4s/user_activity.log')[0]!;
  const v = engine.checkLine(line, 'auto').verdict;
  assert.equal(v.status, 'rejected');
  assert.match(v.status === 'rejected' ? v.message : '', /closest: Zscaler\.ZPA\.UserActivity .*Policy/);
  assert.equal(v.status === 'rejected' ? v.field : undefined, 'Policy', 'the field the closest schema failed on, as a typed check gives it');
});

test('the big audit IDs keep their exact digits in the normalized view', async () => {
  const engine = await bundledEngine();
  const line = readLines('elastic_integrations/audit.log')[2]!;
  const { record } = engine.normalize(line, AUDIT);
  assert.equal(record?.['ModifiedBy'], '288263728720249833');
});
