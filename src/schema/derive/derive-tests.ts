/**
 * The schema tests `schema derive` writes beside a derived schema: a handful of the records it was derived
 * from, chosen so that together they show every change (each widened field's refused shapes, each added
 * field), each with the normalized record the derived schema gives, in Panther's schema-test format.
 * Fields whose names look secret (secret, token, password, key) have their text replaced by `[redacted]`,
 * as `dead-letter report` shows them.
 */
import type { SchemaEngine } from '../engine.js';
import { serializeNormalized } from '../engine.js';
import { parseExact } from '../json-exact.js';
import type { SchemaTestToWrite } from '../schema-tests.js';
import { shapeOf } from './value-shapes.js';
import type { AddedField, DeriveRecord, FieldChange } from './derive-schema.js';

const MAX_TESTS = 5;
const SECRET_NAME = /secret|token|password|key/i;
const REDACTED = '[redacted]';

/** The record with secret-looking string fields redacted; the original text when it has none (exact bytes kept). */
export function redactRecord(text: string): string {
  let obj: Record<string, unknown>;
  try {
    obj = parseExact(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  let changed = false;
  for (const k of Object.keys(obj)) {
    if (SECRET_NAME.test(k) && typeof obj[k] === 'string' && obj[k] !== '') {
      obj[k] = REDACTED;
      changed = true;
    }
  }
  return changed ? serializeNormalized(obj) : text;
}

/**
 * Picks up to MAX_TESTS records that between them show every change (greedy: each pick covers the most
 * features not yet shown), and writes each as a test with its normalized result.
 */
export function deriveTests(
  records: readonly DeriveRecord[],
  engine: SchemaEngine,
  name: string,
  changed: readonly FieldChange[],
  added: readonly AddedField[],
): SchemaTestToWrite[] {
  const candidates: Array<{ text: string; features: Set<string> }> = [];
  for (const r of records) {
    const input = redactRecord(r.text);
    if (engine.checkLine(input, name).verdict.status !== 'accepted') continue;
    let obj: Record<string, unknown>;
    try {
      obj = parseExact(input) as Record<string, unknown>;
    } catch {
      continue;
    }
    const features = new Set<string>();
    for (const c of changed) if (c.field in obj) features.add(`${c.field}:${shapeOf(obj[c.field])}`);
    for (const a of added) {
      const v = obj[a.field];
      if (v !== undefined && v !== null && v !== '') features.add(`+${a.field}`);
    }
    candidates.push({ text: input, features });
    if (candidates.length >= 10_000) break; // enough to choose from; the rest shows nothing new in practice
  }
  const shown = new Set<string>();
  const picked: Array<{ text: string; features: Set<string> }> = [];
  while (picked.length < MAX_TESTS && candidates.length > 0) {
    let best = -1;
    let bestGain = 0;
    candidates.forEach((c, i) => {
      let gain = 0;
      for (const f of c.features) if (!shown.has(f)) gain++;
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    });
    if (best < 0) break;
    const [c] = candidates.splice(best, 1);
    for (const f of c!.features) shown.add(f);
    picked.push(c!);
  }
  if (picked.length === 0 && candidates.length > 0) picked.push(candidates[0]!);

  return picked.map((c, i) => {
    const { record } = engine.normalize(c.text, name);
    const shows = [...c.features].map((f) => (f.startsWith('+') ? f.slice(1) : f.replace(/:.*/, ` as ${f.slice(f.indexOf(':') + 1).replace(/_/g, ' ')}`)));
    const summary = shows.length === 0 ? 'a record as received' : shows.length > 4 ? `${shows.slice(0, 4).join(', ')} and ${shows.length - 4} more` : shows.join(', ');
    return { name: `${name} ${i + 1}: ${summary}`, logType: name, input: c.text, result: serializeNormalized(record) };
  });
}
