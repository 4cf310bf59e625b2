/**
 * Builds gzip'd JSON-lines request bodies that never exceed Panther's size limit.
 *
 * Why this shape: the compressed size of a body is unknown until it is compressed, compression is the
 * largest cost per byte (PERFORMANCE.md) and must run off the main thread and in parallel, and the body must
 * still be one ordinary gzip member (Panther documents neither multi-member gzip nor zstd framing details;
 * a single member is what every gzip reader accepts).
 *
 * How: records are cut into segments of a few hundred KB (always at record boundaries). Each segment is
 * compressed on its own as raw deflate ending in a sync flush (byte-aligned, no final block) by zlib's async
 * API, which runs on libuv's thread pool, several at a time. Such segments concatenate into one valid deflate
 * stream (the same trick pigz uses); a body is then
 *   10-byte gzip header + segment deflate data ... + empty final block (03 00) + CRC-32 + ISIZE,
 * with the CRC-32 chained over the segments' raw bytes. Because every segment's compressed size is known
 * before it is placed, packing is exact: a segment joins the current body only if the finished body still
 * fits, so the limit is guaranteed by construction, and bodies fill to within one segment of the limit.
 * With the HTTP output most segments arrive compressed already: each worker deflates its batch's accepted
 * bytes the same way (workers/precompress.ts), which takes zlib's per-call plumbing off the main thread.
 *
 * Cost of the segmenting: each segment starts with an empty dictionary. Measured on LSS-like records at
 * level 1: 256 KB segments compress about 1.4% worse than one stream, 64 KB about 5%, 16 KB about 18%,
 * so segments are as large as the body size allows (about 1/16 of a body, at most 256 KB raw).
 */
import { constants as zc, crc32, deflateRaw } from 'node:zlib';
import { crc32Combine } from './crc32-combine.js';
import type { OutRecord } from './sink.js';

/** Sizing of the bodies. */
export interface BodyOptions {
  /** The server's limit for one request, headers included, in bytes (Panther: 1 MB). */
  maxRequestBytes: number;
  /** Bytes reserved for the request line and headers; bodies are at most `maxRequestBytes - headerBytes`. */
  headerBytes: number;
  /** zlib level, 0-9. Default 1: about 2x the speed of level 6 for about 20% more bytes (PERFORMANCE.md). */
  level?: number;
  /**
   * Segments compressed at once. Default 4, libuv's default thread pool size: more would only queue inside
   * libuv, holding zlib state for each, and delay the pool's other users (DNS lookups, file writes).
   */
  parallelism?: number;
}

/**
 * A record as the body builders take it: its bytes, or an OutRecord, which views them only when asked (the
 * builders read only sizes for the records a worker compressed already, most of them).
 */
export type RecordLike = Buffer | Pick<OutRecord, 'bytes' | 'byteLength'>;

/** The bytes of a record. */
export function bytesOf(r: RecordLike): Buffer {
  return Buffer.isBuffer(r) ? r : r.bytes;
}

/** One gzip'd request body holding records[start, end), each followed by "\n". */
export interface Body {
  /** The complete gzip member, ready to send. */
  body: Buffer;
  /** Uncompressed bytes in the body (records plus newlines). */
  rawBytes: number;
  /** Index of the first record in the body. */
  start: number;
  /** One past the index of the last record in the body. */
  end: number;
}

/**
 * Records [start, end) of a build that a worker already compressed in this builder's format (for gzip: one
 * raw-deflate run ended by a sync flush; for zstd: one frame), with their raw bytes ("record\n" each,
 * contiguous). The builder places it as one segment as it is, and compresses the records itself only if
 * the piece alone does not fit a body.
 */
export interface Precompressed {
  start: number;
  end: number;
  raw: Buffer;
  compressed: Buffer;
  /** gzip: the CRC-32 of `raw` when the worker computed it (the body's trailer is then chained without reading `raw`). */
  crc?: number;
}

/** The result of one build: bodies in record order, and records too large to send at all. */
export interface BuildResult {
  bodies: Body[];
  /** Indexes of records whose compressed form alone exceeds the limit; the caller dead-letters them. */
  tooLarge: number[];
}

