/**
 * Panther's `rfc3339` time format: Go's `time.Parse(time.RFC3339Nano, s)`. A zone is mandatory (`Z` or
 * `±hh:mm`), the `T` and `Z` are upper case, a fraction of any length may follow the seconds (`.` or `,`,
 * digits beyond nine are ignored), and each part must be in range (no normalisation, unlike strftime).
 * Hand-written char-code parsing: this runs for about 15 fields of every User Activity record.
 */
import { lastTime } from './check-codes.js';
import { civilToMs, daysInMonth } from './time-civil.js';

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Parses `s`; on success leaves the instant in `lastTime` and returns true. */
export function parseRfc3339(s: string): boolean {
  const l = s.length;
  if (l < 20) return false;
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  if (y1 < 0 || y2 < 0) return false;
  const year = y1 * 100 + y2;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 /* T */) return false;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  let nanos = 0;
  const sep = s.charCodeAt(i);
  if (sep === 46 /* . */ || sep === 44 /* , */) {
    i++;
    const start = i;
    let scale = 1e8;
    while (i < l) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (scale >= 1) {
        nanos += c * scale;
        scale /= 10;
      }
      i++;
    }
    if (i === start) return false;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */) {
    if (i + 1 !== l) return false;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== l || s.charCodeAt(i + 3) !== 58) return false;
    const oh = d2(s, i + 1);
    const om = d2(s, i + 4);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    offset = (oh * 60 + om) * 60 * (z === 45 ? -1 : 1);
  } else {
    return false;
  }
  lastTime.ms = civilToMs(year, month, day, hour, minute, second, nanos, offset);
  lastTime.subMsNanos = nanos % 1e6;
  return true;
}
