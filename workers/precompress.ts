/**
 * Compresses a batch's accepted bytes in the worker, in the form the HTTP output packs into bodies (see
 * src/sink/gzip-body.ts and zstd-body.ts), in runs of whole records: gzip = raw deflate ended by a sync
 * flush, zstd = a frame, each run on its own so that any run may start a body.
 *
 * Why here: compression is the largest cost per byte, and with the simdjson engine the workers sit mostly
 * idle while the main thread paid for zlib's stream plumbing per segment (about 15% of its busy time in a
 * profile at full speed) and, for zstd, for the compression itself.
 */
import { createRequire } from 'node:module';
import { constants as zc, crc32, deflateRawSync } from 'node:zlib';
import { loadZstd } from '../src/sink/zstd-body.js';
import { isalLevel, loadIsal } from '../src/sink/isal-gzip.js';
import type { Precompression } from '../src/sink/sink.js';

interface ZstdBinding {
  CCtx: new () => { setParameter(param: number, value: number): void; compress2(dst: Uint8Array, src: Uint8Array): number };
  CParameter: { compressionLevel: number };
  compressBound(size: number): number;
}

/**
 * The worker's output buffer, grown to the largest batch's bound: zstd and igzip write a batch's runs one
 * after another into it, and the batch costs one exact-size copy out. zstd-napi's compress() allocates a
 * destination of compressBound(input) per call and copies the frame out of it; measured on 512 KiB batches
 * of User Activity records, one core: 741-767 MB/s with the scratch instead of 551-741 (less malloc, fewer
 * page faults on fresh destinations).
 */
let scratchBuffer = new Uint8Array(0);

function scratch(bound: number): Uint8Array {
  if (scratchBuffer.length < bound) scratchBuffer = new Uint8Array(bound);
  return scratchBuffer;
}

/** One zstd context per worker and level. */
let zstdState: { level: number; cctx: InstanceType<ZstdBinding['CCtx']>; binding: ZstdBinding } | null = null;

function zstdContext(level: number): NonNullable<typeof zstdState> {
  if (zstdState === null || zstdState.level !== level) {
    const binding = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
    const cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    zstdState = { level, cctx, binding };
  }
  return zstdState;
}

/**
 * Raw bytes per independently compressed run, by format. The HTTP output packs runs into bodies whole, so a
 * run is the granularity at which a body fills, and a run compresses a little worse than one long stream
 * (for gzip about 1.4% at 256 KiB, src/sink/gzip-body.ts). zstd runs are 256 KiB: the worker's context is
 * reused, so a run costs no more than its bytes, and a 1 MB body fills to within about 35 KB. gzip runs are
 * 1 MiB, one per batch at the default batch size: Node's zlib builds a new deflate state per call, and
 * 256 KiB runs cost about 17 MB more peak RSS at full speed for no throughput (bench, two alternating runs
 * each); a 1 MB body then fills to within one run of about 180 KB, or the builder re-cuts the run.
 */
export const RUN_RAW_BYTES: Readonly<Record<Precompression['format'], number>> = { zstd: 256 * 1024, gzip: 1024 * 1024 };

/** A batch's accepted bytes compressed run by run: `runs` holds, per run, [end record (exclusive), end byte in `bytes`]. */
export interface CompressedRuns {
  bytes: Uint8Array;
  runs: Uint32Array;
  /** gzip: the CRC-32 of each run's raw bytes, for the body's trailer (src/sink/crc32-combine.ts). */
  crcs?: Uint32Array;
}

/**
 * Compresses `raw` (records ending at `ends`) in runs of about RUN_RAW_BYTES cut at record boundaries, each
 * run on its own (gzip: raw deflate ended by a sync flush; zstd: a frame), into one transferable buffer; or
 * undefined when the format is not available here.
 */