// Fixed gzip header (RFC 1952): magic, CM=8 (deflate), no flags, MTIME=0 (none; keeps bodies
// reproducible), XFL=0, OS=255 (unknown).
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
// An empty final block with fixed Huffman codes: BFINAL=1, BTYPE=01, end-of-block code. Closes the stream
// after segments that each end in a sync flush.
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
/** Bytes a body adds around its segments: header, final block, CRC-32 and ISIZE. */
export const GZIP_FRAMING_BYTES = GZIP_HEADER.length + FINAL_BLOCK.length + 8;

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Fill a body's raw target aims at; the margin absorbs ratio drift between batches without a tiny tail body. */
const TARGET_FILL = 0.9;
/** Starting compressed/raw ratio: LSS JSON at level 1 is about 0.18; a high guess only makes the first body smaller. */
const INITIAL_RATIO = 0.25;
/** Segments per body aimed for: the packing granularity (a body fills to within ~1/16 of the limit). */
const SEGMENTS_PER_BODY = 16;
const MAX_SEGMENT_RAW_BYTES = 256 * 1024;
const MIN_SEGMENT_RAW_BYTES = 16 * 1024;
const OUTPUT_CHUNK_BYTES = 64 * 1024;
/** Weight of one full build's observed ratio in the running estimate. */
const RATIO_SMOOTHING = 0.5;

/** A run of records compressed together: records[start, end) with their newlines. */
interface Segment {
  start: number;
  end: number;
  raw: Buffer;
  compressed: Promise<Buffer>;
  crc?: number;
}

/**
 * A run larger than a segment (a worker's precompressed piece) that does not fit the open body is used whole
 * (the open body is sent as it is) only if that body is at least this full; otherwise its records are
 * compressed again in ordinary segments to fill it. With Panther's 1 MB limit and 512 KiB batches a piece is
 * about a tenth of a body, so this costs nothing; it matters with small maxRequestBytes.
 */
export const MIN_FILL_BEFORE_WHOLE_PIECE = 0.75;

/** Cuts records[start, end) into runs of about `rawBytes` each ("record\n" counted), at record boundaries. */
export function cutRecords(records: readonly RecordLike[], start: number, end: number, rawBytes: number): Array<[number, number]> {
  const cuts: Array<[number, number]> = [];
  for (let i = start; i < end; ) {
    let j = i;
    for (let size = 0; j < end && size < rawBytes; j++) size += records[j]!.byteLength + 1;
    cuts.push([i, j]);
    i = j;
  }
  return cuts;
}

function compressSegment(raw: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Z_SYNC_FLUSH instead of Z_FINISH: the output ends byte-aligned without a final block, so the next
    // segment's blocks can follow it in the same deflate stream.
    // chunkSize 64 KB: a 256 KB segment's output fits in one chunk, so the thread pool hands back once per
    // segment instead of once per 16 KB (the default); measured about 15% more throughput on 2 cores.
    deflateRaw(raw, { level, finishFlush: zc.Z_SYNC_FLUSH, chunkSize: OUTPUT_CHUNK_BYTES }, (err, out) =>
      err ? reject(err) : resolve(out),
    );
  });
}

/** Concatenates records[start, end), each followed by a newline, into one new buffer. */
function joinLines(records: readonly RecordLike[], start: number, end: number): Buffer {
  let size = end - start;
  for (let i = start; i < end; i++) size += records[i]!.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = start; i < end; i++) {
    at += bytesOf(records[i]!).copy(out, at);
    out[at++] = NEWLINE;
  }
  return out;
}

/** Runs at most `limit` tasks at once, in submission order. A small bounded semaphore, no queue of work. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Body under construction: segments chosen so far and their exact compressed total. */
class BodyAccumulator {
  private parts: Array<{ raw: Buffer; compressed: Buffer; crc: number | undefined }> = [];
  private compressedBytes = 0;
  private rawBytes = 0;
  start = -1;
  end = -1;

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** The finished body's size if `compressed` were added. */
  sizeWith(compressed: Buffer): number {
    return GZIP_FRAMING_BYTES + this.compressedBytes + compressed.length;
  }

