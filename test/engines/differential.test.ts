/**
 * The simdjson engine against the reference engine: identical verdict, reason, field, log type, rejection
 * message and event time on every record of test/fixtures/lss and of ../shared/samples (where it is
 * beside the clone), on a matrix of every fixture value under every Panther type and
 * time format, and on generated and mutated LSS records (DIFF_RECORDS, default 100,000). Requires the native
 * addon: on a machine where `npm install` could not build it, this test fails, on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, SAMPLES_DIR, SAMPLES_MISSING } from '../helpers/repo.js';
import { createEngine } from '../../workers/engines/create-engine.js';
import type { ReferenceEngine } from '../../workers/engines/reference-engine.js';
import { SimdjsonEngine } from '../../workers/engines/simdjson-engine.js';
import { DiffStats, compareEngines } from './compare.js';
import { RAW_VALUES, fixtureSchemas } from './fixtures.js';
import { RecordMutator } from './mutate.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { LINE_ACCEPTED, type BatchEngine } from '../../workers/engines/engine-types.js';
import { OTHER_FIELD, UnknownFieldTally, type UnknownFieldCount } from '../../workers/unknown-field-tally.js';

const RECORDS = Number(process.env['DIFF_RECORDS'] ?? 100_000);

async function engines(source: Parameters<typeof createEngine>[1] = {}): Promise<{ simd: SimdjsonEngine; ref: ReferenceEngine }> {
  const simd = await createEngine('simdjson', source);
  assert.ok(simd instanceof SimdjsonEngine);
  return { simd, ref: simd.reference };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.log') ? [p] : [];
  });
}

function report(label: string, s: DiffStats): void {
  console.log(
    `${label}: ${s.lines} lines (${s.accepted} accepted, ${s.rejected} rejected), ${s.decided} decided natively, ${s.delegated} delegated; ` +
      `${s.worded} native rejections worded by the simdjson engine, ${s.wordedByReference} by the reference`,
  );
  assert.deepEqual(s.mismatches, [], `${label}: the engines differ`);
}

/** Every record of a directory of .log files, under its own and every other log type and auto. */
async function compareRecords(label: string, dir: string, fewest: number): Promise<void> {
  const { simd, ref } = await engines();
  const lines = files(dir).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0));
  assert.ok(lines.length >= fewest, `found ${lines.length} lines in ${dir}`);
  const stats = new DiffStats();
  for (const lt of ['auto', ...ref.logTypes]) compareEngines(simd, ref, lines, lt, stats);
  report(label, stats);
  assert.ok(stats.decided > stats.lines / 2, 'most lines are decided natively');
}

test('every record of test/fixtures/lss, under its own and every other log type and auto', { timeout: 60_000 }, () => compareRecords('fixtures/lss', FIXTURES_DIR, 20));

test('every sample line, under its own and every other log type and auto', { timeout: 60_000, skip: SAMPLES_MISSING }, () => compareRecords('samples', SAMPLES_DIR, 20));

test('fixture matrix: every value under every type, time format and nesting, required or not', { timeout: 60_000 }, async () => {
  const { simd, ref } = await engines({ sources: fixtureSchemas() });
  const lines: string[] = [];
  for (const v of RAW_VALUES) {
    lines.push(`{"f": ${v}}`, `{"f": ${v}, "g": "2020-01-01T00:00:00Z"}`, `{"g": ${v}, "f": ${v}}`, `{"f": ${v}, "f": "x"}`, `{"f": "x", "f": ${v}}`);
    lines.push(`{"constructor": ${v}, "__proto__": ${v}}`, `{"f": [${v}, ${v}]}`, `{"f": {"Inner": ${v}, "n": ${v}}}`);
    lines.push(`{"f": [{"Inner": ${v}, "deep": [{"x": ${v}}]}]}`, `{"f":${v}}`, ` {"f" : ${v} } `, `{"\\u0066": ${v}}`);
  }
  lines.push('{}', '[]', '"x"', '1', 'null', '{"f": 1} {"f": 2}', '{"f": 1,}', '{"f": tru}', '{"f": 01}', '{"f": "a\tb"}', '{"f": .5}', '{"f": 1.}');
  // Control bytes: tab and CR are whitespace between tokens; any other one, and any inside a string, is refused.
  for (const c of ['\t', '\r', '\u0000', '\u0001', '\u000b', '\u001f']) {
    lines.push(`{"f":${c}1,${c}"g"${c}:${c}"2020-01-01T00:00:00Z"${c}}`, `${c}{"f": "x"}${c}`, `{"f": 1${c}}`, `{"f": "x"${c}}`);
    lines.push(`{"f": tr${c}ue}`, `{"f": nul${c}l}`, `{"f": "a${c}b"}`, `{"f${c}": 1}`, `{"h": [1${c}, "${c}"], "f": 1}`, `{"h": 1${c}2, "f": 1}`);
  }
  const stats = new DiffStats();
  for (const lt of ref.logTypes) compareEngines(simd, ref, lines, lt, stats);
  compareEngines(simd, ref, lines, 'auto', stats);
  report('fixtures', stats);
  assert.ok(stats.decided > stats.lines * 0.9, 'the matrix is decided natively, not delegated');
});

