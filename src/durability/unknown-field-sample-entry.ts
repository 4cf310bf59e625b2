/**
 * The unknown-field sample's format (the relay writes it, `zpa-relay schema derive` reads it): a directory
 * `<deadLetter.path>/samples/`, one file per log type, `<logType>.jsonl`, one JSON object per sampled record:
 *   {"time":"<ISO>","listener":"<name>","logType":"<type>","fields":["Platform",...],"line":"<the record>"}
 * `fields` are the record's top-level keys its schema lacks (Panther drops them); `line` is the original text
 * as received, or `lineBase64` replaces it when the bytes are not valid UTF-8. Bounds: see
 * src/durability/unknown-field-sample.ts.
 */
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';

/** The sample directory inside the dead-letter store's directory. */
export const SAMPLE_DIR_NAME = 'samples';
/** File name suffix of a log type's sample. */
export const SAMPLE_FILE_SUFFIX = '.jsonl';
/** Log type names that make a safe file name (Panther's own and `Custom.*` names do). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One sampled record, as stored. */
export interface UnknownFieldSampleRecord {
  time: string;
  listener: string;
  logType: string;
  fields: string[];
  line?: string;
  lineBase64?: string;
}

/** The sample directory of a dead-letter store. */
export function sampleDir(deadLetterPath: string): string {
  return join(deadLetterPath, SAMPLE_DIR_NAME);
}

/** The sample file of `logType`, or undefined when the name cannot be a file name. */
export function sampleFileName(logType: string): string | undefined {
  return SAFE_NAME.test(logType) ? logType + SAMPLE_FILE_SUFFIX : undefined;
}

/** One stored line (without its '\n'). */
export function encodeSampleEntry(time: string, listener: string, logType: string, fields: readonly string[], line: Uint8Array): string {
  const bytes = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const e: Record<string, unknown> = { time, listener, logType, fields };
  if (isUtf8(bytes)) e.line = bytes.toString('utf8');
  else e.lineBase64 = bytes.toString('base64');
  return JSON.stringify(e);
}

/** Parses one stored line; undefined when it is not a sample record. */
export function parseSampleEntry(text: string): UnknownFieldSampleRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // A torn last line (the relay was killed mid-append; the sample is not synced): not a record.
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.logType !== 'string' || !Array.isArray(r.fields) || !r.fields.every((f) => typeof f === 'string')) return undefined;
  if (typeof r.line !== 'string' && typeof r.lineBase64 !== 'string') return undefined;
  return r as unknown as UnknownFieldSampleRecord;
}
