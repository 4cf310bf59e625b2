/**
 * Records/s per core of the two batch engines (workers/engines/) on User Activity records shaped like the
 * LSS template, checked the way the worker does it: whole batches, one checkBatch call each.
 * Run: `npm run bench:engines [-- records [batchLines]]` (defaults: 100000 records, 500 lines per batch).
 * Prints each engine's best-of-5 rate, for records the schema accepts (numeric Policy IDs) and for records
 * it rejects at Policy (a rule name, as real LSS sends), in 'auto' mode too, and the simdjson/reference
 * ratio. Single thread: the rate is per core. Each batch's unknown fields (fields the schema lacks, which
 * the generated records carry as real LSS does: the PRA fields) are counted after the check, as the worker
 * counts them (workers/unknown-field-tally.ts), so the rates include that cost.
 */
import { createRequire } from 'node:module';
import { createEngine, simdjsonUnavailableReason } from '../../workers/engines/create-engine.js';
import type { BatchEngine } from '../../workers/engines/engine-types.js';
import { LINE_ACCEPTED } from '../../workers/engines/engine-types.js';
import { loadNativeAddon } from '../../workers/engines/native-addon.js';
import { UnknownFieldTally } from '../../workers/unknown-field-tally.js';
import { LssGenerator } from '../lss/generate.js';

const COUNT = Number(process.argv[2] ?? 100_000);
const BATCH_LINES = Number(process.argv[3] ?? 500);
const ROUNDS = 5;
const UA = 'Zscaler.ZPA.UserActivity';

/** Newline-framed batches of `lines`, as the main thread hands them to the workers. */
function batches(lines: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i += BATCH_LINES) out.push(Buffer.from(lines.slice(i, i + BATCH_LINES).join('\n') + '\n'));
  return out;
}

/** Best-of-ROUNDS records/s of `engine` over `data`. */
function rate(engine: BatchEngine, data: readonly Buffer[], logType: string, records: number): number {
  let best = Infinity;
  let sink = 0;
  const tally = new UnknownFieldTally();
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (const b of data) {
      const v = engine.checkBatch(b, logType, 1 << 20);
      const unknown = tally.batch(v.unknownSets);
      for (let i = 0; i < v.count; i++) if (v.status[i] === LINE_ACCEPTED) unknown.add(v.unknownSet[i]!);
      unknown.counts();
      sink += v.count;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  if (sink !== records * ROUNDS) throw new Error(`checked ${sink} lines, expected ${records * ROUNDS}`);
  return records / best;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10);

const gen = new LssGenerator(42);
const accepted = Array.from({ length: COUNT }, () => gen.userActivity());
const genNamed = new LssGenerator(42, { policyNameShare: 1 });
const named = Array.from({ length: COUNT }, () => genNamed.userActivity());
const avg = accepted.reduce((n, l) => n + Buffer.byteLength(l), 0) / COUNT;
const reference = await createEngine('reference');
const problem = simdjsonUnavailableReason();
const simd = problem === undefined ? await createEngine('simdjson') : undefined;
const info = loadNativeAddon().addon?.info();
console.log(
  `node ${process.version}, ${COUNT} User Activity records (average ${Math.round(avg)} bytes), ${BATCH_LINES} lines per batch, best of ${ROUNDS}, one core` +
    (info ? `; simdjson ${info.simdjson} (walk: ${info.implementation} kernel, stage 1: ${info.stage1})` : `; simdjson engine unavailable: ${problem}`),
);
const cases: Array<[string, readonly string[], string]> = [
  ['accepted records, logType UserActivity', accepted, UA],
  ["accepted records, logType 'auto'", accepted, 'auto'],
  ['Policy names (rejected), logType UserActivity', named, UA],
  ["Policy names (rejected), logType 'auto'", named, 'auto'],
];
for (const [label, lines, logType] of cases) {
  const data = batches(lines);
  const ref = rate(reference, data, logType, lines.length);
  let line = `${label.padEnd(48)} reference ${fmt(ref)} records/s`;
  if (simd !== undefined) {
    const fast = rate(simd, data, logType, lines.length);
    line += `   simdjson ${fmt(fast)} records/s   ratio ${(fast / ref).toFixed(2)}x`;
  }
  console.log(line);
}

// For scale: what SIMD validation alone costs, with the npm `simdjson` package's isValid (a validity bit per
// line, no field checks), and JSON.parse building the object the reference engine then checks.
const { isValid } = createRequire(import.meta.url)('simdjson') as { isValid(text: string): boolean };
const floors: Array<[string, (l: string) => boolean]> = [
  ['npm simdjson isValid per line (no checks)', (l) => isValid(l)],
  ['JSON.parse per line (no checks)', (l) => JSON.parse(l) !== null],
];
for (const [label, fn] of floors) {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (const l of accepted) if (!fn(l)) throw new Error('invalid line');
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(`${label.padEnd(48)}           ${fmt(COUNT / best)} records/s`);
}
