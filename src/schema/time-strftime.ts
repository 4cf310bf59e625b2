/**
 * strftime parsing with the behaviour of itchyny/timefmt-go's `Parse`, which Panther uses for every
 * timeFormat that is not a built-in. The format is compiled once into a list of operations; parsing a value
 * walks that list without allocating. Behaviour kept from timefmt-go, on purpose:
 * - numbers read 1..N digits (`%d` 1-2, `%Y` 1-4); `%e`, `%k`, `%l` first skip one optional space;
 * - `%a %A %b %B %p` match names case-insensitively; `%a`/`%b` know only the three-letter names
 *   ("August" fails `%b` at "ust"), `%A`/`%B` only the full names;
 * - the weekday is read and ignored (no consistency check), as timefmt-go does;
 * - no `%z`/`%Z` means UTC; `%Z` takes an abbreviation with a zero offset (Go's rule for unknown names);
 * - `%t`/`%n` need at least one whitespace character and take all of them;
 * - input left over after the format is an error ("unconverted string");
 * - out-of-range parts are normalised like Go's `time.Date` (Feb 30 is Mar 2), not refused.
 */
import { civilToMs, MAX_DATE_MS, daysFromCivil } from './time-civil.js';
import { lastTime } from './check-codes.js';

/**
 * The operations a format compiles to. Their numbers are also the wire format of the native checker's plan
 * (workers/engines/native-plan.ts passes them through; native/src/time_parse.cc `enum Op` has the same order).
 */
const enum Op {
  Literal,
  Year4,
  Year2,
  Century,
  YearG2,
  YearG4,
  Month,
  MonthLong,
  MonthShort,
  WeekLong,
  WeekShort,
  WeekdayW,
  WeekdayU,
  WeekNumber,
  DayE,
  DayD,
  YearDay,
  HourK,
  HourH,
  HourL,
  HourI,
  AmPm,
  Minute,
  Second,
  UnixSeconds,
  Micro,
  ZoneName,
  ZoneOffset,
  Space,
}

const DIRECTIVES: Record<string, Op> = {
  Y: Op.Year4,
  y: Op.Year2,
  C: Op.Century,
  g: Op.YearG2,
  G: Op.YearG4,
  m: Op.Month,
  B: Op.MonthLong,
  b: Op.MonthShort,
  h: Op.MonthShort,
  A: Op.WeekLong,
  a: Op.WeekShort,
  w: Op.WeekdayW,
  u: Op.WeekdayU,
  V: Op.WeekNumber,
  U: Op.WeekNumber,
  W: Op.WeekNumber,
  e: Op.DayE,
  d: Op.DayD,
  j: Op.YearDay,
  k: Op.HourK,
  H: Op.HourH,
  l: Op.HourL,
  I: Op.HourI,
  p: Op.AmPm,
  P: Op.AmPm,
  M: Op.Minute,
  S: Op.Second,
  s: Op.UnixSeconds,
  f: Op.Micro,
  Z: Op.ZoneName,
  z: Op.ZoneOffset,
  t: Op.Space,
  n: Op.Space,
};

/** timefmt-go's compositions: a directive standing for a sequence (letters are directives, others literal). */
const COMPOSITIONS: Record<string, string> = {
  c: 'a b e H:M:S Y',
  '+': 'a b e H:M:S Z Y',
  F: 'Y-m-d',
  D: 'm/d/y',
  x: 'm/d/y',
  v: 'e-b-Y',
  T: 'H:M:S',
  X: 'H:M:S',
  r: 'I:M:S p',
  R: 'H:M',
};

const SHORT_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const SHORT_WEEK = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_WEEK = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const AM_PM = ['AM', 'PM'];

/** A compiled format: one operation per step, with the byte a Literal step matches. */
export interface CompiledStrftime {
  readonly ops: Op[];
  readonly literals: number[];
}

