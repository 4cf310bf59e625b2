/**
 * MB/s per core of the workers' compression (workers/precompress.ts) on 512 KiB batches of User Activity
 * records, in the runs the HTTP output packs: zstd frames of 256 KiB and gzip runs of 1 MiB (zlib, and
 * ISA-L's igzip where its module is built), at level 1, with zlib gzip level 1 over the same bytes as one
 * stream for comparison.
 * Run: `npm run bench:precompress`. Prints each format's best of 5 rounds and its ratio.
 */
import { gzipSync } from 'node:zlib';
import { precompress } from '../../workers/precompress.js';
import { recordPool } from '../e2e/load-generator.js';
import { loadIsal } from '../../src/sink/isal-gzip.js';

const BATCH = 512 * 1024;
const ROUNDS = 5;

/** 512 KiB batches of whole records, with their record ends, as the main thread hands them over. */
function batches(): Array<{ raw: Buffer; ends: Uint32Array }> {
  const pool = recordPool('Zscaler.ZPA.UserActivity', 1, 0);
  const out: Array<{ raw: Buffer; ends: Uint32Array }> = [];
  let lines: Buffer[] = [];
  let size = 0;
  for (const r of pool) {
    lines.push(r);
    size += r.length;
    if (size >= BATCH) {
      let at = 0;
      out.push({ raw: Buffer.concat(lines), ends: Uint32Array.from(lines, (l) => (at += l.length)) });
      lines = [];
      size = 0;
    }
  }
  return out;
}

function best(run: () => number): { seconds: number; compressed: number } {
  let seconds = Infinity;
  let compressed = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    compressed = run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds, compressed };
}

const data = batches();
const raw = data.reduce((n, b) => n + b.raw.length, 0);
const line = (name: string, r: { seconds: number; compressed: number }) =>
  console.log(`${name.padEnd(44)} ${(raw / 1e6 / r.seconds).toFixed(0).padStart(5)} MB/s   ratio ${(raw / r.compressed).toFixed(2)}`);
console.log(`node ${process.version}, ${data.length} batches of ${BATCH / 1024} KiB (${(raw / 1e6).toFixed(0)} MB), level 1, best of ${ROUNDS}, one core`);
const isal = loadIsal();
const modes = [['zstd', undefined], ['gzip', 'zlib'], ...(isal.addon ? [['gzip', 'isal'] as const] : [])] as const;
for (const [format, library] of modes) {
  line(`precompress ${format}${library ? ` (${library})` : ''}`, best(() => data.reduce((n, b) => n + precompress(b.raw, { format, level: 1, library }, b.ends)!.bytes.length, 0)));
}
if (!isal.addon) console.log(`precompress gzip (isal): not run: ${isal.problem}`);
const all = Buffer.concat(data.map((b) => b.raw));
line('zlib gzipSync level 1, one stream', best(() => gzipSync(all, { level: 1 }).length));
