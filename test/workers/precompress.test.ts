/**
 * Workers compress a batch's accepted records in runs of whole records, each run on its own, so that the HTTP
 * output can start a body with any of them: every run must decode alone to exactly its records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, crc32, inflateRawSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { decompress } from 'fzstd';
import { precompress, RUN_RAW_BYTES } from '../../workers/precompress.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { loadIsal } from '../../src/sink/isal-gzip.js';

function batch(records: number): { raw: Buffer; ends: Uint32Array } {
  const gen = new LssGenerator(11);
  const lines = Array.from({ length: records }, () => Buffer.from(gen.userActivity() + '\n'));
  let at = 0;
  return { raw: Buffer.concat(lines), ends: Uint32Array.from(lines, (l) => (at += l.length)) };
}

const isalMissing = loadIsal().addon === undefined && 'the ISA-L gzip module is not built on this machine';

for (const [format, library] of [['gzip', 'zlib'], ['gzip', 'isal'], ['zstd', undefined]] as const) {
  const runBytes = RUN_RAW_BYTES[format];
  test(`${format}${library ? ` (${library})` : ''}: runs of about ${runBytes} raw bytes, cut at record boundaries, each decoding alone to its records`, { skip: library === 'isal' && isalMissing }, () => {
    const { raw, ends } = batch(format === 'zstd' ? 1000 : 4000); // about 2.2 or 9 MB: 8 or 9 runs
    const out = precompress(raw, { format, level: 1, library }, ends)!;
    if (format === 'gzip') assert.equal(out.crcs?.length, out.runs.length / 2, 'one CRC per gzip run');
    else assert.equal(out.crcs, undefined);
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
      if (out.crcs) assert.equal(out.crcs[k / 2], crc32(raw.subarray(from, to)), `run ${k / 2}: the CRC-32 of its raw bytes`);
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

test('igzip runs are smaller work, not a different format: about zlib level 1\'s size, and decoded by zlib', { skip: isalMissing }, () => {
  const { raw, ends } = batch(2000);
  const isal = precompress(raw, { format: 'gzip', level: 1, library: 'isal' }, ends)!;
  const zlib = precompress(raw, { format: 'gzip', level: 1, library: 'zlib' }, ends)!;
  assert.deepEqual([...isal.runs].filter((_, i) => i % 2 === 0), [...zlib.runs].filter((_, i) => i % 2 === 0), 'the same cuts');
  assert.deepEqual([...isal.crcs!], [...zlib.crcs!], 'the same CRCs');
  assert.ok(!Buffer.from(isal.bytes).equals(Buffer.from(zlib.bytes)), 'another encoder');
  const ratio = isal.bytes.length / zlib.bytes.length;
  assert.ok(ratio > 0.9 && ratio < 1.15, `igzip level 1 output is ${ratio.toFixed(3)}x zlib level 1's`);
  // Level 2-9 map to igzip's best level, 3, which is smaller than its level 1.
  const best = precompress(raw, { format: 'gzip', level: 6, library: 'isal' }, ends)!;
  assert.ok(best.bytes.length < isal.bytes.length);
  assert.ok(inflateRawSync(best.bytes, { finishFlush: constants.Z_SYNC_FLUSH }).equals(raw));
});

test('igzip on incompressible bytes: runs still decode alone (stored blocks fit the output bound)', { skip: isalMissing }, () => {
  const raw = randomBytes(3 * 1024 * 1024 + 17);
  const ends = Uint32Array.of(1024 * 1024, 2 * 1024 * 1024, raw.length);
  const out = precompress(raw, { format: 'gzip', level: 1, library: 'isal' }, ends)!;
  assert.ok(out.bytes.length >= raw.length, 'nothing to gain, and nothing lost');
  // igzip itself fits them in precompress's bound (else the worker would have fallen back to zlib).
  const runEnds = Uint32Array.from({ length: out.runs.length / 2 }, (_, k) => ends[out.runs[2 * k]! - 1]!);
  const n = runEnds.length;
  const bound = raw.length + (raw.length >>> 12) + 1024 * n;
  const written = loadIsal().addon!.deflateRuns(raw, runEnds, 1, new Uint8Array(bound), new Uint32Array(n), new Uint32Array(n));
  assert.equal(written, out.bytes.length);
  assert.equal(loadIsal().addon!.deflateRuns(raw, runEnds, 1, new Uint8Array(raw.length / 2), new Uint32Array(n), new Uint32Array(n)), -1, 'too small a destination is -1, not an overrun');
  let from = 0;
  let byte = 0;
  for (let k = 0; k < out.runs.length; k += 2) {
    const to = ends[out.runs[k]! - 1]!;
    const part = out.bytes.subarray(byte, out.runs[k + 1]);
    assert.ok(inflateRawSync(part, { finishFlush: constants.Z_SYNC_FLUSH }).equals(raw.subarray(from, to)), `run ${k / 2}`);
    from = to;
    byte = out.runs[k + 1]!;
  }
});

test('a worker without the ISA-L module compresses with zlib what the output asked igzip for', () => {
  // In a process of its own: the module, once loaded, stays loaded.
  const script = `
    import { precompress } from ${JSON.stringify(new URL('../../workers/precompress.js', import.meta.url).href)};
    const raw = Buffer.from('{"a": 1}\\n'.repeat(50000));
    const isal = precompress(raw, { format: 'gzip', level: 1, library: 'isal' });
    const zlib = precompress(raw, { format: 'gzip', level: 1, library: 'zlib' });
    console.log(JSON.stringify({ same: Buffer.from(isal.bytes).equals(Buffer.from(zlib.bytes)), crcs: [...isal.crcs] }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ZPA_RELAY_ISAL_ADDON: 'off' } });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { same: boolean; crcs: number[] };
  assert.equal(out.same, true, 'byte for byte what zlib gives');
  assert.deepEqual(out.crcs, [crc32(Buffer.from('{"a": 1}\n'.repeat(50000)))]);
});
