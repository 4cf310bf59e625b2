/**
 * Compresses a batch's accepted bytes in the worker, in the form the HTTP output packs into bodies (see
 * src/sink/gzip-body.ts and zstd-body.ts): gzip = one raw-deflate run ended by a sync flush, zstd = one frame.
 *
 * Why here: compression is the largest cost per byte, and with the simdjson engine the workers sit mostly
 * idle while the main thread paid for zlib's stream plumbing per segment (about 15% of its busy time in a
 * profile at full speed) and, for zstd, for the compression itself. A batch is at most batch.maxBytes
 * (512 KiB by default), large enough that its own dictionary costs about 1% of ratio.
 */
import { constants as zc, deflateRawSync } from 'node:zlib';
import { loadZstd } from '../src/sink/zstd-body.js';
import type { Precompression } from '../src/sink/sink.js';

/** The compressed bytes in their own buffer (transferable), or undefined when the format is not available here. */
export function precompress(raw: Uint8Array, how: Precompression): Uint8Array | undefined {
  let out: Uint8Array;
  if (how.format === 'gzip') {
    // chunkSize 128 KiB: a 512 KiB batch's output fits in one chunk, so zlib runs in one call.
    out = deflateRawSync(raw, { level: how.level, finishFlush: zc.Z_SYNC_FLUSH, chunkSize: 128 * 1024 });
  } else {
    const zstd = loadZstd();
    if (zstd === null) return undefined;
    out = zstd.compress(raw, { compressionLevel: how.level });
  }
  // Copy to an exact-size buffer of its own: zlib's output may share a larger or pooled ArrayBuffer, which
  // must not be transferred away (nor held for its slack).
  return new Uint8Array(out);
}
