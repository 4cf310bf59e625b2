/**
 * Batch buffers are recycled once every record in them is settled (src/ingest/batch-buffers.ts). A buffer
 * reused too early would overwrite records still on their way: sent, retried, refused by the output or
 * waiting for the dead-letter store. This test drives thousands of small batches through the real relay, with
 * refused records, retried and refused bodies and the spool on, and requires every record to come out
 * exactly once, byte for byte, in Panther or in the dead-letter store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, sendAndClose, waitFor, readDeadLetters } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';

for (const compression of ['gzip', 'zstd'] as const) {
  test(`${compression}: recycled batch buffers never change a record (retries, refused bodies, schema refusals, spool)`, async () => {
    const panther = await startPantherStandin();
    // Every 7th request is throttled (retried), every 11th refused for good (its records are dead-lettered).
    panther.script((i) => (i % 11 === 5 ? { status: 400 } : i % 7 === 3 ? { status: 503 } : undefined));
    const h = await startRelay({
      output: { type: 'http', flushIntervalMs: 20, http: { url: panther.url, auth: { type: 'none' }, compression, maxRequestBytes: 60_000, retry: { initialBackoffMs: 5, maxBackoffMs: 20 } } },
      batch: { maxBytes: 4096, maxWaitMs: 2 },
      // A small budget: ingestion waits for deliveries, so new batches are built in buffers used before.
      maxBufferedBytes: 1_048_576,
      spool: { path: mkdtempSync(join(tmpdir(), 'zpa-spool-')) },
    });
    try {
      const gen = new LssGenerator(23, { policyNameShare: 0.1 });
      const lines = Array.from({ length: 3000 }, () => gen.userActivity());
      // Three connections at once, in reads of odd sizes.
      await Promise.all([0, 1, 2].map((k) => sendAndClose(h.port('ua'), lines.filter((_, i) => i % 3 === k).join('\n') + '\n')));
      const dead = () => readDeadLetters(join(h.dir, 'dead-letter'));
      await waitFor(() => panther.lines.length + dead().length >= lines.length, 'every record settled', 30_000);
      await new Promise((r) => setTimeout(r, 200));
      const out = [...panther.lines, ...dead().map((d) => d.line as string)];
      assert.equal(out.length, lines.length, 'each record once');
      assert.deepEqual(out.sort(), [...lines].sort(), 'byte for byte');
      const reasons = new Set(dead().map((d) => d.reason));
      assert.ok(reasons.has('wrong_type') && reasons.has('sink_rejected'), `refused by the schema and by the output: ${[...reasons]}`);
      assert.ok(h.relay.buffers.reused > 100, `buffers were reused (${h.relay.buffers.reused})`);
    } finally {
      await h.stop();
      await panther.close();
    }
  });
}

test('the relay keeps its byte budget\'s worth of free batch buffers, so a delivered body\'s batches are all reused', async () => {
  // 32 MiB budget, 512 KiB batches in 576 KiB buffers: 57 buffers. A delivered 1 MB zstd body releases about
  // 13 batches at once; the list must take those (and more) back instead of leaving them to the collector.
  const h = await startRelay({ maxBufferedBytes: 32 * 1024 * 1024, batch: { maxBytes: 512 * 1024 } });
  try {
    const pool = h.relay.buffers;
    const taken = Array.from({ length: 64 }, () => pool.take());
    const made = pool.allocated;
    for (const b of taken) pool.give(b);
    assert.equal(pool.freeCount, Math.ceil((32 * 1024 * 1024) / (576 * 1024)), 'a budget\'s worth kept free');
    const free = pool.freeCount;
    for (let i = 0; i < free; i++) pool.take();
    assert.equal(pool.freeCount, 0);
    assert.equal(pool.allocated, made, 'taking them all again makes no new buffer');
  } finally {
    await h.stop();
  }
});