/** Compiles `format` into operations, or says why it cannot be (a stray "%", an unknown directive). */
export function compileStrftimeOps(format: string): CompiledStrftime | string {
  const ops: Op[] = [];
  const literals: number[] = [];
  const push = (op: Op, lit = 0): void => {
    ops.push(op);
    literals.push(lit);
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      push(Op.Literal, format.charCodeAt(i));
      continue;
    }
    i++;
    if (i === format.length) return 'stray "%" at the end';
    const d = format[i]!;
    if (d === '%') {
      push(Op.Literal, 37);
      continue;
    }
    const seq = COMPOSITIONS[d];
    if (seq !== undefined) {
      for (const c of seq) {
        const op = DIRECTIVES[c];
        if (op !== undefined && /[A-Za-z]/.test(c)) push(op);
        else push(Op.Literal, c.charCodeAt(0));
      }
      continue;
    }
    const op = Object.hasOwn(DIRECTIVES, d) ? DIRECTIVES[d] : undefined;
    if (op === undefined) return `unexpected directive "%${d}"`;
    push(op);
  }
  return { ops, literals };
}

/** Why `format` cannot be used, or undefined when it compiles. */
export function strftimeProblem(format: string): string | undefined {
  const c = compileStrftimeOps(format);
  return typeof c === 'string' ? c : undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Scratch for readNumber's value (avoids returning a tuple per number). */
let numValue = 0;

/** Reads 1..max digits at j; returns the index after them, or -1 when there is no digit at j. */
function readNumber(s: string, j: number, max: number): number {
  if (j >= s.length || !isDigit(s.charCodeAt(j))) return -1;
  let v = 0;
  const end = Math.min(s.length, j + max);
  let i = j;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) break;
    v = v * 10 + (c - 48);
  }
  numValue = v;
  return i;
}

/** Case-insensitive name lookup the way timefmt-go does it: first candidate that prefixes s at j. */
function lookup(s: string, j: number, names: readonly string[]): number {
  outer: for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    if (j + name.length > s.length) continue;
    for (let k = 0; k < name.length; k++) {
      const x = name.charCodeAt(k);
      const y = s.charCodeAt(j + k);
      if (x !== y && (x | 0x20) !== (y | 0x20)) continue outer;
    }
    numValue = n + 1;
    return j + name.length;
  }
  return -1;
}

/** Go's parseTimeZone acceptance for what `%Z` collected (upper-case letters only). */
function zoneAbbrevOk(z: string): boolean {
  if (z === 'UTC' || z === 'GMT') return true;
  if (z.length === 3) return true;
  if (z.length === 4) return z[3] === 'T' || z === 'WITA';
  if (z.length === 5) return z[4] === 'T';
  return false;
}

/**
 * Compiles `format` into a parser. The parser returns true and leaves the instant in `lastTime` on success.
 * Throws on an invalid format (the validator reports those before compiling).
 */
