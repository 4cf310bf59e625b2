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
  test(`${format}: runs of about ${RUN_RAW_BYTES} raw bytes, cut at record boundaries, each decoding alone to its records`, () => {
    const { raw, ends } = batch(1000); // about 2.2 MB: 8 or 9 runs
    const out = precompress(raw, { format, level: 1 }, ends)!;
    const runs = out.runs;
    assert.ok(runs.length / 2 >= 7 && runs.length / 2 <= 10, `${runs.length / 2} runs`);
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
      if (k + 2 < runs.length) assert.ok(to - from >= RUN_RAW_BYTES * 0.75 && to - from <= RUN_RAW_BYTES * 1.5, `run ${k / 2}: ${to - from} bytes`);
      record = runs[k]!;
      byte = runs[k + 1]!;
    }
  });
}

test('a batch smaller than a run is one run; a single record larger than a run is a run of its own', () => {
  const small = batch(3);
  assert.deepEqual([...precompress(small.raw, { format: 'zstd', level: 1 }, small.ends)!.runs].filter((_, i) => i % 2 === 0), [3]);
  const big = Buffer.from(`${'x'.repeat(3 * RUN_RAW_BYTES)}\nab\n`);
  const out = precompress(big, { format: 'gzip', level: 1 }, Uint32Array.of(3 * RUN_RAW_BYTES + 1, 3 * RUN_RAW_BYTES + 4))!;
  assert.deepEqual([...out.runs].filter((_, i) => i % 2 === 0), [1, 2]);
});
