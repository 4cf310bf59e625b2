/**
 * Panther's `unix`, `unix_ms`, `unix_us` and `unix_ns` time formats. The value is a JSON number or a
 * numeric string (decimal, optional sign, fraction and exponent). Integer texts are converted exactly
 * (BigInt past 15 digits, because nanosecond epochs have 19); fractional ones through float64, as Go does.
 */
import { lastTime } from './check-codes.js';
import { MAX_DATE_MS } from './time-civil.js';

/** Nanoseconds per unit of each unix format. */
const UNIT_NANOS = { unix: 1e9, unix_ms: 1e6, unix_us: 1e3, unix_ns: 1 } as const;

export type UnixFormat = keyof typeof UNIT_NANOS;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function isIntegerText(t: string): boolean {
  let i = t.charCodeAt(0) === 45 || t.charCodeAt(0) === 43 ? 1 : 0;
  if (i === t.length) return false;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Builds the parser for one unix format; it takes the number's text and fills `lastTime`. */
export function compileUnix(format: UnixFormat): (text: string) => boolean {
  const unitNs = UNIT_NANOS[format];
  const unitNsBig = BigInt(unitNs);
  return (text: string): boolean => {
    if (isIntegerText(text)) {
      if (text.length <= 15) {
        const v = Number(text);
        // Below 2^53 every step here is exact integer arithmetic in float64.
        let ms: number;
        let sub = 0;
        if (unitNs === 1e9) ms = v * 1000;
        else if (unitNs === 1e6) ms = v;
        else {
          const per = 1e6 / unitNs; // units per millisecond: 1000 for us, 1e6 for ns
          ms = Math.floor(v / per);
          sub = (v - ms * per) * unitNs;
        }
        if (!(Math.abs(ms) <= MAX_DATE_MS)) return false;
        lastTime.ms = ms;
        lastTime.subMsNanos = sub;
        return true;
      }
      const total = BigInt(text) * unitNsBig;
      let ms = total / 1000000n;
      let sub = total % 1000000n;
      if (sub < 0n) {
        sub += 1000000n;
        ms -= 1n;
      }
      if (ms > BigInt(MAX_DATE_MS) || ms < -BigInt(MAX_DATE_MS)) return false;
      lastTime.ms = Number(ms);
      lastTime.subMsNanos = Number(sub);
      return true;
    }
    if (!DECIMAL.test(text)) return false;
    const totalNs = Number(text) * unitNs;
    const ms = Math.floor(totalNs / 1e6);
    if (!(Math.abs(ms) <= MAX_DATE_MS)) return false;
    lastTime.ms = ms;
    lastTime.subMsNanos = Math.min(999999, Math.max(0, Math.round(totalNs - ms * 1e6)));
    return true;
  };
}
