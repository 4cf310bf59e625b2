/**
 * Repairs for two known ways LSS output reaches us as something other than one JSON object per line.
 * Each is switchable; the engine reports which ones changed a line so the relay can count them.
 * - `syslog_pri`: a syslog hop prepends `<PRI>` (`<111>{...}`); the prefix is removed.
 * - `empty_list`: the old User Status template printed an empty list as nothing (`"TrustedNetworks": ,`),
 *   which is invalid JSON; a value that is missing before `,` or `}` becomes `[]`. Only tried when the line
 *   does not parse, and only outside strings.
 */

/** The switches, both on by default. */
export interface RepairOptions {
  stripSyslogPri: boolean;
  emptyListToArray: boolean;
}

/** The name a repair is reported under. */
export type RepairName = 'syslog_pri' | 'empty_list';

/** Returns the length of a leading `<N>` (1-3 digits) syslog priority, or 0 when there is none. */
export function syslogPriLength(line: string): number {
  if (line.charCodeAt(0) !== 60 /* < */) return 0;
  let i = 1;
  while (i < line.length && i <= 3) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i > 1 && line.charCodeAt(i) === 62 /* > */ ? i + 1 : 0;
}

/**
 * Rewrites every empty value (`:` then optional spaces/tabs, then `,` or `}`) outside strings into `[]`.
 * Returns undefined when there is none, so callers know nothing changed.
 */
export function repairEmptyLists(line: string): string | undefined {
  const n = line.length;
  let out: string[] | undefined;
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = line.indexOf('"', i + 1);
      while (j > 0 && line.charCodeAt(j - 1) === 92) {
        let k = j - 1;
        while (line.charCodeAt(k) === 92) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = line.indexOf('"', j + 1);
      }
      if (j < 0) break; // Unterminated string: nothing after it is outside a string.
      i = j + 1;
      continue;
    }
    if (c === 58 /* : */) {
      let k = i + 1;
      while (k < n && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
      const next = line.charCodeAt(k);
      if (next === 44 /* , */ || next === 125 /* } */) {
        (out ??= []).push(line.slice(copied, k), '[]');
        copied = k;
      }
      i = k;
      continue;
    }
    i++;
  }
  if (out === undefined) return undefined;
  out.push(line.slice(copied));
  return out.join('');
}
