/**
 * The dead-letter store's record format, and its encoding: JSON lines, one object per refused record:
 *   {"time","listener","logType","reason","field","message","line"} plus `status` for sink rejections;
 *   `lineBase64` replaces `line` when the bytes are not valid UTF-8; `length` is added when `line` holds
 *   only the first 64 KiB of an over-long line. `time` is when the record was refused: checked by a worker,
 *   or refused by the output.
 *
 * Used by the workers (records the schema refuses, encoded next to the check) and by the store itself (the
 * rest), so that both write exactly the same lines. The store compresses them (dead-letter-frame.ts).
 */
import { isUtf8 } from 'node:buffer';

export interface DeadLetterInput {
  listener: string;
  logType: string | null;
  reason: string;
  field?: string;
  message: string;
  line: Uint8Array;
  /** Full length of the original line when `line` is only its head. */
  length?: number;
  status?: number;
}

/** A record to encode whose listener may be given for the whole call instead (the workers' refused records). */
export type DeadLetterRecord = Omit<DeadLetterInput, 'listener'> & { listener?: string };

/**
 * The records as the store's JSON lines, each ending in '\n', all stamped with `time`; `listener` names the
 * listener of records that carry none.
 *
 * Byte for byte what `JSON.stringify` of the entry object gives, without building that object, its text or
 * a UTF-8 copy of the line: the fields before the line are one cached text per (listener, log type, reason,
 * field, status), and the line is escaped by JSON.stringify on its latin1 view and written back as latin1.
 * That round trip gives back the very bytes above 0x7f (so valid UTF-8 stays as it was, as JSON.stringify of
 * the UTF-8 text would leave it) and escapes exactly what JSON.stringify escapes in ASCII. Why: with real
 * User Activity traffic 90% of the records are refused, and building an object, a UTF-8 string and one text
 * of megabytes per batch made the workers' refused path 3.5x slower than their accepted path (profile: the
 * encoder and the collections of its garbage were a third of a worker's time).
 */
export function encodeEntries(records: readonly DeadLetterRecord[], time: string, listener = ''): Buffer {
  return Buffer.from(encodeEntriesScratch(records, time, listener));
}

/**
 * The encoder's output buffer, reused (one per thread) and grown to the largest batch's lines: a fresh
 * buffer of about 600 KB per batch is external memory V8 answers with full collections (in a worker
 * micro-benchmark they took more time than the encoding).
 */
let scratch = Buffer.alloc(0);

/**
 * encodeEntries into the thread's scratch buffer: the result is valid only until the next call on this
 * thread (the store and the workers compress it into a frame at once, dead-letter-frame.ts).
 */
export function encodeEntriesScratch(records: readonly DeadLetterRecord[], time: string, listener = ''): Buffer {
  const heads = new Map<string, string>();
  const timeText = `{"time":${JSON.stringify(time)},"listener":`;
  const want = estimate(records);
  if (scratch.length < want) scratch = Buffer.allocUnsafeSlow(want);
  let out = scratch;
  let at = 0;
  const room = (n: number): void => {
    if (at + n <= out.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, at + n));
    out.copy(bigger, 0, 0, at);
    out = scratch = bigger;
  };
  for (const r of records) {
    const who = r.listener ?? listener;
    const key = `${who}\0${r.logType}\0${r.reason}\0${r.field ?? ''}\0${r.field === undefined}\0${r.status}`;
    let head = heads.get(key);
    if (head === undefined) {
      head = `${timeText}${JSON.stringify(who)},"logType":${JSON.stringify(r.logType)},"reason":${JSON.stringify(r.reason)},"field":${JSON.stringify(r.field ?? null)},"message":`;
      heads.set(key, head);
    }
    const message = JSON.stringify(r.message);
    const bytes = Buffer.from(r.line.buffer, r.line.byteOffset, r.line.byteLength);
    const utf8 = isUtf8(bytes);
    const line = utf8 ? JSON.stringify(bytes.toString('latin1')) : bytes.toString('base64');
    room(head.length * 3 + message.length * 3 + line.length + 96);
    at += out.write(head, at, 'utf8');
    at += out.write(message, at, 'utf8');
    if (r.status !== undefined) at += out.write(`,"status":${JSON.stringify(r.status)}`, at, 'latin1');
    if (utf8) {
      at += out.write(',"line":', at, 'latin1');
      at += out.write(line, at, 'latin1');
    } else {
      at += out.write(',"lineBase64":"', at, 'latin1');
      at += out.write(line, at, 'latin1');
      out[at++] = 0x22;
    }
    if (r.length !== undefined && (r.length > r.line.byteLength || r.reason === 'line_too_long')) at += out.write(`,"length":${JSON.stringify(r.length)}`, at, 'latin1');
    out[at++] = 0x7d;
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/** A first guess at the encoded size: the lines, a little for escapes, and the fields around them. */
function estimate(records: readonly DeadLetterRecord[]): number {
  let n = 0;
  for (const r of records) n += r.line.byteLength + (r.line.byteLength >>> 3) + r.message.length + 256;
  return Math.max(n, 64);
}
