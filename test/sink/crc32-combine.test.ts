/**
 * crc32Combine gives the CRC-32 of a concatenation from its parts' CRCs, as zlib.crc32 over the whole: the
 * HTTP output's gzip trailers depend on it (a wrong trailer makes Panther refuse the body).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../src/sink/crc32-combine.js';

test('crc32Combine(crc(A), crc(B), |B|) = crc(A || B) for lengths from 0 to several MiB', () => {
  const lengths = [0, 1, 2, 3, 7, 8, 255, 256, 4095, 65_536, 1_048_576, 1_048_577, 3 * 1_048_576 + 13];
  for (const la of [0, 1, 100, 65_537]) {
    for (const lb of lengths) {
      const a = randomBytes(la);
      const b = randomBytes(lb);
      assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), `|A| ${la}, |B| ${lb}`);
    }
  }
});

test('chained over many parts, as a body of several runs', () => {
  const parts = Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 7919) % 200_000)));
  let crc = 0;
  for (const p of parts) crc = crc32Combine(crc, crc32(p), p.length);
  assert.equal(crc, crc32(Buffer.concat(parts)));
  // The running form zlib.crc32(data, previous) takes agrees with it.
  assert.equal(crc32(parts[1]!, crc32(parts[0]!)), crc32Combine(crc32(parts[0]!), crc32(parts[1]!), parts[1]!.length));
});