  add(seg: { start: number; end: number; raw: Buffer; crc?: number }, compressed: Buffer): void {
    if (this.parts.length === 0) this.start = seg.start;
    this.end = seg.end;
    this.parts.push({ raw: seg.raw, compressed, crc: seg.crc });
    this.compressedBytes += compressed.length;
    this.rawBytes += seg.raw.length;
  }

  /** Assembles the gzip member and resets the accumulator. */
  finish(): Body {
    let crc = 0;
    const chunks: Buffer[] = [GZIP_HEADER];
    for (const p of this.parts) {
      // CRC-32 of the uncompressed data, chained segment by segment: from the worker's CRC of the segment
      // when it sent one, else read here (zlib.crc32 takes the running value).
      crc = p.crc === undefined ? crc32(p.raw, crc) : crc32Combine(crc, p.crc, p.raw.length);
      chunks.push(p.compressed);
    }
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(this.rawBytes % 2 ** 32, 4); // ISIZE is the length modulo 2^32 (RFC 1952)
    chunks.push(FINAL_BLOCK, trailer);
    const body: Body = {
      body: Buffer.concat(chunks, GZIP_FRAMING_BYTES + this.compressedBytes),
      rawBytes: this.rawBytes,
      start: this.start,
      end: this.end,
    };
    this.parts = [];
    this.compressedBytes = 0;
    this.rawBytes = 0;
    this.start = -1;
    this.end = -1;
    return body;
  }
}

/**
 * Builds gzip'd JSON-lines bodies ("record\n" per record, original bytes untouched) whose compressed size is
 * at most `maxRequestBytes - headerBytes`, compressing off the main thread. Keeps an adaptive estimate of the
 * compression ratio so `targetRawBytes()` tells the caller how much to gather for one full body. A record
 * whose compressed form alone exceeds the limit is returned in `tooLarge`. One builder serves one stream of
 * calls; concurrent builds are safe but share the ratio estimate.
 */
export class GzipBodyBuilder {
  private readonly limit: number;
  private readonly level: number;
  private readonly gate: Gate;
  private ratio = INITIAL_RATIO;
  private observed = false;

