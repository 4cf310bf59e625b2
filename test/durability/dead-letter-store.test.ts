/**
 * The dead-letter store's group commit: writes that arrive while one is on its way to disk share the next
 * write and fdatasync, every promise resolves only once its records are in the file, and order is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterStore, type DeadLetterInput } from '../../src/durability/dead-letter-store.js';

function record(i: number): DeadLetterInput {
  return { listener: 'ua', logType: 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: 'Policy', message: `m${i}`, line: Buffer.from(`{"n":${i}}`) };
}

function storedLines(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''))
    .map((l) => (JSON.parse(l) as { line: string }).line);
}

test('concurrent dead-letter writes are grouped into few syncs, each resolves once its records are on disk, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-store-'));
  const groups: number[] = [];
  const store = new DeadLetterStore({ path: dir, maxBytes: 1 << 30, maxFileBytes: 16 << 20 }, {
    written: (byReason) => groups.push(byReason.get('wrong_type') ?? 0),
    evicted: () => undefined,
    sizeChanged: () => undefined,
  });
  await store.open();
  const writes: Array<Promise<void>> = [];
  for (let batch = 0; batch < 200; batch++) {
    const recs = Array.from({ length: 5 }, (_, k) => record(batch * 5 + k));
    const p = store.write(recs);
    writes.push(
      p.then(() => {
        // On disk when resolved: this batch's records can be read back.
        const lines = new Set(storedLines(dir));
        for (const r of recs) assert.ok(lines.has(Buffer.from(r.line).toString()), `batch ${batch} readable once resolved`);
      }),
    );
  }
  await Promise.all(writes);
  await store.close();
  assert.deepEqual(storedLines(dir), Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`), 'every record once, in write order');
  assert.equal(groups.reduce((a, b) => a + b, 0), 1000);
  // The first write goes alone; the 199 that arrive while it is on its way share the next one.
  assert.ok(groups.length <= 3, `${groups.length} writes+syncs for 200 batches: ${groups.join(',')}`);
});
