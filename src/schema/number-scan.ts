/**
 * Decides whether a record that JSON.parse accepted must be re-read with exact numbers (json-exact.ts).
 *
 * Why: JSON.parse turns `288263728720249833` into 288263728720249820 and `6.0` into 6, so a bigint range
 * check, a bigint refusing `6.0`, and a string field keeping a number's literal text all need the source
 * text. Re-parsing every record exactly in JS is several times slower than JSON.parse, so this scan finds
 * the "risky" literals (fraction, exponent, `-0`, more than 15 digits) and reports whether any sits under a
 * top-level key the schema types as something other than float or json. Risky literals under float fields
 * (`"ClientLatitude": 45.000000`, in every LSS record) or unknown keys do not matter and keep the fast path.
 *
 * The scan is one pass over a line already known to be valid JSON. Strings are skipped with indexOf (native
 * speed), so the per-character JS loop only sees structure and numbers.
 */
/**
 * True when `line` (valid JSON whose top level is an object) has a risky number literal anywhere inside the
 * value of a top-level key for which `matters(key)` is true.
 */
export function hasRiskyNumber(line: string, matters: (key: string) => boolean): boolean {
  const n = line.length;
  let i = 0;
  let depth = 0;
  let expectKey = false;
  let keyStart = -1;
  let keyEnd = -1;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = line.indexOf('"', i + 1);
      // An escaped quote has an odd run of backslashes before it; keep looking past it.
      while (line.charCodeAt(j - 1) === 92) {
        let k = j - 1;
        while (line.charCodeAt(k) === 92) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = line.indexOf('"', j + 1);
      }
      if (j < 0) return true; // Cannot happen for valid JSON; the exact path will decide.
      if (expectKey) {
        keyStart = i + 1;
        keyEnd = j;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === 125 || c === 93) {
      depth--;
    } else if (c === 44 /* , */) {
      if (depth === 1) expectKey = true;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      let risky = false;
      i++;
      while (i < n) {
        const d = line.charCodeAt(i);
        if (d >= 48 && d <= 57) i++;
        else if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) {
          risky = true;
          i++;
        } else break;
      }
      // Same rule as isCanonicalNumberText, inlined so the common literal costs no string slice.
      if (c === 45 && (line.charCodeAt(start + 1) === 48 || i - start > 16)) risky = true;
      else if (c !== 45 && i - start > 15) risky = true;
      if (risky) {
        let key = line.slice(keyStart, keyEnd);
        if (key.includes('\\')) key = JSON.parse(`"${key}"`) as string;
        if (matters(key)) return true;
      }
      continue;
    }
    i++;
  }
  return false;
}
