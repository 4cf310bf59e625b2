/**
 * Regression: a new user sent 200 real User Activity records (policy names in Policy) and the relay said
 * nothing but its ready line, and `dead-letter report` said "0 stored records" until the relay stopped (it
 * skipped the file being written). Pinned here: one warn line within a second of the first refusal, with the
 * listener's refused share and the command to run next; no second line for the same combination within the
 * hour; and `report` and `list` against the running relay show the refused records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LssGenerator } from '../../bench/lss/generate.js';
import { runBin, spawnRelay, writeRelayConfig } from '../helpers/relay-process.js';
import { sendAndClose, waitFor } from '../helpers/relay-harness.js';

const UA = 'Zscaler.ZPA.UserActivity';
const NOTICE = 'records refused by the schema';

test('refused records: one warn line at once with the share and the next command; dead-letter report and list read the running relay\'s file', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-refusal-'));
  const file = writeRelayConfig(dir, {
    listeners: [{ name: 'user-activity', host: '127.0.0.1', port: 0, logType: UA }],
    admin: { host: '127.0.0.1', port: 0 },
    deadLetter: { path: join(dir, 'dead-letter') },
    output: { type: 'directory', directory: { path: join(dir, 'out') } },
  });
  const named = new LssGenerator(97, { policyNameShare: 1 });
  const good = new LssGenerator(98);
  const relay = await spawnRelay(['run', '--config', file]);
  try {
    const port = relay.ports['user-activity']!;
    const sentAt = Date.now();
    // 200 refused and 22 accepted records, one write: 90% of this listener's records are refused.
    const records = [...Array.from({ length: 22 }, () => good.userActivity()), ...Array.from({ length: 200 }, () => named.userActivity())];
    await sendAndClose(port, records.join('\n') + '\n');
    await waitFor(() => relay.logs.some((l) => String(l.msg).startsWith(NOTICE)), 'the warn line', 5_000);
    const line = relay.logs.find((l) => String(l.msg).startsWith(NOTICE))!;
    const after = Date.parse(String(line.time)) - sentAt;
    assert.ok(after < 1000, `logged ${after} ms after the records were sent`);
    assert.equal(line.level, 40, 'warn');
    assert.equal(line.listener, 'user-activity');
    assert.equal(line.logType, UA);
    assert.equal(line.reason, 'wrong_type');
    assert.equal(line.field, 'Policy');
    assert.equal(line.next, `zpa-relay schema derive --log-type ${UA} --config ${file}`);
    assert.match(String(line.listenerRefusedShare), /^\d+\.\d% \(\d+ of \d+ records since start\)$/);
    assert.match(String(line.msg), /kept in the dead-letter store, not sent to Panther/);

    // The relay is still writing its dead-letter file: report and list read it.
    await waitFor(async () => /: 200 stored/.test((await runBin(['dead-letter', 'report', '--config', file])).stdout), 'report to show the 200 refused records', 10_000);
    const report = await runBin(['dead-letter', 'report', '--config', file]);
    assert.match(report.stdout, new RegExp(`^${UA.replace(/\./g, '\\.')}: 200 stored$`, 'm'));
    assert.match(report.stdout, /^ {2}wrong_type Policy: 200 \(100\.0% of stored\)$/m);
    const list = await runBin(['dead-letter', 'list', '--config', file]);
    assert.match(list.stdout, /^200 records in 1 file$/m);
    assert.match(list.stdout, /being written by the relay, shown up to the last record written: dl-\S+\.jsonl\.gz\.open/);

    // The same combination again within the hour: no new line.
    await sendAndClose(port, Array.from({ length: 50 }, () => named.userActivity()).join('\n') + '\n');
    await waitFor(async () => /: 250 stored/.test((await runBin(['dead-letter', 'report', '--config', file])).stdout), 'the 50 more stored', 10_000);
    assert.equal(relay.logs.filter((l) => String(l.msg).startsWith(NOTICE) || String(l.msg).startsWith('records still refused')).length, 1, 'one line per combination and hour');
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
  }
});
