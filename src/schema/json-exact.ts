/**
 * A JSON parser that keeps number literals exact: a literal a float64 cannot print back identically
 * (fraction, exponent, `-0`, more than 15 digits) becomes a RawNumber holding its text; every other value is
 * what JSON.parse would give. Iterative (an explicit stack), so 100,000 levels of nesting cost memory, not
 * the call stack.
 *
 * It is the slow path: the engine validates with the native JSON.parse first (far faster) and only comes
 * here when number-scan.ts finds a literal that matters for the schema, or for the normalized view. The
 * input is therefore already known to be valid JSON; malformed input still throws a SyntaxError.
 */
import { RawNumber, isCanonicalNumberText } from './raw-number.js';

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to "__proto__" would change the prototype; JSON.parse defines an own property.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Parses `text` with exact numbers. */
export function parseExact(text: string): unknown {
  const n = text.length;
  let i = 0;
  const containers: Array<Record<string, unknown> | unknown[]> = [];
  const keys: string[] = [];

  const skipWs = (): void => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const bad = (): never => {
    throw new SyntaxError(`invalid JSON at position ${i}`);
  };
  const readString = (): string => {
    // i is at the opening quote. A quote preceded by an odd run of backslashes is escaped.
    const start = i + 1;
    let j = start;
    for (;;) {
      j = text.indexOf('"', j);
      if (j < 0) bad();
      let k = j - 1;
      while (k >= start && text.charCodeAt(k) === 92) k--;
      if (((j - 1 - k) & 1) === 0) break;
      j++;
    }
    i = j + 1;
    let plain = true;
    for (let k = start; k < j; k++) {
      if (text.charCodeAt(k) === 92) {
        plain = false;
        break;
      }
    }
    // Escapes present: let the native parser decode them (it also validates \u sequences).
    return plain ? text.slice(start, j) : (JSON.parse(text.slice(start - 1, j + 1)) as string);
  };

  skipWs();
  for (;;) {
    // Parse one value at i.
    let value: unknown;
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const container: Record<string, unknown> | unknown[] = c === 123 ? {} : [];
      i++;
      skipWs();
      const close = c === 123 ? 125 : 93;
      if (text.charCodeAt(i) === close) {
        i++;
        value = container;
      } else {
        containers.push(container);
        if (c === 123) {
          if (text.charCodeAt(i) !== 34) bad();
          keys.push(readString());
          skipWs();
          if (text.charCodeAt(i) !== 58) bad();
          i++;
          skipWs();
        } else {
          keys.push('');
        }
        continue;
      }
    } else if (c === 34) {
      value = readString();
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      const lit = text.slice(start, i);
      value = isCanonicalNumberText(lit) ? Number(lit) : new RawNumber(lit);
    } else if (text.startsWith('true', i)) {
      i += 4;
      value = true;
    } else if (text.startsWith('false', i)) {
      i += 5;
      value = false;
    } else if (text.startsWith('null', i)) {
      i += 4;
      value = null;
    } else {
      bad();
    }
    // Attach the value to its parent, closing finished containers.
    for (;;) {
      const depth = containers.length;
      if (depth === 0) {
        skipWs();
        if (i !== n) bad();
        return value;
      }
      const parent = containers[depth - 1]!;
      if (Array.isArray(parent)) parent.push(value);
      else setKey(parent, keys[depth - 1]!, value);
      skipWs();
      const d = text.charCodeAt(i);
      if (d === 44 /* , */) {
        i++;
        skipWs();
        if (!Array.isArray(parent)) {
          if (text.charCodeAt(i) !== 34) bad();
          keys[depth - 1] = readString();
          skipWs();
          if (text.charCodeAt(i) !== 58) bad();
          i++;
          skipWs();
        }
        break;
      }
      if (d === (Array.isArray(parent) ? 93 : 125)) {
        i++;
        containers.pop();
        keys.pop();
        value = parent;
        continue;
      }
      bad();
    }
  }
}