export function precompress(raw: Uint8Array, how: Precompression, ends: Uint32Array = Uint32Array.of(raw.length)): CompressedRuns | undefined {
  if (how.format === 'zstd' && loadZstd() === null) return undefined;
  // Runs of equal size near RUN_RAW_BYTES rather than full runs and a small remainder, which would compress worse.
  const target = raw.length / Math.max(1, Math.round(raw.length / RUN_RAW_BYTES[how.format]));
  const runs: number[] = [];
  const cuts: Array<[number, number]> = [];
  let from = 0;
  for (let i = 0; i < ends.length; ) {
    let j = i;
    while (j < ends.length - 1 && ends[j]! - from < target) j++;
    // Records i..j (inclusive) make the run: the first record that reaches the target ends it.
    cuts.push([from, ends[j]!]);
    runs.push(j + 1);
    from = ends[j]!;
    i = j + 1;
  }
  if (how.format === 'zstd') return zstdRuns(raw, cuts, runs, how.level);
  return (how.library === 'isal' && isalRuns(raw, cuts, runs, how.level)) || deflateRuns(raw, cuts, runs, how.level);
}

/**
 * igzip runs (src/sink/isal-gzip.ts) written into the worker's scratch, then copied out once; false when the
 * module is not loaded in this worker or a run did not fit its bound (then zlib compresses the batch).
 */
function isalRuns(raw: Uint8Array, cuts: Array<[number, number]>, recordEnds: number[], level: number): CompressedRuns | false {
  const isal = loadIsal().addon;
  if (isal === undefined) return false;
  // Stored blocks bound incompressible input: 5 bytes per 64 KiB block, plus a block header and the flush per run.
  const out = scratch(raw.length + (raw.length >>> 12) + 1024 * cuts.length);
  const runEnds = Uint32Array.from(cuts, ([, b]) => b);
  const outEnds = new Uint32Array(cuts.length);
  const crcs = new Uint32Array(cuts.length);
  const size = isal.deflateRuns(raw, runEnds, isalLevel(level), out, outEnds, crcs);
  if (size < 0) return false;
  const runs = new Uint32Array(cuts.length * 2);
  for (let k = 0; k < cuts.length; k++) {
    runs[2 * k] = recordEnds[k]!;
    runs[2 * k + 1] = outEnds[k]!;
  }
  return { bytes: out.slice(0, size), runs, crcs };
}

/** zstd frames written one after another into the worker's scratch, then copied out once. */
function zstdRuns(raw: Uint8Array, cuts: Array<[number, number]>, recordEnds: number[], level: number): CompressedRuns {
  const z = zstdContext(level);
  let bound = 0;
  for (const [a, b] of cuts) bound += z.binding.compressBound(b - a);
  const out = scratch(bound);
  const runs = new Uint32Array(cuts.length * 2);
  let size = 0;
  cuts.forEach(([a, b], k) => {
    size += z.cctx.compress2(out.subarray(size), raw.subarray(a, b));
    runs[2 * k] = recordEnds[k]!;
    runs[2 * k + 1] = size;
  });
  return { bytes: out.slice(0, size), runs };
}

/** Sync-flushed raw deflate runs, each with an empty dictionary (a run may start a body), joined into one buffer. */
function deflateRuns(raw: Uint8Array, cuts: Array<[number, number]>, recordEnds: number[], level: number): CompressedRuns {
  // chunkSize 128 KiB: a run's output fits in one chunk, so zlib runs in one call.
  const parts = cuts.map(([a, b]) => deflateRawSync(raw.subarray(a, b), { level, finishFlush: zc.Z_SYNC_FLUSH, chunkSize: 128 * 1024 }));
  const runs = new Uint32Array(cuts.length * 2);
  const crcs = Uint32Array.from(cuts, ([a, b]) => crc32(raw.subarray(a, b)));
  // Copied into an exact-size buffer of its own: zlib's output may share a larger or pooled ArrayBuffer, which
  // must not be transferred away (nor held for its slack).
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let size = 0;
  parts.forEach((p, k) => {
    bytes.set(p, size);
    size += p.length;
    runs[2 * k] = recordEnds[k]!;
    runs[2 * k + 1] = size;
  });
  return { bytes, runs, crcs };
}