test(`${RECORDS} generated and mutated records, typed and auto`, { timeout: 120_000 }, async () => {
  const { simd, ref } = await engines();
  const mut = new RecordMutator(20_251_128);
  const stats = new DiffStats();
  const plain = new DiffStats();
  const BATCH = 500;
  let fed = 0;
  for (let done = 0; done < RECORDS; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, RECORDS - done) }, () => mut.next());
    fed += batch.length;
    // Half the batches under auto-detection, the rest under each log type in turn.
    const lt = (done / BATCH) % 2 === 0 ? 'auto' : ref.logTypes[Math.floor(done / BATCH / 2) % ref.logTypes.length]!;
    compareEngines(simd, ref, batch, lt, stats);
    if (stats.mismatches.length >= 20) break;
  }
  for (let i = 0; i < 10; i++) compareEngines(simd, ref, Array.from({ length: 100 }, () => mut.plain()), 'auto', plain);
  report('generated+mutated', stats);
  report('generated, unmutated', plain);
  assert.equal(plain.delegated, 0, 'well-formed LSS records never need the reference engine');
  // Truncation to nothing leaves an empty line, which both engines skip: fewer lines than records.
  assert.equal(fed, RECORDS);
  assert.ok(stats.lines > RECORDS * 0.99, `compared ${stats.lines} lines`);
});

// Pins the fixed-shape fast paths of native/src/time_parse.cc (parseRfc3339Millis, parseAsctime): every
// one-byte change, deletion and insertion around the shapes they read, and the range edges, must give the
// reference's verdict and event time, whether the fast path takes the text or leaves it to the general parser.
test('timestamp fast paths: the LSS shapes and every one-byte change of them', async () => {
  const { simd, ref } = await engines({ sources: fixtureSchemas() });
  const bases = [
    '2019-05-30T08:20:42.230Z', '2020-02-29T23:59:59.999Z', '2019-02-28T00:00:00.000Z', '0000-01-01T00:00:00.000Z',
    '0000-03-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2000-02-29T12:00:00.500Z',
    'Thu Oct  7 10:40:00 2021', 'Mon Oct 17 10:40:00 2021', 'Sun Feb 29 23:59:59 2021', 'Sat Jan 00 00:00:00 0000',
    'Fri Dec 99 99:99:99 9999', 'tHU oCT 07 10:40:00 2021',
  ];
  const edges = [
    ...['00', '01', '12', '13', '19', '99'].map((m) => `2019-${m}-10T08:20:42.230Z`),
    ...['00', '28', '29', '30', '31', '32'].flatMap((d) => [`2019-02-${d}T08:20:42.230Z`, `2024-02-${d}T08:20:42.230Z`, `1900-02-${d}T00:00:00.000Z`]),
    ...['23:59:59', '24:00:00', '23:60:00', '23:59:60', '00:00:00'].map((t) => `2019-05-30T${t}.000Z`),
  ];
  const subs = [...'0159 -:.,TtZz+/aAeEyYo\t', '\u00e9', '\u0000', '\u007f', '\u0660'];
  const values = new Set<string>([...bases, ...edges]);
  for (const b of bases) {
    for (let i = 0; i <= b.length; i++) {
      if (i < b.length) values.add(b.slice(0, i) + b.slice(i + 1));
      for (const c of subs) {
        if (i < b.length) values.add(b.slice(0, i) + c + b.slice(i + 1));
        values.add(b.slice(0, i) + c + b.slice(i));
      }
    }
  }
  const lines = [...values].map((v) => `{"f": ${JSON.stringify(v)}}`);
  const stats = new DiffStats();
  // rfc3339 alone, '%a %b %e %H:%M:%S %Y' alone, both then unix, and '%c' (the same ops as the asctime format).
  for (const i of [0, 5, 6, 20]) {
    for (const req of [false, true]) compareEngines(simd, ref, lines, `S.time${i}.${req}`, stats);
  }
  report('timestamp shapes', stats);
  assert.ok(stats.accepted > 1000, `${stats.accepted} accepted`);
  assert.equal(stats.delegated, 0);
});

