/**
 * The on-disk framing of the spool: one frame per batch of lines read from a socket.
 *
 *   magic "ZPS1" (4) | payload length u32 BE (4) | CRC-32 of payload u32 BE (4) | payload
 *   payload = metadata length u32 BE (4) | metadata (msgpackr: {listener, logType, time}) | line bytes
 *
 * The magic and the checksum let a reader tell a complete frame from a torn write (power loss, kill -9
 * mid-write) or from corruption, without trusting the length field alone.
 */
import { crc32 } from 'node:zlib';
import { pack, unpack } from 'msgpackr';

const MAGIC = 0x5a505331; // "ZPS1"
export const FRAME_HEADER_BYTES = 12;

export interface FrameMeta {
  listener: string;
  logType: string;
  /** When the batch was read (ms since epoch). */
  time: number;
}

export interface DecodedFrame {
  meta: FrameMeta;
  data: Buffer;
  /** Offset just past this frame. */
  next: number;
}

/** Encodes one frame as header and payload parts, ready for a vectored write. */
export function encodeFrame(meta: FrameMeta, data: Buffer): Buffer[] {
  // Copy: msgpackr packs into a reused scratch buffer.
  const m = Buffer.from(pack(meta));
  const metaLen = Buffer.allocUnsafe(4);
  metaLen.writeUInt32BE(m.length, 0);
  let crc = crc32(metaLen);
  crc = crc32(m, crc);
  crc = crc32(data, crc);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(4 + m.length + data.length, 4);
  header.writeUInt32BE(crc >>> 0, 8);
  return [header, metaLen, m, data];
}

export type DecodeResult = { ok: true; frame: DecodedFrame } | { ok: false; reason: 'end' | 'torn' | 'corrupt' };

/** Decodes the frame at `offset`; `end` when the buffer ends exactly there. */
export function decodeFrame(buf: Buffer, offset: number): DecodeResult {
  if (offset === buf.length) return { ok: false, reason: 'end' };
  if (offset + FRAME_HEADER_BYTES > buf.length) return { ok: false, reason: 'torn' };
  if (buf.readUInt32BE(offset) !== MAGIC) return { ok: false, reason: 'corrupt' };
  const len = buf.readUInt32BE(offset + 4);
  const crc = buf.readUInt32BE(offset + 8);
  const start = offset + FRAME_HEADER_BYTES;
  if (start + len > buf.length) return { ok: false, reason: 'torn' };
  if (len < 4) return { ok: false, reason: 'corrupt' };
  const payload = buf.subarray(start, start + len);
  if (crc32(payload) >>> 0 !== crc) return { ok: false, reason: 'corrupt' };
  const metaLen = payload.readUInt32BE(0);
  if (4 + metaLen > len) return { ok: false, reason: 'corrupt' };
  let meta: FrameMeta;
  try {
    meta = unpack(payload.subarray(4, 4 + metaLen)) as FrameMeta;
  } catch {
    // A checksum match with undecodable metadata means a writer bug, not a torn write: treat as corrupt.
    return { ok: false, reason: 'corrupt' };
  }
  if (!meta || typeof meta.listener !== 'string' || typeof meta.logType !== 'string') return { ok: false, reason: 'corrupt' };
  return { ok: true, frame: { meta, data: payload.subarray(4 + metaLen), next: start + len } };
}
