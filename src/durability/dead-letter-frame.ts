/**
 * The compressed form of dead-letter store files (`.jsonl.gz`): a sequence of gzip members ("frames"), each
 * holding whole JSON lines and readable on its own. The store appends frames and fdatasyncs them in group
 * commits, so a crash mid-write can only tear the last frame: every frame before it stays readable.
 *
 * A frame is an ordinary gzip member (RFC 1952) whose FEXTRA field carries one subfield, `ZR`, with the
 * member's total size (4 bytes, little endian), as BGZF does for the same reason: a reader finds where each
 * frame ends without inflating it, so it tells a torn last frame (fewer bytes than announced) from a whole
 * one, and keeps the torn bytes as they are instead of guessing. `zcat` and any gzip reader still read a
 * file (all its whole frames).
 *
 * Compression is igzip level 1 where the ISA-L module loads (src/sink/isal-gzip.ts), else zlib level 1.
 * Measured on dead-letter lines of User Activity records (600 KB per batch, one core): igzip 1,261 MB/s at a
 * ratio of 6.2, zlib 315 MB/s at 6.5, zstd level 1 767 MB/s at 8.9. gzip rather than zstd although zstd's
 * files are 30% smaller: the dead-letter commands must read the store wherever the relay ran, and Node's
 * zlib always loads, while zstd-napi is an optional addon (the relay falls back when it does not build).
 */
import { constants as zc, crc32, deflateRawSync, gunzipSync } from 'node:zlib';
import { loadIsal } from '../sink/isal-gzip.js';
import { encodeEntriesScratch, type DeadLetterRecord } from './dead-letter-entry.js';

/** Header bytes of a frame: the gzip header (10), XLEN (2), and the `ZR` subfield (2 + 2 + 4). */
export const FRAME_HEADER_BYTES = 20;
const TRAILER_BYTES = 8;
/** The empty final block (fixed Huffman) that ends a sync-flushed deflate stream. */
const FINAL_BLOCK = [0x03, 0x00];

/** igzip's output, reused (per thread) and grown to the largest frame's bound: a fresh one per frame is zero-filled and page-faulted. */
let scratch = new Uint8Array(0);

/** One frame: the lines `raw` (whole JSON lines) compressed, in a buffer of its own (exact size, movable to another thread). */
export function encodeFrame(raw: Uint8Array): Buffer {
  const isal = loadIsal().addon;
  let deflated: Uint8Array | undefined;
  let crc = 0;
  if (isal !== undefined) {
    // Stored blocks bound incompressible input: 5 bytes per 64 KiB block, plus a block header and the flush.
    const bound = raw.length + (raw.length >>> 12) + 1024;
    if (scratch.length < bound) scratch = new Uint8Array(bound);
    const dst = scratch;
    const crcs = new Uint32Array(1);
    const size = isal.deflateRuns(raw, Uint32Array.of(raw.length), 1, dst, new Uint32Array(1), crcs);
    if (size >= 0) {
      deflated = dst.subarray(0, size);
      crc = crcs[0]!;
    }
  }
  const tail = deflated === undefined ? 0 : FINAL_BLOCK.length;
  if (deflated === undefined) {
    deflated = deflateRawSync(raw, { level: 1, finishFlush: zc.Z_FINISH });
    crc = crc32(raw);
  }
  const total = FRAME_HEADER_BYTES + deflated.length + tail + TRAILER_BYTES;
  const out = Buffer.allocUnsafeSlow(total);
  // ID1 ID2 CM=deflate FLG=FEXTRA MTIME=0 XFL=0 OS=255 (unknown), XLEN=8, subfield ZR of 4 bytes: the size.
  out.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255, 8, 0, 0x5a, 0x52, 4, 0], 0);
  out.writeUInt32LE(total, 16);
  out.set(deflated, FRAME_HEADER_BYTES);
  let at = FRAME_HEADER_BYTES + deflated.length;
  if (tail > 0) out.set(FINAL_BLOCK, at);
  at += tail;
  out.writeUInt32LE(crc >>> 0, at);
  out.writeUInt32LE(raw.length >>> 0, at + 4);
  return out;
}

/** One frame of the records as store lines (encodeEntries), and the size of those lines. */
export function encodeEntriesFrame(records: readonly DeadLetterRecord[], time: string, listener = ''): { frame: Buffer; rawBytes: number } {
  const lines = encodeEntriesScratch(records, time, listener);
  return { frame: encodeFrame(lines), rawBytes: lines.length };
}

/** The uncompressed size of the frames in `bytes` (whole frames, one after another), from their trailers. */
export function framesRawBytes(bytes: Uint8Array): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let at = 0; at + FRAME_HEADER_BYTES <= b.length; ) {
    const size = frameSize(b, at);
    if (size === undefined || at + size > b.length) break;
    n += b.readUInt32LE(at + size - 4);
    at += size;
  }
  return n;
}

/** The size a frame at `at` announces, or undefined when no frame of this format starts there. */
function frameSize(b: Buffer, at: number): number | undefined {
  if (b.length - at < FRAME_HEADER_BYTES) return undefined;
  if (b[at] !== 0x1f || b[at + 1] !== 0x8b || b[at + 2] !== 8 || (b[at + 3]! & 4) === 0) return undefined;
  if (b.readUInt16LE(at + 10) < 8 || b[at + 12] !== 0x5a || b[at + 13] !== 0x52 || b.readUInt16LE(at + 14) !== 4) return undefined;
  const size = b.readUInt32LE(at + 16);
  return size >= FRAME_HEADER_BYTES + TRAILER_BYTES ? size : undefined;
}

/** A part of a compressed file: the lines of a whole frame, or bytes that are not a readable frame (kept as they are). */
export type FramePart = { lines: Buffer } | { unreadable: Buffer; torn: boolean };

/**
 * Splits a compressed file's bytes into its frames' content. A last frame with fewer bytes than it announces
 * is `torn` (a crash mid-write, or a frame still being written); a frame that does not inflate (damaged),
 * or bytes where no frame starts, are unreadable up to the next frame or the end.
 */
export function* readFrames(bytes: Buffer): Generator<FramePart> {
  let at = 0;
  while (at < bytes.length) {
    const size = frameSize(bytes, at);
    if (size === undefined) {
      // Not one of ours (or a header cut short): look for the next frame that is.
      const next = nextFrame(bytes, at + 1);
      yield { unreadable: bytes.subarray(at, next), torn: next === bytes.length && bytes.length - at < FRAME_HEADER_BYTES };
      at = next;
      continue;
    }
    if (at + size > bytes.length) {
      yield { unreadable: bytes.subarray(at), torn: true };
      return;
    }
    const frame = bytes.subarray(at, at + size);
    let lines: Buffer | undefined;
    try {
      lines = gunzipSync(frame);
    } catch {
      // Damaged (a bad CRC, bad deflate data): its bytes are kept and counted as unreadable, never dropped.
      lines = undefined;
    }
    yield lines === undefined ? { unreadable: frame, torn: false } : { lines };
    at += size;
  }
}

/** The offset of the next frame header at or after `from` (the end when there is none). */
function nextFrame(b: Buffer, from: number): number {
  for (let i = b.indexOf(0x1f, from); i >= 0; i = b.indexOf(0x1f, i + 1)) {
    if (frameSize(b, i) !== undefined) return i;
  }
  return b.length;
}