  constructor(opts: BodyOptions) {
    this.limit = Math.floor(opts.maxRequestBytes - opts.headerBytes);
    this.level = opts.level ?? 1;
    const parallelism = opts.parallelism ?? 4;
    if (!(this.limit > GZIP_FRAMING_BYTES + 16)) {
      throw new RangeError(`maxRequestBytes - headerBytes must leave room for a body (got ${this.limit})`);
    }
    if (!Number.isInteger(this.level) || this.level < 0 || this.level > 9) {
      throw new RangeError(`gzip level must be an integer 0-9 (got ${this.level})`);
    }
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new RangeError(`parallelism must be a positive integer (got ${parallelism})`);
    }
    this.gate = new Gate(parallelism);
  }

  /** The largest body this builder produces, in bytes. */
  get maxBodyBytes(): number {
    return this.limit;
  }

  /** The current estimate of compressed/raw size. */
  get ratioEstimate(): number {
    return this.ratio;
  }

  /** Raw (uncompressed) bytes the next body should hold, from the current ratio estimate; the caller aggregates up to about this much before calling build. */
  targetRawBytes(): number {
    return Math.floor((TARGET_FILL * this.limit) / this.ratio);
  }

  /** Raw bytes per segment: ~1/16 of a body, within [16 KB, 256 KB], but small enough that a body holds several. */
  private segmentRawBytes(): number {
    const bodyRaw = this.targetRawBytes();
    const floor = Math.min(MIN_SEGMENT_RAW_BYTES, Math.floor(bodyRaw / 4));
    return Math.max(1, Math.min(MAX_SEGMENT_RAW_BYTES, Math.max(floor, Math.floor(bodyRaw / SEGMENTS_PER_BODY))));
  }

  /**
   * Builds bodies from `records` in order; every record lands in exactly one body or in `tooLarge`.
   * `precompressed` (sorted, non-overlapping ranges) are segments a worker compressed already.
   */
  async build(records: readonly RecordLike[], precompressed: readonly Precompressed[] = []): Promise<BuildResult> {
    const bodies: Body[] = [];
    const tooLarge: number[] = [];
    if (records.length === 0) return { bodies, tooLarge };

    // Cut segments and start compressing them all; the gate keeps at most `parallelism` in zlib at once.
    const segRaw = this.segmentRawBytes();
    const segments: Segment[] = [];
    let start = 0;
    let size = 0;
    let next = 0; // the next precompressed piece
    for (let i = 0; i < records.length; i++) {
      const piece = precompressed[next];
      if (piece !== undefined && piece.start === i) {
        if (start < i) segments.push(this.segment(records, start, i));
        segments.push({ start: piece.start, end: piece.end, raw: piece.raw, compressed: Promise.resolve(piece.compressed), crc: piece.crc });
        next++;
        i = piece.end - 1;
        start = piece.end;
        size = 0;
        continue;
      }
      size += records[i]!.byteLength + 1;
      if (size >= segRaw || i === records.length - 1) {
        segments.push(this.segment(records, start, i + 1));
        start = i + 1;
        size = 0;
      }
    }

    // Pack in order. Waiting on each segment in turn is fine: they complete roughly in order anyway.
    const acc = new BodyAccumulator();
    let rawUsed = 0;
    let compressedUsed = 0;
    let cuts: Array<[number, number]>;
    const place = async (seg: Segment): Promise<void> => {
      const compressed = await seg.compressed;
      if (acc.sizeWith(compressed) <= this.limit) {
        acc.add(seg, compressed);
      } else if (!acc.empty && acc.sizeWith(EMPTY) < MIN_FILL_BEFORE_WHOLE_PIECE * this.limit && (cuts = cutRecords(records, seg.start, seg.end, segRaw)).length > 1) {
        // A run larger than a segment (a worker's piece, or half of one) would leave the open body part-empty:
        // compress its records again in ordinary segments to fill it.
        for (const [i, j] of cuts) await place(this.segment(records, i, j));
        return;
      } else if (GZIP_FRAMING_BYTES + compressed.length <= this.limit) {
        bodies.push(acc.finish());
        acc.add(seg, compressed);
      } else if (seg.end - seg.start > 1) {
        // The segment alone is over the limit (a few huge records). Split it by records and place the
        // halves; recursion ends at single records.
        const mid = seg.start + Math.max(1, Math.floor((seg.end - seg.start) / 2));
        const left = this.segment(records, seg.start, mid);
        const right = this.segment(records, mid, seg.end);
        await place(left);
        await place(right);
        return;
      } else {
        // One record that cannot fit even alone. Close the open body first so every body stays a
        // contiguous range of records.
        if (!acc.empty) bodies.push(acc.finish());
        tooLarge.push(seg.start);
        return;
      }
      rawUsed += seg.raw.length;
      compressedUsed += compressed.length;
    };
    for (const seg of segments) await place(seg);
    if (!acc.empty) bodies.push(acc.finish());
    this.learn(rawUsed, compressedUsed);
    return { bodies, tooLarge };
  }

  private segment(records: readonly RecordLike[], start: number, end: number): Segment {
    const raw = joinLines(records, start, end);
    const compressed = this.gate.run(() => compressSegment(raw, this.level));
    // A zlib failure (out of memory) reaches the caller through `place`, which awaits every segment in
    // order. Segments not awaited yet must not count as unhandled rejections meanwhile (that would crash
    // the process), and if an earlier failure ends the build, theirs are the same failure; so mark them
    // handled here. Awaiting the promise later still sees the rejection.
    compressed.catch(() => undefined);
    return { start, end, raw, compressed };
  }

  /** Folds one build's observed ratio into the estimate, weighted by how much data it saw. */
  private learn(raw: number, compressed: number): void {
    if (raw === 0) return;
    const observed = Math.min(1.1, Math.max(0.001, (compressed + GZIP_FRAMING_BYTES) / raw));
    if (!this.observed && raw >= MIN_SEGMENT_RAW_BYTES) {
      this.ratio = observed;
      this.observed = true;
      return;
    }
    const weight = RATIO_SMOOTHING * Math.min(1, raw / this.targetRawBytes());
    this.ratio = this.ratio * (1 - weight) + observed * weight;
  }
}
