/**
 * Records/s per core of the schema engine on User Activity records shaped like the LSS template.
 * Run: `npm run build && node dist/bench/schema/engine.bench.js [records]`.
 * Prints, for the same records: JSON.parse alone (the floor), checkLine with the UserActivity schema
 * (accepted records, numeric Policy IDs), checkLine with 'auto' detection, and checkLine on records with a
 * policy *name* in Policy (what real LSS sends; rejected at Policy, so cheaper).
 */
import { SchemaEngine } from '../../src/schema/engine.js';
import { LssGenerator } from '../lss/generate.js';

const COUNT = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;

function measure(label: string, lines: readonly string[], fn: (line: string) => unknown): void {
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) if (fn(lines[i]!) !== undefined) sink++;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, s);
  }
  const rps = lines.length / best;
  const mbps = bytes / best / 1e6;
  console.log(`${label.padEnd(44)} ${Math.round(rps).toLocaleString('en-US').padStart(10)} records/s  ${mbps.toFixed(1).padStart(7)} MB/s  (${sink > 0 ? 'ok' : '-'})`);
}

const engine = await SchemaEngine.load();
const gen = new LssGenerator(42);
const lines = Array.from({ length: COUNT }, () => gen.userActivity());
const genNamed = new LssGenerator(42, { policyNameShare: 1 });
const named = Array.from({ length: COUNT }, () => genNamed.userActivity());
const avg = lines.reduce((n, l) => n + l.length, 0) / lines.length;
const accepted = lines.filter((l) => engine.checkLine(l, 'Zscaler.ZPA.UserActivity').verdict.status === 'accepted').length;
console.log(`node ${process.version}, ${COUNT} records, average ${Math.round(avg)} bytes, ${accepted} accepted by the schema, best of ${ROUNDS} rounds, one core`);
measure('JSON.parse only (floor)', lines, (l) => JSON.parse(l));
measure('checkLine(UserActivity), accepted records', lines, (l) => engine.checkLine(l, 'Zscaler.ZPA.UserActivity'));
measure("checkLine('auto'), accepted records", lines, (l) => engine.checkLine(l, 'auto'));
measure('checkLine(UserActivity), Policy names', named, (l) => engine.checkLine(l, 'Zscaler.ZPA.UserActivity'));
measure('normalize(UserActivity) (not the hot path)', lines.slice(0, Math.min(lines.length, 50_000)), (l) =>
  engine.normalize(l, 'Zscaler.ZPA.UserActivity'),
);
