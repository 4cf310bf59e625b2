/**
 * Turns an object's records into its compressed body: JSON lines of the records' original bytes (never
 * re-serialised: 18-digit audit ids must stay exact), one gzip member or a run of zstd frames.
 *
 * gzip runs on libuv's thread pool (zlib's async API), off the main thread. zstd-napi only offers a
 * synchronous call, so a large object is compressed as several frames of at most ZSTD_FRAME_RAW_BYTES with a
 * yield to the event loop between them: each call blocks for a few milliseconds (zstd level 1 does about
 * 800 MB/s here, PERFORMANCE.md), and readers decode concatenated frames as one stream (RFC 8878 3.1).
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { loadZstd } from './zstd-body.js';
import type { OutRecord } from './sink.js';

const gzipAsync = promisify(gzip);
const NEWLINE = 0x0a;
const ZSTD_FRAME_RAW_BYTES = 4 * 1024 * 1024;

/** The records as JSON lines, each followed by '\n'. */
export function jsonLines(records: readonly OutRecord[], rawBytes: number): Buffer {
  const out = Buffer.allocUnsafe(rawBytes);
  let at = 0;
  for (const r of records) {
    at += r.bytes.copy(out, at);
    out[at++] = NEWLINE;
  }
  return out;
}

/** Compresses an object's raw JSON lines. zstd needs loadZstd() to have succeeded (create-sink checks). */
export async function compressObject(raw: Buffer, compression: 'gzip' | 'zstd', level: number): Promise<Buffer> {
  if (compression === 'gzip') return gzipAsync(raw, { level });
  const zstd = loadZstd();
  if (!zstd) throw new Error('zstd-napi is not available');
  const frames: Buffer[] = [];
  for (let at = 0; at < raw.length; at += ZSTD_FRAME_RAW_BYTES) {
    if (at > 0) await yieldToLoop();
    frames.push(zstd.compress(raw.subarray(at, at + ZSTD_FRAME_RAW_BYTES), { compressionLevel: level }));
  }
  return frames.length === 1 ? frames[0] : Buffer.concat(frames);
}
