/**
 * The dead-letter store's record format, and its encoding: JSON lines, one object per refused record:
 *   {"time","listener","logType","reason","field","message","line"} plus `status` for sink rejections;
 *   `lineBase64` replaces `line` when the bytes are not valid UTF-8; `length` is added when `line` holds
 *   only the first 64 KiB of an over-long line. `time` is when the record was refused: checked by a worker,
 *   or refused by the output.
 *
 * Used by the workers (records the schema refuses, encoded next to the check) and by the store itself (the
 * rest), so that both write exactly the same lines.
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

/** The JSON object stored for one record. */
function toEntry(r: DeadLetterInput, time: string): Record<string, unknown> {
  const e: Record<string, unknown> = {
    time,
    listener: r.listener,
    logType: r.logType,
    reason: r.reason,
    field: r.field ?? null,
    message: r.message,
  };
  if (r.status !== undefined) e.status = r.status;
  const bytes = Buffer.from(r.line.buffer, r.line.byteOffset, r.line.byteLength);
  if (isUtf8(bytes)) e.line = bytes.toString('utf8');
  else e.lineBase64 = bytes.toString('base64');
  if (r.length !== undefined && (r.length > r.line.byteLength || r.reason === 'line_too_long')) e.length = r.length;
  return e;
}

/** The records as the store's JSON lines, each ending in '\n', all stamped with `time`. */
export function encodeEntries(records: readonly DeadLetterInput[], time: string): Buffer {
  let text = '';
  for (const r of records) text += JSON.stringify(toEntry(r, time)) + '\n';
  return Buffer.from(text, 'utf8');
}
