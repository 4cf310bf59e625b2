/**
 * Builds zstd JSON-lines request bodies within the size limit, for Panther's zstd detection (no dictionary).
 *
 * A zstd stream may hold several frames one after another (RFC 8878 section 3.1), and decoders read them
 * as one stream, so a body here is a run of independently compressed frames: each frame's exact size is
 * known once it is compressed, and frames are packed so that a body never exceeds the limit, the same way
 * the gzip builder packs deflate segments. zstd level 1 runs about 3x faster than gzip level 1 on LSS
 * records at a better ratio (PERFORMANCE.md: 825 vs 280 MB/s, 7.4x vs 5.5x). With the HTTP output the
 * workers compress each batch into a frame ahead of time (workers/precompress.ts), so the synchronous calls
 * below only handle what they did not: forwarded rejects, batches from before a reload, frames re-cut to fill
 * a body.
 */
import { createRequire } from 'node:module';
import { MIN_FILL_BEFORE_WHOLE_PIECE, bytesOf, cutRecords, type Body, type BuildResult, type Precompressed, type RecordLike } from './gzip-body.js';

type ZstdCompress = (data: Uint8Array, params?: { compressionLevel?: number }) => Buffer;

let loaded: { compress: ZstdCompress } | null | undefined;

/** The zstd binding (`zstd-napi`), or null when its native part is not available on this machine. */
export function loadZstd(): { compress: ZstdCompress } | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('zstd-napi') as { compress: ZstdCompress };
      loaded.compress(Buffer.from('probe'), { compressionLevel: 1 });
    } catch {
      // The addon did not build or load: the caller falls back to gzip and says so.
      loaded = null;
    }
  }
  return loaded;
}

const NEWLINE = 0x0a;
const SEGMENT_RAW_BYTES = 256 * 1024;
const TARGET_FILL = 0.9;
const INITIAL_RATIO = 0.2;

export interface ZstdBodyOptions {
  maxRequestBytes: number;
  headerBytes: number;
  level?: number;
}

export class ZstdBodyBuilder {
  private readonly limit: number;
  private readonly level: number;
  private readonly zstd: { compress: ZstdCompress };
  private ratio = INITIAL_RATIO;

  constructor(opts: ZstdBodyOptions) {
    const z = loadZstd();
    if (!z) throw new Error('zstd-napi is not available');
    this.zstd = z;
    this.limit = Math.floor(opts.maxRequestBytes - opts.headerBytes);
    this.level = opts.level ?? 1;
  }

  targetRawBytes(): number {
    return Math.floor((TARGET_FILL * this.limit) / this.ratio);
  }

  /** As GzipBodyBuilder.build; a precompressed piece is one zstd frame of its records. */
  async build(records: readonly RecordLike[], precompressed: readonly Precompressed[] = []): Promise<BuildResult> {
    const bodies: Body[] = [];
    const tooLarge: number[] = [];
    let frames: Buffer[] = [];
    let size = 0;
    let raw = 0;
    let bodyStart = -1;
    let end = 0;
    let totalRaw = 0;
    let totalCompressed = 0;
    const close = () => {
      if (frames.length === 0) return;
      bodies.push({ body: Buffer.concat(frames, size), rawBytes: raw, start: bodyStart, end });
      frames = [];
      size = 0;
      raw = 0;
      bodyStart = -1;
    };
    const place = (start: number, stop: number, done?: Precompressed): void => {
      const joined = done?.raw ?? join(records, start, stop);
      const frame = done?.compressed ?? this.zstd.compress(joined, { compressionLevel: this.level });
      if (frame.length > this.limit) {
        if (stop - start > 1) {
          const mid = start + Math.floor((stop - start) / 2);
          place(start, mid);
          place(mid, stop);
        } else {
          close();
          tooLarge.push(start);
        }
        return;
      }
      if (size + frame.length > this.limit) {
        const cuts = size > 0 && size < MIN_FILL_BEFORE_WHOLE_PIECE * this.limit ? cutRecords(records, start, stop, SEGMENT_RAW_BYTES) : [];
        if (cuts.length > 1) {
          // Fill the open body in ordinary frames instead of sending it part-empty (as the gzip builder does).
          for (const [i, j] of cuts) place(i, j);
          return;
        }
        close();
      }
      if (bodyStart < 0) bodyStart = start;
      frames.push(frame);
      size += frame.length;
      raw += joined.length;
      end = stop;
      totalRaw += joined.length;
      totalCompressed += frame.length;
    };
    let start = 0;
    let seg = 0;
    let next = 0; // the next precompressed piece
    for (let i = 0; i < records.length; i++) {
      const piece = precompressed[next];
      if (piece !== undefined && piece.start === i) {
        if (start < i) place(start, i);
        place(piece.start, piece.end, piece);
        next++;
        i = piece.end - 1;
        start = piece.end;
        seg = 0;
        continue;
      }
      seg += records[i]!.byteLength + 1;
      if (seg >= SEGMENT_RAW_BYTES || i === records.length - 1) {
        place(start, i + 1);
        start = i + 1;
        seg = 0;
      }
    }
    close();
    if (totalRaw > 0) this.ratio = this.ratio * 0.5 + (totalCompressed / totalRaw) * 0.5;
    return { bodies, tooLarge };
  }
}

function join(records: readonly RecordLike[], start: number, end: number): Buffer {
  let n = end - start;
  for (let i = start; i < end; i++) n += records[i]!.byteLength;
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (let i = start; i < end; i++) {
    at += bytesOf(records[i]!).copy(out, at);
    out[at++] = NEWLINE;
  }
  return out;
}
