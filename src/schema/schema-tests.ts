/**
 * Panther's schema-test files, the format `pantherlog test` reads: YAML documents, each with `name`,
 * `logType`, `input` (the raw record) and `result` (the normalized record as JSON) or `results` (a list of
 * them). `schema derive` writes them; `schema test` runs them with the relay's engine. Results are compared
 * as JSON (key order and number spelling do not matter), leaving out `p_row_id` and `p_parse_time`, which
 * differ on every run.
 */
import { parseAllDocuments, Scalar, stringify } from 'yaml';
import { RelayError } from '../errors.js';
import type { SchemaEngine } from './engine.js';
import { serializeNormalized } from './engine.js';
import { parseExact } from './json-exact.js';
import { RawNumber } from './raw-number.js';

/** One test of a file. `expected` holds the parsed results, one per record of `input`. */
export interface SchemaTestCase {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly name: string;
  readonly logType: string;
  readonly input: string;
  readonly expected: readonly unknown[];
}

/** A test to write: the result is the normalized record's JSON text. */
export interface SchemaTestToWrite {
  readonly name: string;
  readonly logType: string;
  readonly input: string;
  readonly result: string;
}

/** What running one test gave. */
export interface SchemaTestOutcome {
  readonly pass: boolean;
  /** For a failure: readable lines saying what differs. */
  readonly differences: readonly string[];
}

/** Fields every run sets anew; never compared. */
const IGNORED = new Set(['p_row_id', 'p_parse_time']);
const MAX_SHOWN_CHARS = 160;

/** Parses a test file; throws ZPA_ERR_SCHEMA_TEST_INVALID listing every problem of the file. */
export function parseSchemaTests(file: string, text: string): SchemaTestCase[] {
  const problems: string[] = [];
  const cases: SchemaTestCase[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) {
    throw new RelayError('ZPA_ERR_SCHEMA_TEST_INVALID', `${file}: not a YAML stream of test documents`);
  }
  docs.forEach((doc, i) => {
    const where = `${file}: test ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const t = doc.toJS() as Record<string, unknown> | null;
    if (t === null) return; // an empty document (a trailing ---)
    if (typeof t !== 'object' || Array.isArray(t)) {
      problems.push(`${where}: a test is a mapping with name, logType, input and result`);
      return;
    }
    const missing = ['name', 'logType', 'input'].filter((k) => typeof t[k] !== 'string' || (t[k] as string).trim() === '');
    if (t['result'] === undefined && t['results'] === undefined) missing.push('result');
    if (missing.length > 0) {
      problems.push(`${where}: missing or empty ${missing.join(', ')}`);
      return;
    }
    const raw = t['results'] !== undefined ? t['results'] : [t['result']];
    if (!Array.isArray(raw)) {
      problems.push(`${where}: "results" must be a list`);
      return;
    }
    const expected: unknown[] = [];
    for (const [k, r] of raw.entries()) {
      if (typeof r !== 'string') {
        expected.push(r);
        continue;
      }
      try {
        expected.push(parseExact(r));
      } catch (err) {
        problems.push(`${where}: result ${k + 1} is not JSON: ${(err as Error).message}`);
      }
    }
    cases.push({ file, index: i + 1, name: t['name'] as string, logType: t['logType'] as string, input: t['input'] as string, expected });
  });
  if (problems.length > 0) {
    throw new RelayError('ZPA_ERR_SCHEMA_TEST_INVALID', problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more)`, problems);
  }
  return cases;
}

/** Writes tests as Panther's YAML, `input` and `result` as literal blocks. */
export function formatSchemaTests(tests: readonly SchemaTestToWrite[]): string {
  return tests
    .map((t) => {
      const block = (s: string): Scalar => {
        const node = new Scalar(s.endsWith('\n') ? s : `${s}\n`);
        node.type = Scalar.BLOCK_LITERAL;
        return node;
      };
      return stringify({ name: t.name, logType: t.logType, input: block(t.input), result: block(t.result) }, { lineWidth: 0 });
    })
    .join('---\n');
}

/** Runs one test: every record of its input must be accepted and normalize to its expected result. */
export function runSchemaTest(engine: SchemaEngine, t: SchemaTestCase): SchemaTestOutcome {
  if (!engine.has(t.logType)) {
    return { pass: false, differences: [`no schema named "${t.logType}" at the schema path (loaded: ${engine.logTypes.join(', ')})`] };
  }
  const lines = t.input.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (lines.length !== t.expected.length) {
    return { pass: false, differences: [`the input holds ${lines.length} record(s), the test expects ${t.expected.length} result(s)`] };
  }
  const differences: string[] = [];
  lines.forEach((line, i) => {
    const at = lines.length > 1 ? `record ${i + 1}: ` : '';
    const { outcome, record } = engine.normalize(line, t.logType);
    const v = outcome.verdict;
    if (v.status === 'rejected' || record === undefined) {
      const why = v.status === 'rejected' ? `${v.reason}${v.field ? ` on ${v.field}` : ''}: ${v.message}` : 'no normalized record';
      differences.push(`${at}the schema refuses the input (${why})`);
      return;
    }
    differences.push(...compareRecords(t.expected[i], JSON.parse(JSON.stringify(canonical(parseExact(serializeNormalized(record)))))).map((d) => at + d));
  });
  return { pass: differences.length === 0, differences };
}

/**
 * A value in a form where equal JSON compares equal: object keys sorted, numbers as one spelling of their
 * value (exact for integers beyond 2^53, so an 18-digit ID differing in its last digit is a difference).
 */
function canonical(v: unknown): unknown {
  if (v instanceof RawNumber) return { $number: numberText(v.text) };
  if (typeof v === 'number' || typeof v === 'bigint') return { $number: numberText(String(v)) };
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function numberText(text: string): string {
  if (/^-?\d+$/.test(text)) return BigInt(text).toString();
  return String(Number(text));
}

/** Readable differences between the expected and the actual normalized record, field by field. */
function compareRecords(expectedRaw: unknown, actual: unknown): string[] {
  const expected = JSON.parse(JSON.stringify(canonical(expectedRaw))) as unknown;
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObj(expected) || !isObj(actual)) {
    return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`expected ${show(expected)}, got ${show(actual)}`];
  }
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].filter((k) => !IGNORED.has(k)).sort();
  for (const k of keys) {
    const e = expected[k];
    const a = actual[k];
    if (JSON.stringify(e) === JSON.stringify(a)) continue;
    if (e === undefined) out.push(`${k}: not expected, got ${show(a)}`);
    else if (a === undefined) out.push(`${k}: expected ${show(e)}, missing from the result`);
    else out.push(`${k}: expected ${show(e)}, got ${show(a)}`);
  }
  return out;
}

/** A canonical value back as JSON text, cut for a one-line message. */
function show(v: unknown): string {
  const s = (JSON.stringify(v) ?? 'nothing').replace(/\{"\$number":"([^"]+)"\}/g, '$1');
  return s.length > MAX_SHOWN_CHARS ? `${s.slice(0, MAX_SHOWN_CHARS)}...` : s;
}