// Pins the native auto-detection shortcut (checker.cc checkAuto): its first walk is against the previous
// record's first candidate, which must never change a verdict or the "closest" schema a message names.
test('auto-detection: log types switching from line to line, and records several schemas could take', async () => {
  const { simd, ref } = await engines();
  const gen = new LssGenerator(7, { policyNameShare: 0.5 });
  const kinds = [
    () => gen.userActivity(),
    () => gen.userStatus(),
    () => gen.connectorStatus(),
    () => gen.connectorMetrics(),
    () => gen.audit(),
    // All of AppConnectorStatus's required fields too: it is tried (and refuses) before UserActivity.
    () => gen.userActivity().replace('{', '{"ConnectorGroup": "cg-1", '),
    // A null or empty required field: that schema is not a candidate (null) or is one that refuses ("").
    () => gen.userActivity().replace(/"Username": "[^"]*"/, '"Username": null'),
    () => gen.userStatus().replace(/"Customer": "[^"]*"/, '"Customer": ""'),
    () => '{"LogTimestamp": "x"}',
    // Taken by AppConnectorStatus and by UserActivity: detection order says AppConnectorStatus.
    () => `{${/"LogTimestamp": "[^"]*"/.exec(gen.userActivity())![0]}, "Customer": "c", "Connector": "x", "ConnectorGroup": "g", "InternalReason": "r", "Username": "u"}`,
    // Refused by both: the message names AppConnectorStatus, the first candidate, as closest.
    () => `{${/"LogTimestamp": "[^"]*"/.exec(gen.userActivity())![0]}, "Customer": "c", "Connector": "x", "ConnectorGroup": "g", "InternalReason": "r", "Username": "u", "Policy": "p", "CPUUtilization": "p"}`,
  ];
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) lines.push(kinds[(i * 7 + Math.floor(i / kinds.length)) % kinds.length]!());
  for (let i = 0; i < 40; i++) lines.push(kinds[i % 2 === 0 ? 5 : 0]!(), kinds[(i % 3) + 1]!(), kinds[0]!(), kinds[9 + (i % 2)]!());
  const stats = new DiffStats();
  compareEngines(simd, ref, lines, 'auto', stats);
  // Batches of one line each: the guess carries over between calls too.
  for (const l of lines.slice(0, 60)) compareEngines(simd, ref, [l], 'auto', stats);
  report('auto switching', stats);
  assert.equal(stats.delegated, 0);
});

test('line_too_long and framing (CRLF, empty lines, no final newline) match', async () => {
  const { simd, ref } = await engines();
  const stats = new DiffStats();
  compareEngines(simd, ref, ['{"a":1}\r', '', '\r', `{"Customer": "${'x'.repeat(300)}"}`, '{"b":2}'], 'auto', stats, 100);
  report('framing', stats);
  const data = Buffer.from('{"x":1}\r\n\n{"y":2}');
  assert.deepEqual([...simd.checkBatch(data, 'auto', 100).ends], [...ref.checkBatch(data, 'auto', 100).ends]);
});

