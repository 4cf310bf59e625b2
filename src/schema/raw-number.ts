/**
 * A JSON number literal kept as its source text. The exact parser (json-exact.ts) produces one for every
 * literal whose text a float64 cannot round-trip: a fraction or exponent, `-0`, or more than 15 digits.
 * Coercions read `text` so that int64 ranges and the literal text of numbers held by string fields are exact.
 */
export class RawNumber {
  /** The literal exactly as it appears in the record, e.g. `288263728720249833` or `45.000000`. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  /** The nearest float64; exact only for literals a float64 can hold. */
  valueOf(): number {
    return Number(this.text);
  }
}

/**
 * True when the literal `text` (already known to be a valid JSON number) prints back identically from the
 * float64 JSON.parse gives: an integer of at most 15 digits (always below 2^53) and not `-0`.
 * Everything else is "risky" and must be read from the source text.
 */
export function isCanonicalNumberText(text: string): boolean {
  const n = text.length;
  let i = 0;
  if (text.charCodeAt(0) === 45 /* - */) {
    if (text.charCodeAt(1) === 48 /* 0 */) return false;
    i = 1;
  }
  if (n - i > 15) return false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
