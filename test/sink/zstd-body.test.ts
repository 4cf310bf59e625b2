import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decompress } from 'fzstd';
import { ZstdBodyBuilder } from '../../src/sink/zstd-body.js';
import type { Precompressed } from '../../src/sink/gzip-body.js';
import { precompress } from '../../workers/precompress.js';
import { LssGenerator } from '../../bench/lss/generate.js';

test('zstd bodies stay within the limit, are not tiny, and decode (independently) to the input byte for byte', async () => {
  const gen = new LssGenerator(4);
  const records = Array.from({ length: 3000 }, () => Buffer.from(gen.userActivity(), 'utf8'));
  for (const limit of [1_000_000, 100_000, 20_000]) {
    const b = new ZstdBodyBuilder({ maxRequestBytes: limit, headerBytes: 300 });
    const { bodies, tooLarge } = await b.build(records);
    assert.deepEqual(tooLarge, []);
    assert.ok(bodies.every((x) => x.body.length <= limit - 300), `limit ${limit}`);
    if (bodies.length > 1) assert.ok(bodies.slice(0, -1).every((x) => x.body.length >= (limit - 300) * 0.5), `bodies fill the limit ${limit}`);
    const text = bodies.map((x) => Buffer.from(decompress(x.body)).toString('utf8')).join('');
    assert.equal(text, records.map((r) => r.toString('utf8') + '\n').join(''));
    assert.deepEqual(bodies.map((x) => [x.start, x.end]).flat().filter((_, i, a) => i % 2 === 1 && i < a.length - 1), bodies.slice(1).map((x) => x.start), 'bodies are contiguous ranges');
  }
});

test('a record whose compressed form alone exceeds the limit is returned as too large', async () => {
  const b = new ZstdBodyBuilder({ maxRequestBytes: 5000, headerBytes: 300 });
  const small = Buffer.from('{"a":1}');
  const { bodies, tooLarge } = await b.build([small, Buffer.from(randomBytes(20_000).toString('base64')), small]);
  assert.deepEqual(tooLarge, [1]);
  assert.deepEqual(bodies.map((x) => [x.start, x.end]), [[0, 1], [2, 3]]);
});

test('zstd bodies: frames a worker compressed already are placed as they are, or recompressed smaller when they do not fit', async () => {
  const gen = new LssGenerator(9);
  const records = Array.from({ length: 1200 }, () => Buffer.from(gen.userActivity(), 'utf8'));
  const pieces: Precompressed[] = [];
  let at = 2;
  for (const n of [1, 40, 300, 600]) {
    const raw = Buffer.concat(records.slice(at, at + n).flatMap((r) => [r, Buffer.from('\n')]));
    pieces.push({ start: at, end: at + n, raw, compressed: Buffer.from(precompress(raw, { format: 'zstd', level: 1 })!.bytes) });
    at += n + 3;
  }
  for (const limit of [1_000_000, 100_000, 20_000]) {
    const b = new ZstdBodyBuilder({ maxRequestBytes: limit, headerBytes: 300 });
    const { bodies, tooLarge } = await b.build(records, pieces);
    assert.deepEqual(tooLarge, []);
    assert.ok(bodies.every((x) => x.body.length <= limit - 300), `limit ${limit}`);
    const text = bodies.map((x) => Buffer.from(decompress(x.body)).toString('utf8')).join('');
    assert.equal(text, records.map((r) => r.toString('utf8') + '\n').join(''), `limit ${limit}: every record once, in order`);
    if (bodies.length > 1) assert.ok(bodies.slice(0, -1).every((x) => x.body.length >= (limit - 300) * 0.5), `limit ${limit}: bodies fill the limit`);
    // The worker's frames are used where they fit; larger ones are compressed again in smaller frames.
    const verbatim = pieces.filter((p) => bodies.some((x) => x.body.includes(p.compressed)));
    assert.ok(verbatim.length >= 1, `limit ${limit}: some frames are placed as the worker compressed them`);
    for (const p of pieces.filter((x) => x.compressed.length > limit - 300)) assert.ok(!verbatim.includes(p), `limit ${limit}: frame [${p.start}, ${p.end}) split`);
  }
});
