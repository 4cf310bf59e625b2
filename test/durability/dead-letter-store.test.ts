/**
 * The dead-letter store's group commit: writes that arrive while one is on its way to disk share the next
 * write and fdatasync, every promise resolves only once its records are in the file, and order is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterStore, GROUP_MIN_INTERVAL_MS, dropFront } from '../../src/durability/dead-letter-store.js';
import { encodeEntries, type DeadLetterInput } from '../../src/durability/dead-letter-entry.js';
import { encodeFrame } from '../../src/durability/dead-letter-frame.js';

function record(i: number): DeadLetterInput {
  return { listener: 'ua', logType: 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: 'Policy', message: `m${i}`, line: Buffer.from(`{"n":${i}}`) };
}

/** The text of every file of the store, decompressed by zlib's own gunzip (any gzip reader reads them). */
function storedText(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((f) => gunzipSync(readFileSync(join(dir, f))).toString('utf8'))
    .join('');
}

function storedLines(dir: string): string[] {
  return storedText(dir)
    .split('\n')
    .filter((l) => l !== '')
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

test('frames a worker encoded join the same group commit as records, in arrival order, counted by reason, byte for byte as the store would write them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-store-'));
  const written: Array<Map<string, number>> = [];
  const store = new DeadLetterStore({ path: dir, maxBytes: 1 << 30, maxFileBytes: 16 << 20 }, {
    written: (byReason) => written.push(new Map(byReason)),
    evicted: () => undefined,
    sizeChanged: () => undefined,
  });
  await store.open();
  // Offered in one turn of the event loop: one group, one write and sync.
  const encoded = encodeEntries([record(1), { ...record(2), reason: 'missing_required' }], '2026-12-01T00:00:00.000Z');
  await Promise.all([store.write([record(0)]), store.writeFrames(encodeFrame(encoded), [['wrong_type', 1], ['missing_required', 1]], 'ua'), store.write([record(3)])]);
  await store.close();
  assert.deepEqual(storedLines(dir), ['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}']);
  assert.equal(written.length, 1, 'records and encoded lines shared one write');
  assert.deepEqual([...written[0]!].sort(), [['missing_required', 1], ['wrong_type', 3]]);
  const text = storedText(dir);
  assert.ok(text.includes(encoded.toString('utf8')), 'the encoded lines are stored as they came');
  assert.deepEqual(JSON.parse(encoded.toString('utf8').split('\n')[0]!), {
    time: '2026-12-01T00:00:00.000Z', listener: 'ua', logType: 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: 'Policy', message: 'm1', line: '{"n":1}',
  });
});

test('whenFull evict (the old behaviour, chosen explicitly): past maxBytes the oldest files are evicted and reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-store-'));
  const evicted: string[] = [];
  const store = new DeadLetterStore({ path: dir, maxBytes: 4096, maxFileBytes: 1024, whenFull: 'evict' }, {
    written: () => undefined,
    evicted: (file) => evicted.push(file),
    sizeChanged: () => undefined,
  });
  await store.open();
  // Incompressible lines (random base64), 600 bytes each: a few files fill the store.
  for (let i = 0; i < 40; i++) await store.write([{ ...record(i), line: Buffer.from(randomBytes(450).toString('base64')) }]);
  await store.close();
  assert.ok(evicted.length > 0, 'files were evicted');
  assert.ok(store.totalBytes() <= 4096, `the store stays within maxBytes (${store.totalBytes()})`);
  assert.ok(!readdirSync(dir).includes(evicted[0]!), 'the oldest file is gone');
});

test('after a short writev, exactly the bytes not yet written are written next, at every cut', () => {
  // A group's frames go to the file in one writev (no joined copy); the kernel may take fewer bytes than
  // asked, and the rest must follow in order, none twice and none skipped, wherever the cut falls.
  const chunks = [Buffer.from('frame-one|'), Buffer.from('2|'), Buffer.alloc(0), Buffer.from('the-third-frame')];
  const all = Buffer.concat(chunks);
  for (let cut = 0; cut <= all.length; cut++) {
    const rest = dropFront(chunks, cut);
    assert.deepEqual(Buffer.concat(rest), all.subarray(cut), `cut at ${cut}`);
    assert.ok(rest.every((c) => c.length > 0), `no empty chunk left to write at cut ${cut}`);
  }
});

test('dead-letter group commits start at least GROUP_MIN_INTERVAL_MS apart: writes that trickle in share them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-store-'));
  const commits: number[] = [];
  const store = new DeadLetterStore({ path: dir, maxBytes: 1 << 30, maxFileBytes: 16 << 20 }, {
    written: () => commits.push(performance.now()),
    evicted: () => undefined,
    sizeChanged: () => undefined,
  });
  await store.open();
  // One small write every 2 ms for about 200 ms, as worker results arrive: without the pacing each would get
  // a sync of its own whenever the disk syncs in under 2 ms (tmpfs, a fast SSD).
  const writes: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    writes.push(store.write([record(i)]));
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(writes);
  const elapsed = performance.now() - t0;
  await store.close();
  assert.deepEqual(storedLines(dir), Array.from({ length: 100 }, (_, i) => `{"n":${i}}`), 'every record once, in order');
  // A commit is reported after its sync, so starts GROUP_MIN_INTERVAL_MS apart bound the count by the time.
  assert.ok(commits.length <= Math.floor(elapsed / GROUP_MIN_INTERVAL_MS) + 2, `${commits.length} group commits in ${elapsed.toFixed(0)} ms`);
  assert.ok(commits.length >= 2, 'records are not held for the whole run: commits go on while writes arrive');
});
