/**
 * RecordAccumulator: records gathered across chunks, with the ranges a worker compressed already passed on
 * only when the output takes them (same format and level), and cut at the size threshold or the timer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordAccumulator } from '../../src/sink/record-accumulator.js';
import type { AcceptedChunk, OutRecord, PrecompressedData } from '../../src/sink/sink.js';
import type { Precompressed } from '../../src/sink/gzip-body.js';

function chunk(lines: string[], precompressed?: PrecompressedData): AcceptedChunk {
  const data = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  const ends = new Uint32Array(lines.map((_, i) => lines.slice(0, i + 1).reduce((n, l) => n + l.length + 1, 0)));
  return { listener: 'ua', data, ends, typeIndex: new Uint8Array(lines.length), eventTimes: new Float64Array(lines.length), typeNames: ['T'], precompressed };
}

test('ranges compressed for this output are kept with their records; others (another format or level) are not', () => {
  const out: Array<{ records: OutRecord[]; pieces: Precompressed[] }> = [];
  const takes = (c: AcceptedChunk) => c.precompressed?.format === 'gzip' && c.precompressed.level === 1;
  const acc = new RecordAccumulator(60_000, () => 1 << 30, (records, pieces) => out.push({ records, pieces }), takes);
  const gz = { format: 'gzip' as const, level: 1, bytes: new Uint8Array([1, 2, 3]) };
  acc.add(chunk(['a', 'bb'], gz));
  acc.add(chunk(['ccc'], { format: 'zstd', level: 1, bytes: new Uint8Array([9]) })); // from before a reload
  acc.add(chunk(['dddd', 'e'], { ...gz, level: 6 }));
  acc.add(chunk(['f']));
  acc.add(chunk(['g', 'h', 'i'], gz));
  acc.cut();
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.records.map((r) => r.bytes.toString()), ['a', 'bb', 'ccc', 'dddd', 'e', 'f', 'g', 'h', 'i']);
  assert.deepEqual(out[0]!.pieces.map((p) => [p.start, p.end, p.raw.toString(), [...p.compressed]]), [
    [0, 2, 'a\nbb\n', [1, 2, 3]],
    [6, 9, 'g\nh\ni\n', [1, 2, 3]],
  ]);
});

test('the group is handed over at the size threshold, and the pieces start again from zero', () => {
  const out: Array<{ records: OutRecord[]; pieces: Precompressed[] }> = [];
  const acc = new RecordAccumulator(60_000, () => 10, (records, pieces) => out.push({ records, pieces }), () => true);
  const pc = { format: 'gzip' as const, level: 1, bytes: new Uint8Array([7]) };
  acc.add(chunk(['12345'], pc)); // 6 bytes: below 10
  assert.equal(out.length, 0);
  acc.add(chunk(['67890'], pc)); // 12 bytes: handed over
  acc.add(chunk(['x'], pc));
  acc.cut();
  assert.deepEqual(out.map((g) => g.pieces.map((p) => [p.start, p.end])), [[[0, 1], [1, 2]], [[0, 1]]]);
});

test('a chunk compressed in several runs becomes one piece per run, each with its own raw and compressed bytes', () => {
  const out: Array<{ records: OutRecord[]; pieces: Precompressed[] }> = [];
  const acc = new RecordAccumulator(60_000, () => 1 << 30, (records, pieces) => out.push({ records, pieces }), () => true);
  acc.add(chunk(['z']));
  // Runs: records [0, 2) in bytes [0, 2), [2, 3) in [2, 3), [3, 5) in [3, 6).
  acc.add(chunk(['a', 'bb', 'ccc', 'dd', 'e'], { format: 'zstd', level: 1, bytes: new Uint8Array([1, 2, 3, 4, 5, 6]), runs: Uint32Array.of(2, 2, 3, 3, 5, 6) }));
  acc.cut();
  assert.deepEqual(out[0]!.pieces.map((p) => [p.start, p.end, p.raw.toString(), [...p.compressed]]), [
    [1, 3, 'a\nbb\n', [1, 2]],
    [3, 4, 'ccc\n', [3]],
    [4, 6, 'dd\ne\n', [4, 5, 6]],
  ]);
});
