import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineFramer, TOO_LONG_HEAD_BYTES } from '../../src/ingest/line-framer.js';
import { LineBatcher } from '../../src/ingest/line-batcher.js';
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
  const got: ArrayBuffer[] = [];
  const b = new LineBatcher({ maxBytes: 100, maxRecords: 1000, maxWaitMs: 20 }, (ab) => got.push(ab));
  b.add(Buffer.from('x'.repeat(60) + '\n'));
  assert.equal(got.length, 0);
  b.add(Buffer.from('y'.repeat(60) + '\n'));
  assert.equal(got.length, 1, 'flushed by size');
  assert.equal(got[0].byteLength, 122);
  b.add(Buffer.from('z\n'));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(got.length, 2, 'flushed by time');
  assert.equal(Buffer.from(got[1]).toString(), 'z\n');
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
