import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineFramer, TOO_LONG_HEAD_BYTES } from '../../src/ingest/line-framer.js';
import { LineBatcher } from '../../src/ingest/line-batcher.js';
import { BatchBuffers } from '../../src/ingest/batch-buffers.js';
import { ByteBudget } from '../../src/ingest/byte-budget.js';

function collect(max: number) {
  const blocks: string[] = [];
  const tooLong: Array<{ head: Buffer; length: number }> = [];
  const f = new LineFramer(max, { block: (b) => blocks.push(b.toString()), tooLong: (head, length) => tooLong.push({ head, length }) });
  return { f, blocks, tooLong, lines: () => blocks.join('').split('\n').filter((l, i, a) => i < a.length - 1) };
}

test('a record split across reads is reassembled; several per read stay whole', () => {
  const { f, lines } = collect(1024);
  f.push(Buffer.from('{"a":1}\n{"b"'));
  f.push(Buffer.from(':2}\n{"c":3}\n{"d":4}'));
  f.push(Buffer.from('\n'));
  assert.deepEqual(lines(), ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
});

test('CRLF is passed through for the checker to strip; blocks end on a newline', () => {
  const { f, blocks } = collect(1024);
  f.push(Buffer.from('{"a":1}\r\n{"b":2}\r\n'));
  assert.equal(blocks.join(''), '{"a":1}\r\n{"b":2}\r\n');
  assert.ok(blocks.every((b) => b.endsWith('\n')));
});

test('the last unterminated bytes at close are checked like a line', () => {
  const { f, lines } = collect(1024);
  f.push(Buffer.from('{"a":1}\n{"tail":true}'));
  assert.deepEqual(lines(), ['{"a":1}']);
  f.end();
  assert.deepEqual(lines(), ['{"a":1}', '{"tail":true}']);
});

test('an over-long line is discarded as it streams, never buffered past maxLineBytes, and the next line survives', () => {
  const { f, lines, tooLong } = collect(100 * 1024);
  f.push(Buffer.from('{"ok":1}\n'));
  const big = Buffer.alloc(64 * 1024, 0x61);
  let maxHeld = 0;
  for (let i = 0; i < 40; i++) {
    f.push(big); // 2.5 MB without a newline
    maxHeld = Math.max(maxHeld, f.heldBytes);
  }
  f.push(Buffer.from('zzz\n{"next":2}\n'));
  assert.ok(maxHeld <= 100 * 1024, `held ${maxHeld}`);
  assert.equal(tooLong.length, 1);
  assert.equal(tooLong[0].length, 40 * 64 * 1024 + 3);
  assert.equal(tooLong[0].head.length, TOO_LONG_HEAD_BYTES);
  assert.deepEqual(lines(), ['{"ok":1}', '{"next":2}']);
});

test('an over-long line cut by the connection closing is still reported', () => {
  const { f, tooLong } = collect(1024);
  f.push(Buffer.alloc(5000, 0x62));
  f.end();
  assert.equal(tooLong.length, 1);
  assert.equal(tooLong[0].length, 5000);
});

test('the batcher hands over transferable buffers by size and by time', async () => {
  const got: Array<{ ab: ArrayBuffer; length: number }> = [];
  const b = new LineBatcher({ maxBytes: 100, maxRecords: 1000, maxWaitMs: 20 }, (ab, length) => got.push({ ab, length }));
  b.add(Buffer.from('x'.repeat(60) + '\n'));
  assert.equal(got.length, 0);
  b.add(Buffer.from('y'.repeat(60) + '\n'));
  assert.equal(got.length, 1, 'flushed by size');
  assert.equal(got[0]!.length, 122);
  assert.equal(Buffer.from(got[0]!.ab, 0, 122).toString(), 'x'.repeat(60) + '\n' + 'y'.repeat(60) + '\n');
  b.add(Buffer.from('z\n'));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(got.length, 2, 'flushed by time');
  assert.equal(Buffer.from(got[1]!.ab, 0, got[1]!.length).toString(), 'z\n');
  assert.notEqual(got[0]!.ab, got[1]!.ab, 'each batch has a buffer of its own');
});

test('batches are built in recycled buffers; a block longer than the room left goes in the next batch, one longer than a buffer alone', () => {
  const pool = new BatchBuffers(100, 4);
  const got: Array<{ ab: ArrayBuffer; text: string }> = [];
  const b = new LineBatcher({ maxBytes: 80, maxRecords: 1000, maxWaitMs: 60_000 }, (ab, length) => got.push({ ab, text: Buffer.from(ab, 0, length).toString() }), undefined, pool);
  b.add(Buffer.from('a'.repeat(49) + '\n'));
  b.add(Buffer.from('b'.repeat(59) + '\n')); // 110 bytes would not fit the 100-byte buffer
  assert.deepEqual(got.map((g) => g.text), ['a'.repeat(49) + '\n']);
  b.add(Buffer.from('c'.repeat(149) + '\n')); // longer than any buffer
  assert.deepEqual(got.map((g) => g.text.length), [50, 60, 150]);
  assert.equal(got[0]!.ab.byteLength, 100);
  assert.equal(got[2]!.ab.byteLength, 150, 'a buffer of its own size');
  pool.give(got[0]!.ab);
  pool.give(got[2]!.ab); // not the pool's size: not kept
  assert.equal(pool.freeCount, 1);
  b.add(Buffer.from('d\n'));
  b.flush();
  assert.equal(got[3]!.ab, got[0]!.ab, 'the given-back buffer is reused');
  assert.equal(got[3]!.text, 'd\n');
  for (let i = 0; i < 10; i++) pool.give(new ArrayBuffer(100));
  assert.equal(pool.freeCount, 4, 'the free list is bounded');
});

test('a block of many lines larger than the room left (one 256 KiB read) fills this batch to maxBytes and goes on in the next, split at line ends', () => {
  const pool = new BatchBuffers(200, 8);
  const got: Array<{ ab: ArrayBuffer; text: string }> = [];
  const b = new LineBatcher({ maxBytes: 120, maxRecords: 1000, maxWaitMs: 60_000 }, (ab, length) => got.push({ ab, text: Buffer.from(ab, 0, length).toString() }), undefined, pool);
  b.add(Buffer.from('x'.repeat(29) + '\n'));
  const lines = Array.from({ length: 40 }, (_, i) => `${i}:${'y'.repeat((i * 7) % 45)}\n`);
  // With a line of 250 bytes in the middle, longer than a whole buffer: a batch of its own.
  lines.splice(20, 0, 'z'.repeat(249) + '\n');
  b.add(Buffer.from(lines.join('')));
  b.flush();
  assert.equal(got.map((g) => g.text).join(''), 'x'.repeat(29) + '\n' + lines.join(''), 'every byte once, in order');
  for (const g of got) assert.ok(g.text.endsWith('\n') && g.text.split('\n').slice(0, -1).every((l) => l.length > 0), 'batches hold whole lines');
  // maxBytes is 120 (lines of at most 50 bytes always fit the 80 bytes of slack): a batch goes once a line brings it there, except the one cut short by the over-long line, and the last.
  assert.ok(got.filter((g) => g.text.length < 120).length <= 2, `batches reach maxBytes: ${got.map((g) => g.text.length)}`);
  assert.ok(got[0]!.text.length >= 120, `the first batch was filled, not handed over at 30 bytes (${got[0]!.text.length})`);
  const own = got.filter((g) => g.ab.byteLength !== 200);
  assert.deepEqual(own.map((g) => g.text), ['z'.repeat(249) + '\n'], 'only the over-long line has a buffer of its own');
  assert.ok(got.filter((g) => g.ab.byteLength === 200).every((g) => g.text.length <= 200), 'the others fit the pool\'s buffers');
});

test('the byte budget pauses at the high mark and resumes only below the low mark', () => {
  const changes: boolean[] = [];
  const budget = new ByteBudget(100, 50, (p) => changes.push(p));
  budget.adjust(99);
  assert.deepEqual(changes, []);
  budget.adjust(1);
  assert.deepEqual(changes, [true]);
  budget.adjust(-40);
  assert.deepEqual(changes, [true], 'still above the low mark');
  budget.adjust(-20);
  assert.deepEqual(changes, [true, false]);
  assert.equal(budget.heldBytes, 40);
});
