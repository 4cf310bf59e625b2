/**
 * Records shaped like real LSS output where it breaks Panther's documented schemas, written for these tests
 * (not copied from ../shared/samples): User Activity with the access policy's *name* in `Policy` (documented
 * bigint) and the Privileged Remote Access fields the documented schema lacks, filled in as a PRA session
 * fills them; User Status from the old template, whose lists arrive as comma-joined strings.
 */
import { LssGenerator } from '../../bench/lss/generate.js';

/** PRA fields as a PRA session fills them; every name here is absent from the documented User Activity schema. */
export const PRA_FIELDS = ['Platform', 'Hostname', 'PRASessionType', 'PRAConsoleType', 'PRACredentialUserName', 'PRAFileTransferList', 'PRAApprovalID'] as const;

/** User Activity records: every one has a policy name in Policy; every other one is a PRA session with a file transfer. */
export function userActivityDrift(count: number, seed = 17): string[] {
  const gen = new LssGenerator(seed, { policyNameShare: 1 });
  return Array.from({ length: count }, (_, i) => {
    let line = gen.userActivity();
    if (i % 2 === 0) {
      const transfer = JSON.stringify({
        file_list: [{ name: `/upload-${i}.bin`, action: 'Upload', status: 'Inspection denied upload', start_ts: 1704225544 + i, end_ts: 1704225547 + i, inspected: 'True', file_type: 'elf', md5: '4DDE761681684D7EDAD4E5E1FFDB940B' }],
      });
      line = line
        .replace('"PRASessionType": ""', '"PRASessionType": "SSH"')
        .replace('"PRAConsoleType": ""', '"PRAConsoleType": "Web"')
        .replace('"PRACredentialUserName": ""', `"PRACredentialUserName": "svc-admin-${i % 7}"`)
        .replace('"PRAFileTransferList": ""', `"PRAFileTransferList": ${JSON.stringify(transfer)}`)
        .replace(/"PRAApprovalID": \d+/, i % 4 === 0 ? '"PRAApprovalID": "15787"' : '"PRAApprovalID": 0');
    }
    // Platform and Hostname come after the documented fields, as in real captures.
    return line.replace(/}$/, `,"Platform": "${i % 3 === 0 ? '' : 'windows'}","Hostname": "LAPTOP-${String(1000 + i)}"}`);
  });
}

/** User Status records of the old template: the four list fields are comma-joined strings (or a bare number-like id). */
export function userStatusOldLists(count: number, seed = 23): string[] {
  const gen = new LssGenerator(seed);
  return Array.from({ length: count }, (_, i) =>
    gen
      .userStatus()
      .replace(/"TrustedNetworks": \[[^\]]*\]/, `"TrustedNetworks": "${i % 2 === 0 ? 'tn-office,tn-home' : 'tn-office'}"`)
      .replace(/"TrustedNetworksNames": \[[^\]]*\]/, '"TrustedNetworksNames": "145248739466696953"')
      .replace(/"PosturesHit": \[[^\]]*\]/, '"PosturesHit": "sm-posture1,sm-posture2"')
      .replace(/"PosturesMiss": \[[^\]]*\]/, '"PosturesMiss": "sm-posture3"'),
  );
}
