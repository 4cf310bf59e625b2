/**
 * Calendar arithmetic shared by the time parsers. Pure integer math instead of `Date.UTC`: a User Activity
 * record carries about 15 timestamps, and building Date objects for each was the largest cost of the
 * timestamp checks (see bench/schema/engine.bench.ts). Out-of-range parts are normalised the way Go's
 * `time.Date` does it (month 13 is January of the next year, day 0 the last day of the previous month).
 */

/** The largest |milliseconds| a JS Date can represent; instants beyond it are refused as bad timestamps. */
export const MAX_DATE_MS = 8.64e15;

/** Days from 1970-01-01 to year-month-day (proleptic Gregorian; month 1-12, any day). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil, valid for every year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** True for Gregorian leap years. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Milliseconds since the epoch for a wall-clock reading in a zone `offsetSeconds` east of UTC, with Go
 * `time.Date` normalisation of every part. Nanoseconds below the millisecond are the caller's business.
 */
export function civilToMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nanos: number,
  offsetSeconds: number,
): number {
  const m0 = month - 1;
  const yearCarry = Math.floor(m0 / 12);
  const days = daysFromCivil(year + yearCarry, m0 - yearCarry * 12 + 1, 1) + (day - 1);
  return (days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds) * 1000 + Math.floor(nanos / 1e6);
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/**
 * Panther's text form of a timestamp, `YYYY-MM-DD HH:MM:SS.fffffffff` in UTC (nine fraction digits, as in
 * Panther's normalized output and `p_event_time`/`p_parse_time`).
 */
export function formatPantherTime(ms: number, subMsNanos = 0): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const yearText = year < 0 ? '-' + pad(-year, 4) : pad(year, 4);
  return (
    `${yearText}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.` +
    pad(d.getUTCMilliseconds(), 3) +
    pad(subMsNanos, 6)
  );
}
