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
import { loadNativeAddon } from '../../workers/engines/native-addon.js';

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
 * a UTF-8 copy of the line: the fields before the line are one cached text per run of records alike, and the
 * line is escaped by the native escaper straight into the output (native/src/json_escape.cc), or, where the
 * native module does not load, by JSON.stringify on its latin1 view written back as latin1. That round trip
 * gives back the very bytes above 0x7f (so valid UTF-8 stays as it was, as JSON.stringify of the UTF-8 text
 * would leave it) and escapes exactly what JSON.stringify escapes in ASCII. Why: with real User Activity
 * traffic 90% of the records are refused, and building an object, a UTF-8 string and one text of megabytes
 * per batch made the workers' refused path 3.5x slower than their accepted path (profile: the encoder and
 * the collections of its garbage were a third of a worker's time). Worker CPU per record, one thread, 90%
 * refused, with compression into a frame: 18.2-18.4 us before, 11.3-13.8 with the latin1 JSON.stringify,
 * 7.2-8.8 with the native escaper and the cached heads (accepted records: 4.0-4.2).
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

const LINE_KEY = ',"line":';
/** Distinct messages per run of alike records whose encoded text is kept (see encodeEntriesScratch). */
const CACHED_MESSAGES = 64;

/**
 * The native JSON string escaper (native/src/json_escape.cc, in the checker's module), or undefined where
 * that module does not load (then JSON.stringify on the latin1 view, which gives the same bytes). Measured in
 * a worker, 90% refused User Activity records: about 3 us a record less, and two strings of garbage fewer.
 */
const escape: ((src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number) => number) | undefined = (() => {
  const addon = loadNativeAddon().addon;
  return addon?.escapeJsonString !== undefined ? addon.escapeJsonString.bind(addon) : undefined;
})();

/**
 * encodeEntries into the thread's scratch buffer: the result is valid only until the next call on this
 * thread (the store and the workers compress it into a frame at once, dead-letter-frame.ts).
 */
export function encodeEntriesScratch(records: readonly DeadLetterRecord[], time: string, listener = ''): Buffer {
  const runs = new Map<string, { head: string; texts: Map<string, Buffer> }>();
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
  // The fields before the line: the same for runs of records (one log type, reason, field and status),
  // so the last record's are kept and compared by value, and a map holds the heads without the message.
  // Within a run the message is mostly one of a few (records the simdjson engine refused alike share one
  // string: a policy name each), so up to CACHED_MESSAGES of them are kept per run as their encoded bytes,
  // found by the message string and copied; past that (a bad timestamp, say: each record's message
  // differs) each record's text is built and written as before.
  let last: DeadLetterRecord | undefined;
  let lastWho = '';
  let head = '';
  let texts = new Map<string, Buffer>();
  let lastMessage: string | undefined;
  let text: Buffer | string = '';
  for (const r of records) {
    const who = r.listener ?? listener;
    if (last === undefined || r.logType !== last.logType || r.reason !== last.reason || r.field !== last.field || r.status !== last.status || who !== lastWho) {
      const key = `${who}\0${r.logType}\0${r.reason}\0${r.field ?? ''}\0${r.field === undefined}\0${r.status}`;
      let run = runs.get(key);
      if (run === undefined) {
        run = { head: `${timeText}${JSON.stringify(who)},"logType":${JSON.stringify(r.logType)},"reason":${JSON.stringify(r.reason)},"field":${JSON.stringify(r.field ?? null)},"message":`, texts: new Map() };
        runs.set(key, run);
      }
      head = run.head;
      texts = run.texts;
      last = r;
      lastWho = who;
      lastMessage = undefined;
    }
    if (r.message !== lastMessage) {
      const cached = texts.get(r.message);
      if (cached !== undefined) text = cached;
      else {
        const t = head + JSON.stringify(r.message) + (r.status !== undefined ? `,"status":${JSON.stringify(r.status)}` : '');
        text = texts.size < CACHED_MESSAGES ? Buffer.from(t, 'utf8') : t;
        if (typeof text !== 'string') texts.set(r.message, text);
      }
      lastMessage = r.message;
    }
    const bytes = r.line;
    // Room for the worst case: every byte escaped as \u00xx, or base64.
    room(text.length * 3 + bytes.length * 6 + 96);
    if (typeof text === 'string') at += out.write(text, at, 'utf8');
    else {
      out.set(text, at);
      at += text.length;
    }
    // The line goes after `,"line":` when it is UTF-8 (the native escaper checks, and writes it in place).
    const end = escape !== undefined ? escape(bytes, 0, bytes.length, out, at + LINE_KEY.length) : -3;
    if (end >= 0) {
      out.write(LINE_KEY, at, 'latin1');
      at = end;
    } else if (end === -1 || (end === -3 && !isUtf8(bytes))) {
      at += out.write(',"lineBase64":"', at, 'latin1');
      at += out.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), at, 'latin1');
      out[at++] = 0x22;
    } else {
      at += out.write(LINE_KEY, at, 'latin1');
      at += out.write(JSON.stringify(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')), at, 'latin1');
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
