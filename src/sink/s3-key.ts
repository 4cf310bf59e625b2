/**
 * Object keys of the S3 output: `<prefix>/<logType>/<yyyy>/<mm>/<dd>/<HH>/<uuid>.json.gz`.
 *
 * A folder per log type lets one Panther S3 source map each prefix to its schema; the hour folders (UTC of
 * the object's creation) keep listings small and let a lifecycle rule or an Athena partition work by date.
 * The uuid makes keys unique across relays writing to one bucket, so no coordination is needed.
 */
import { randomUUID } from 'node:crypto';

/** File extension of an object, by compression. */
export function objectExtension(compression: 'gzip' | 'zstd'): string {
  return compression === 'zstd' ? '.json.zst' : '.json.gz';
}

/** The prefix as it appears in keys: slashes at either end removed, so `""`, `"/"` and `"zpa/"` all work. */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** The key of a new object of `logType` created at `at`; no leading slash when the prefix is empty. */
export function objectKey(prefix: string, logType: string, at: Date, extension: string, id: string = randomUUID()): string {
  const p = normalizePrefix(prefix);
  const yyyy = String(at.getUTCFullYear()).padStart(4, '0');
  const mm = pad2(at.getUTCMonth() + 1);
  const dd = pad2(at.getUTCDate());
  const hh = pad2(at.getUTCHours());
  const path = `${logType}/${yyyy}/${mm}/${dd}/${hh}/${id}${extension}`;
  return p === '' ? path : `${p}/${path}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