/** Checks `batches` with `engine` and counts unknown fields the way the worker does, naming at most `maxNames`. */
function unknownCounts(engine: BatchEngine, batches: readonly Buffer[], logType: string, maxNames: number): UnknownFieldCount[] {
  const tally = new UnknownFieldTally(maxNames);
  const rows = new Map<string, number>();
  for (const b of batches) {
    const v = engine.checkBatch(b, logType, 1 << 20);
    const batch = tally.batch(v.unknownSets);
    for (let i = 0; i < v.count; i++) if (v.status[i] === LINE_ACCEPTED) batch.add(v.unknownSet[i]!);
    for (const [lt, f, n] of batch.counts()) rows.set(`${lt}\0${f}`, (rows.get(`${lt}\0${f}`) ?? 0) + n);
  }
  return [...rows].map(([k, n]) => [...(k.split('\0') as [string, string]), n] as UnknownFieldCount).sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

// Pins zpa_relay_unknown_fields_total: lines the native checker decides and lines it delegates (a <PRI>
// prefix) feed one count, which must be the reference's: the same names, once per record (a repeated key
// too), integer-like keys (which JSON.parse lists first) named in the same order, and `other` past the bound
// (64 here: the worker's own bound is larger, the metric's is the main thread's).
test('unknown fields: both engines give the same counts, names and bound', async () => {
  const { simd, ref } = await engines();
  const gen = new LssGenerator(9);
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const extra = Array.from({ length: i % 7 === 0 ? 70 : 3 }, (_, k) => {
      const n = (i * 13 + k) % 90;
      return `"${n % 4 === 0 ? n : `X${n}`}": ${k}`;
    });
    let l = gen.userActivity().replace('{', `{${extra.join(', ')}, `);
    if (i % 5 === 0) l = `<14>${l}`;
    if (i % 11 === 0) l = l.replace('{', '{"Hostname": "h", "Hostname": "again", "Pl\\u0061tform": "x", ');
    lines.push(l);
  }
  const batches: Buffer[] = [];
  for (let i = 0; i < lines.length; i += 50) batches.push(Buffer.from(lines.slice(i, i + 50).join('\n') + '\n'));
  for (const lt of ['Zscaler.ZPA.UserActivity', 'auto']) {
    const stats = new DiffStats();
    for (const b of batches) compareEngines(simd, ref, b.toString().split('\n').filter(Boolean), lt, stats);
    report(`unknown fields (${lt})`, stats);
    assert.ok(stats.delegated > 0 && stats.decided > stats.delegated, 'both paths are exercised');
    const native = unknownCounts(simd, batches, lt, 64);
    assert.deepEqual(native, unknownCounts(ref, batches, lt, 64));
    assert.deepEqual(unknownCounts(simd, batches, lt, 1024), unknownCounts(ref, batches, lt, 1024));
    const count = (f: string) => native.find((r) => r[1] === f)?.[2] ?? 0;
    assert.equal(count('Hostname'), Math.ceil(400 / 11), 'a repeated key counts once per record');
    assert.equal(count('Platform'), Math.ceil(400 / 11), 'an escaped key counts under its decoded name');
    assert.equal(count('PRASessionType'), 400);
    assert.ok(count(OTHER_FIELD) > 0, 'past 64 names the rest count as other');
    assert.equal(native.filter((r) => r[1] !== OTHER_FIELD).length, 64);
  }
});

test('records refused alike share one outcome, past the cache bound too: 6,000 policy names (5,000 distinct, more than the 4,096 outcomes kept) worded as the reference words them', { timeout: 60_000 }, async () => {
  const { simd, ref } = await engines();
  const g = new LssGenerator(11, { policyNameShare: 1 });
  // Each record gets a policy name of its own, then 1,000 records reuse the first names: the cache starts
  // over once during the batch, and the repeats must still be worded from their own values.
  const names = Array.from({ length: 5000 }, (_, i) => `Rule ${i} "quoted" \\ path`);
  const lines = [...names, ...names.slice(0, 1000)].map((name) => g.record('Zscaler.ZPA.UserActivity').replace(/"Policy": *"[^"]*"/, `"Policy": ${JSON.stringify(name)}`));
  assert.ok(lines.every((l, i) => l.includes(JSON.stringify(names[i % 5000]!))), 'every record carries its policy name');
  const stats = new DiffStats();
  compareEngines(simd, ref, lines, 'Zscaler.ZPA.UserActivity', stats);
  report('policy names past the cache bound', stats);
  assert.equal(stats.rejected, lines.length, 'every record is refused (a name where the schema says bigint)');
  // Two records with the same name in one batch: one outcome object, not two alike.
  const pair = Buffer.from(`${lines[0]}\n${lines[1]}\n${lines[0]}\n`);
  const v = simd.checkBatch(pair, 'Zscaler.ZPA.UserActivity', 1 << 20);
  assert.equal(v.outcomes.get(0), v.outcomes.get(2), 'the same rejection, shared');
  assert.notEqual(v.outcomes.get(0), v.outcomes.get(1), 'another value, another outcome');
  assert.match(v.outcomes.get(1)!.verdict.status === 'rejected' ? (v.outcomes.get(1)!.verdict as { message: string }).message : '', /Rule 1 /);
});
