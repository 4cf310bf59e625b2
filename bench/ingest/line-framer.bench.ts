/**
 * Throughput of the main thread's framing (src/ingest/line-framer.ts): MB/s of LSS records pushed through a
 * LineFramer in socket-sized reads, as a connection delivers them, with the LineBatcher's job (gathering
 * blocks) left out. Framing is one lastIndexOf per read plus a copy only when a line straddles two reads, so
 * it should run at many GB/s, far above anything else per byte; this bench is there to keep it so.
 *
 *   npm run bench:framer [-- megabytes=200]
 *
 * Read sizes: 64 KiB (what Node's TCP reads usually hand over), 16 KiB and 1.5 KiB (a read per packet, the
 * worst case: most reads end inside a line and carry its start over).
 */
import { LineFramer } from '../../src/ingest/line-framer.js';
import { LssGenerator } from '../lss/generate.js';

const MEGABYTES = Number(process.argv[2] ?? 200);
const ROUNDS = 5;

const gen = new LssGenerator(3);
const pool = Buffer.from(Array.from({ length: 5000 }, () => gen.userActivity() + '\n').join(''));
const repeats = Math.max(1, Math.ceil((MEGABYTES * 1e6) / pool.length));

for (const readBytes of [64 * 1024, 16 * 1024, 1500]) {
  let best = Infinity;
  let blocks = 0;
  let framed = 0;
  for (let r = 0; r < ROUNDS; r++) {
    blocks = 0;
    framed = 0;
    const framer = new LineFramer(1 << 20, {
      block: (data) => {
        blocks++;
        framed += data.length;
      },
      tooLong: () => {
        throw new Error('no line is too long here');
      },
    });
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < repeats; k++) {
      for (let at = 0; at < pool.length; at += readBytes) framer.push(pool.subarray(at, at + readBytes));
    }
    framer.end();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  if (framed !== pool.length * repeats) throw new Error(`framed ${framed} bytes, expected ${pool.length * repeats}`);
  const mb = (pool.length * repeats) / 1e6;
  console.log(
    `reads of ${String(readBytes).padStart(6)} B: ${(mb / best).toFixed(0).padStart(6)} MB/s, ` +
      `${Math.round((pool.length * repeats) / blocks)} B per block handed on (best of ${ROUNDS}, ${mb.toFixed(0)} MB, one core)`,
  );
}
