/**
 * Workers compress a batch's accepted records in runs of whole records, each run on its own, so that the HTTP
 * output can start a body with any of them: every run must decode alone to exactly its records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, inflateRawSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { precompress, RUN_RAW_BYTES } from '../../workers/precompress.js';
import { LssGenerator } from '../../bench/lss/generate.js';

function batch(records: number): { raw: Buffer; ends: Uint32Array } {
  const gen = new LssGenerator(11);
  const lines = Array.from({ length: records }, () => Buffer.from(gen.userActivity() + '\n'));
  let at = 0;
  return { raw: Buffer.concat(lines), ends: Uint32Array.from(lines, (l) => (at += l.length)) };
}

for (const format of ['gzip', 'zstd'] as const) {
  const runBytes = RUN_RAW_BYTES[format];
  test(`${format}: runs of about ${runBytes} raw bytes, cut at record boundaries, each decoding alone to its records`, () => {
    const { raw, ends } = batch(format === 'zstd' ? 1000 : 4000); // about 2.2 or 9 MB: 8 or 9 runs
    const out = precompress(raw, { format, level: 1 }, ends)!;
    const runs = out.runs;
    const expected = raw.length / runBytes;
    assert.ok(runs.length / 2 >= Math.floor(expected) && runs.length / 2 <= Math.ceil(expected), `${runs.length / 2} runs for ${expected.toFixed(1)}`);
    assert.equal(runs[runs.length - 2], ends.length, 'the last run ends with the last record');
    assert.equal(runs[runs.length - 1], out.bytes.length, 'the runs fill the buffer exactly');
    assert.equal(out.bytes.byteOffset, 0);
    assert.equal(out.bytes.buffer.byteLength, out.bytes.length, 'a buffer of its own (it is transferred)');
    let record = 0;
    let byte = 0;
    for (let k = 0; k < runs.length; k += 2) {
      const from = record === 0 ? 0 : ends[record - 1]!;
      const to = ends[runs[k]! - 1]!;
      const part = out.bytes.subarray(byte, runs[k + 1]);
      const decoded = format === 'gzip' ? inflateRawSync(part, { finishFlush: constants.Z_SYNC_FLUSH }) : Buffer.from(decompress(part));
      assert.ok(decoded.equals(raw.subarray(from, to)), `run ${k / 2} decodes to records [${record}, ${runs[k]})`);
      if (k + 2 < runs.length) assert.ok(to - from >= runBytes * 0.75 && to - from <= runBytes * 1.5, `run ${k / 2}: ${to - from} bytes`);
      record = runs[k]!;
      byte = runs[k + 1]!;
    }
  });
}

test('a batch smaller than a run is one run; a single record larger than a run is a run of its own', () => {
  const small = batch(3);
  assert.deepEqual([...precompress(small.raw, { format: 'zstd', level: 1 }, small.ends)!.runs].filter((_, i) => i % 2 === 0), [3]);
  const n = 3 * RUN_RAW_BYTES.gzip;
  const big = Buffer.from(`${'x'.repeat(n)}\nab\n`);
  const out = precompress(big, { format: 'gzip', level: 1 }, Uint32Array.of(n + 1, n + 4))!;
  assert.deepEqual([...out.runs].filter((_, i) => i % 2 === 0), [1, 2]);
});
