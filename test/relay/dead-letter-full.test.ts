/**
 * A full dead-letter store with the default deadLetter.whenFull (pause): nothing the relay read is evicted.
 * The listener whose records are refused is paused (TCP backpressure on its App Connector) while a listener
 * whose records are accepted keeps flowing; when an operator moves files out of the store, ingestion resumes,
 * and in the end every refused record is stored exactly once (in the store or in what was moved away).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { LssGenerator } from '../../bench/lss/generate.js';
import { DEAD_LETTER_FILE_RE } from '../../src/durability/dead-letter-reader.js';
import { connectTo, metricValue, readDeadLetters, startRelay, waitFor } from '../helpers/relay-harness.js';

const UA = 'Zscaler.ZPA.UserActivity';

/** Writes `data` honouring backpressure (as an App Connector's TCP stack would hold what is not yet read). */
async function writeAll(s: Socket, data: string): Promise<void> {
  if (!s.write(data)) await new Promise((r) => s.once('drain', r));
}

test('whenFull pause: the refused listener pauses and resumes with nothing lost, the accepted listener keeps flowing', { timeout: 90_000 }, async () => {
  const refusedCount = 3000;
  const named = new LssGenerator(95, { policyNameShare: 1 });
  const refused = Array.from({ length: refusedCount }, (_, i) => named.userActivity().replace('"SessionID": "', `"SessionID": "r${i}-`));
  const good = new LssGenerator(96);
  const scratch = mkdtempSync(join(tmpdir(), 'zpa-dl-full-'));
  const h = await startRelay({
    listeners: [
      { name: 'refused', port: 0, host: '127.0.0.1', logType: UA },
      { name: 'accepted', port: 0, host: '127.0.0.1', logType: UA },
    ],
    // About 40 compressed batches of refused records: the store fills within the first few hundred records.
    deadLetter: { path: join(scratch, 'dead-letter'), maxBytes: 64 * 1024, maxFileBytes: 64 * 1024 },
    batch: { maxBytes: 64 * 1024 },
  });
  const store = h.config.deadLetter.path;
  const archive = join(scratch, 'moved-away');
  mkdirSync(archive);
  const stored = () => readDeadLetters(store).length + readDeadLetters(archive).length;
  try {
    // The App Connector of refused records sends everything; TCP holds what the relay does not read.
    const r = await connectTo(h.port('refused'));
    r.resume();
    const sending = (async () => {
      for (let i = 0; i < refused.length; i += 50) await writeAll(r, refused.slice(i, i + 50).join('\n') + '\n');
      r.end();
    })();

    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_dead_letter_full')) === 1, 'the store to fill and the refused listener to pause', 30_000);
    const storedWhenFull = stored();
    assert.ok(storedWhenFull < refusedCount, `paused before everything was stored (${storedWhenFull})`);

    // While "refused" is paused, "accepted" keeps flowing.
    const a = await connectTo(h.port('accepted'));
    a.resume();
    const before = await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total');
    await writeAll(a, Array.from({ length: 200 }, () => good.userActivity()).join('\n') + '\n');
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_received_total', { listener: 'accepted' })) === 200, 'the accepted records checked while the other listener is paused');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_dead_letter_full'), 1, 'still full: the accepted listener flowed during the pause');
    assert.ok(stored() - storedWhenFull < 200, 'the refused listener stayed paused (no more than what was in flight got stored)');
    a.end();
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total')) - before === 200, 'the accepted records delivered while the other listener is paused', 30_000);

    // The operator moves closed files away, as often as the store fills, until every refused record is stored.
    const deadline = Date.now() + 60_000;
    while (stored() !== refusedCount) {
      assert.ok(Date.now() < deadline, `timed out: ${stored()} of ${refusedCount} refused records stored`);
      for (const name of readdirSync(store)) if (DEAD_LETTER_FILE_RE.test(name)) renameSync(join(store, name), join(archive, name));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await sending;

    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_dead_letter_evicted_files_total'), 0, 'nothing evicted');
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_dead_letter_paused_seconds_total', { listener: 'refused' })) > 0, 'the pause is counted');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_dead_letter_paused_seconds_total', { listener: 'accepted' }), 0, 'the accepted listener was never paused');
  } finally {
    await h.stop();
  }
  const ids = [...readDeadLetters(store), ...readDeadLetters(archive)].map((d) => /"SessionID": "(r\d+)-/.exec(String(d.line))?.[1]);
  assert.equal(new Set(ids).size, refusedCount, 'each refused record stored once');
  assert.equal(ids.length, refusedCount);
});
