/**
 * Compiles a field's `timeFormats` list into two parsers tried in the listed order: one for string values
 * and one for numbers (only the unix formats take numbers; a list without one refuses numbers).
 */
import { parseRfc3339 } from './time-rfc3339.js';
import { compileStrftime } from './time-strftime.js';
import { compileUnix } from './time-unix.js';
import type { UnixFormat } from './time-unix.js';

/** The compiled parsers; each returns true and fills `lastTime` when some format accepts the value. */
export interface TimeParsers {
  readonly parseString: (s: string) => boolean;
  /** Takes the number's literal text; undefined when no format accepts numbers. */
  readonly parseNumberText: ((text: string) => boolean) | undefined;
}

function isUnix(f: string): f is UnixFormat {
  return f === 'unix' || f === 'unix_ms' || f === 'unix_us' || f === 'unix_ns';
}

/** Compiles `formats` (already validated). */
export function compileTimeFormats(formats: readonly string[]): TimeParsers {
  const stringParsers = formats.map((f): ((s: string) => boolean) => {
    if (f === 'rfc3339') return parseRfc3339;
    if (isUnix(f)) return compileUnix(f);
    return compileStrftime(f);
  });
  const numberParsers = formats.filter(isUnix).map(compileUnix);
  // The common case is a single format: return it directly so a check is one call, not a loop.
  const parseString =
    stringParsers.length === 1
      ? stringParsers[0]!
      : (s: string): boolean => {
          for (let i = 0; i < stringParsers.length; i++) if (stringParsers[i]!(s)) return true;
          return false;
        };
  const parseNumberText =
    numberParsers.length === 0
      ? undefined
      : (t: string): boolean => {
          for (let i = 0; i < numberParsers.length; i++) if (numberParsers[i]!(t)) return true;
          return false;
        };
  return { parseString, parseNumberText };
}