export function compileStrftime(format: string): (s: string) => boolean {
  const c = compileStrftimeOps(format);
  if (typeof c === 'string') throw new Error(`invalid strftime format ${JSON.stringify(format)}: ${c}`);
  const { ops, literals } = c;
  const n = ops.length;
  return (s: string): boolean => {
    let year = 1900;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let nanos = 0;
    let offset = 0;
    let century = 0;
    let yday = 0;
    let pm = false;
    let j = 0;
    const l = s.length;
    for (let i = 0; i < n; i++) {
      switch (ops[i]) {
        case Op.Literal:
          if (j >= l || s.charCodeAt(j) !== literals[i]) return false;
          j++;
          break;
        case Op.Year4:
          if ((j = readNumber(s, j, 4)) < 0) return false;
          year = numValue;
          break;
        case Op.Year2:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          year = numValue < 69 ? numValue + 2000 : numValue + 1900;
          break;
        case Op.Century:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          century = numValue;
          break;
        case Op.YearG2:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          year = numValue + 2000;
          break;
        case Op.YearG4:
          if ((j = readNumber(s, j, 4)) < 0) return false;
          year = numValue;
          break;
        case Op.Month:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          month = numValue;
          break;
        case Op.MonthLong:
          if ((j = lookup(s, j, LONG_MONTHS)) < 0) return false;
          month = numValue;
          break;
        case Op.MonthShort:
          if ((j = lookup(s, j, SHORT_MONTHS)) < 0) return false;
          month = numValue;
          break;
        case Op.WeekLong:
          if ((j = lookup(s, j, LONG_WEEK)) < 0) return false;
          break;
        case Op.WeekShort:
          if ((j = lookup(s, j, SHORT_WEEK)) < 0) return false;
          break;
        case Op.WeekdayW: {
          const ch = s.charCodeAt(j);
          if (j >= l || ch < 48 || ch > 54) return false;
          j++;
          break;
        }
        case Op.WeekdayU: {
          const ch = s.charCodeAt(j);
          if (j >= l || ch < 49 || ch > 55) return false;
          j++;
          break;
        }
        case Op.WeekNumber:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          break;
        case Op.DayE:
          if (j < l && s.charCodeAt(j) === 32) j++;
          if ((j = readNumber(s, j, 2)) < 0) return false;
          day = numValue;
          break;
        case Op.DayD:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          day = numValue;
          break;
        case Op.YearDay:
          if ((j = readNumber(s, j, 3)) < 0) return false;
          yday = numValue;
          break;
        case Op.HourK:
          if (j < l && s.charCodeAt(j) === 32) j++;
          if ((j = readNumber(s, j, 2)) < 0) return false;
          hour = numValue;
          break;
        case Op.HourH:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          hour = numValue;
          break;
        case Op.HourL:
          if (j < l && s.charCodeAt(j) === 32) j++;
          if ((j = readNumber(s, j, 2)) < 0) return false;
          hour = numValue === 12 ? 0 : numValue;
          break;
        case Op.HourI:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          hour = numValue === 12 ? 0 : numValue;
          break;
        case Op.AmPm:
          if ((j = lookup(s, j, AM_PM)) < 0) return false;
          pm = numValue === 2;
          break;
        case Op.Minute:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          minute = numValue;
          break;
        case Op.Second:
          if ((j = readNumber(s, j, 2)) < 0) return false;
          second = numValue;
          break;
        case Op.UnixSeconds: {
          if ((j = readNumber(s, j, 10)) < 0) return false;
          const d = new Date(numValue * 1000);
          year = d.getUTCFullYear();
          month = d.getUTCMonth() + 1;
          day = d.getUTCDate();
          hour = d.getUTCHours();
          minute = d.getUTCMinutes();
          second = d.getUTCSeconds();
          break;
        }
        case Op.Micro: {
          const start = j;
          if ((j = readNumber(s, j, 6)) < 0) return false;
          let v = numValue * 1000;
          for (let k = j - start; k < 6; k++) v *= 10;
          nanos = v;
          break;
        }
        case Op.ZoneName: {
          let k = j;
          while (k < l) {
            const ch = s.charCodeAt(k);
            if (ch < 65 || ch > 90) break;
            k++;
          }
          if (!zoneAbbrevOk(s.slice(j, k))) return false;
          offset = 0;
          j = k;
          break;
        }
        case Op.ZoneOffset: {
          if (j + 5 > l) return false;
          const sign = s.charCodeAt(j);
          if (sign !== 43 && sign !== 45) return false;
          for (let k = 1; k < 5; k++) if (!isDigit(s.charCodeAt(j + k))) return false;
          const hh = (s.charCodeAt(j + 1) - 48) * 10 + (s.charCodeAt(j + 2) - 48);
          const mm = (s.charCodeAt(j + 3) - 48) * 10 + (s.charCodeAt(j + 4) - 48);
          offset = (hh * 60 + mm) * 60 * (sign === 45 ? -1 : 1);
          j += 5;
          break;
        }
        case Op.Space: {
          const start = j;
          while (j < l) {
            const ch = s.charCodeAt(j);
            if (ch !== 32 && (ch < 9 || ch > 13)) break;
            j++;
          }
          if (j === start) return false;
          break;
        }
      }
    }
    if (j < l) return false; // timefmt-go: "unconverted string"
    if (pm) hour += 12;
    if (century > 0) year = century * 100 + (year % 100);
    let ms: number;
    if (yday > 0) {
      ms = (daysFromCivil(year, 1, 1) + yday - 1) * 86400000 + civilToMs(1970, 1, 1, hour, minute, second, nanos, offset);
    } else {
      ms = civilToMs(year, month, day, hour, minute, second, nanos, offset);
    }
    if (!(Math.abs(ms) <= MAX_DATE_MS)) return false;
    lastTime.ms = ms;
    lastTime.subMsNanos = nanos % 1e6;
    return true;
  };
}
