/**
 * Compresses a batch's accepted bytes in the worker, in the form the HTTP output packs into bodies (see
 * src/sink/gzip-body.ts and zstd-body.ts): gzip = one raw-deflate run ended by a sync flush, zstd = one frame.
 *
 * Why here: compression is the largest cost per byte, and with the simdjson engine the workers sit mostly
 * idle while the main thread paid for zlib's stream plumbing per segment (about 15% of its busy time in a
 * profile at full speed) and, for zstd, for the compression itself. A batch is at most batch.maxBytes
 * (512 KiB by default), large enough that its own dictionary costs about 1% of ratio.
 */
import { createRequire } from 'node:module';
import { constants as zc, deflateRawSync } from 'node:zlib';
import { loadZstd } from '../src/sink/zstd-body.js';
import type { Precompression } from '../src/sink/sink.js';

interface ZstdBinding {
  CCtx: new () => { setParameter(param: number, value: number): void; compress2(dst: Uint8Array, src: Uint8Array): number };
  CParameter: { compressionLevel: number };
  compressBound(size: number): number;
}

/**
 * One zstd context per worker and level, writing into one scratch buffer that grows to the largest batch.
 * zstd-napi's compress() allocates a destination of compressBound(input) per call and then copies the
 * frame out of it; with the context and scratch kept, each batch costs one exact-size copy. Measured on
 * 512 KiB batches of User Activity records, one core: 741-767 MB/s instead of 551-741 (less malloc, fewer
 * page faults on fresh destinations).
 */
let zstdState: { level: number; cctx: InstanceType<ZstdBinding['CCtx']>; scratch: Uint8Array; binding: ZstdBinding } | null = null;

function zstdFrame(raw: Uint8Array, level: number): Uint8Array {
  if (zstdState === null || zstdState.level !== level) {
    const binding = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
    const cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    zstdState = { level, cctx, scratch: new Uint8Array(0), binding };
  }
  const bound = zstdState.binding.compressBound(raw.length);
  if (zstdState.scratch.length < bound) zstdState.scratch = new Uint8Array(bound);
  const n = zstdState.cctx.compress2(zstdState.scratch, raw);
  return zstdState.scratch.slice(0, n);
}

/** The compressed bytes in their own buffer (transferable), or undefined when the format is not available here. */
export function precompress(raw: Uint8Array, how: Precompression): Uint8Array | undefined {
  if (how.format === 'zstd') return loadZstd() === null ? undefined : zstdFrame(raw, how.level);
  // chunkSize 128 KiB: a 512 KiB batch's output fits in one chunk, so zlib runs in one call.
  const out = deflateRawSync(raw, { level: how.level, finishFlush: zc.Z_SYNC_FLUSH, chunkSize: 128 * 1024 });
  // Copy to an exact-size buffer of its own: zlib's output may share a larger or pooled ArrayBuffer, which
  // must not be transferred away (nor held for its slack).
  return new Uint8Array(out);
}
