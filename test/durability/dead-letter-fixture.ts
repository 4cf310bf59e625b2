/**
 * A crafted dead-letter store for the `zpa-relay dead-letter` tests, in the format the relay writes
 * (dead-letter-entry.ts `toEntry`), with a record of every kind an operator meets:
 *   - User Activity records whose Policy is a rule name (wrong_type under the documented bigint schema),
 *     some stored three days ago, some ten minutes ago, one of them not valid UTF-8 (lineBase64);
 *   - records Panther refused with status 400 (sink_rejected) that the schema accepts;
 *   - one that stays wrong after the schema fix (ServicePort is not a number), with a stale message;
 *   - invalid_json, and the head of an over-long line (line_too_long with `length`);
 *   - a torn last line (a crash mid-write), a file the relay is still writing (`.open`).
 * It also writes a copy of the bundled schemas with User Activity's Policy changed to string: the "schema fix".
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LssGenerator } from '../../bench/lss/generate.js';
import { REPO_ROOT } from '../helpers/repo.js';

export const UA = 'Zscaler.ZPA.UserActivity';
export const FILE_OLD = 'dl-20261125T000000-000000.jsonl';
export const FILE_MIXED = 'dl-20261128T000000-000001.jsonl';
export const FILE_FIXABLE = 'dl-20261128T010000-000002.jsonl';
export const FILE_OPEN = 'dl-20261128T020000-000003.jsonl.open';
export const TORN_LINE = '{"time":"2026-11-28T0';

/** Builds one stored record the way the relay's store does. */
export function entry(time: number, reason: string, line: string | Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e: Record<string, unknown> = { time: new Date(time).toISOString(), listener: 'ua', logType: UA, reason, field: null, message: `stored ${reason}`, ...extra };
  if (typeof line === 'string') e.line = line;
  else e.lineBase64 = line.toString('base64');
  return e;
}

export interface Store {
  dir: string;
  store: string;
  fixedSchemas: string;
  /** Lines that the fixed schema accepts, as text (the lineBase64 one decoded as UTF-8, as the stand-in decodes it). */
  fixable: string[];
  /** The stored records by role. */
  named: string[];
  oldNamed: string[];
  refused400: string[];
  base64Bytes: Buffer;
  unfixable: string;
  invalid: string;
  tooLongHead: string;
  openFileText: string;
}

/** Writes the schema fix: a copy of schemas/ where User Activity's Policy is a string. */
export function writeFixedSchemas(dir: string): string {
  const to = join(dir, 'schemas-fixed');
  cpSync(join(REPO_ROOT, 'schemas'), to, { recursive: true });
  const f = join(to, `${UA}.yaml`);
  const text = readFileSync(f, 'utf8');
  const fixed = text.replace(/(- name: Policy\n(?:\s+description:.*\n)?\s+type: )bigint/, '$1string');
  if (fixed === text) throw new Error('fixture: Policy field not found in the User Activity schema');
  writeFileSync(f, fixed);
  return to;
}

/** Creates the crafted store in a new temporary directory. */
export function craftStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-cli-'));
  const store = join(dir, 'dead-letter');
  mkdirSync(store);
  const now = Date.now();
  const recent = now - 10 * 60_000;
  const old = now - 3 * 86_400_000;
  const gen = new LssGenerator(91, { policyNameShare: 1 });
  const good = new LssGenerator(92);
  const named = Array.from({ length: 4 }, (_, i) => gen.userActivity().replace('"SessionID": "', `"SessionID": "n${i}`));
  const oldNamed = named.slice(0, 2);
  const refused400 = Array.from({ length: 2 }, (_, i) => good.userActivity().replace('"SessionID": "', `"SessionID": "r${i}`));
  const [before, after] = gen.userActivity().split('"Customer": "Example Corp"');
  if (after === undefined) throw new Error('fixture: no Customer field in the generated record');
  // 0xff is not UTF-8 anywhere: the store keeps such a record as lineBase64.
  const base64Bytes = Buffer.concat([Buffer.from(`${before}"Customer": "Example `), Buffer.from([0xff]), Buffer.from(` Corp"${after}`)]);
  const unfixable = good.userActivity().replace(/"ServicePort": \d+/, '"ServicePort": "https"');
  const invalid = '{"LogTimestamp": "Thu Oct  7 10:40:00 2021", "Customer": 00.0}';
  const tooLongHead = named[0]!.slice(0, 200);
  const policyMsg = { field: 'Policy', message: 'field "Policy": expected a 64-bit integer (bigint)' };

  const fileOld = [
    entry(old, 'wrong_type', oldNamed[0]!, policyMsg),
    entry(old, 'invalid_json', invalid, { message: 'invalid JSON' }),
    entry(old, 'wrong_type', oldNamed[1]!, policyMsg),
    entry(old, 'line_too_long', tooLongHead, { message: 'line of 5000000 bytes exceeds maxLineBytes 1048576', length: 5_000_000 }),
  ];
  const fileMixed = [
    entry(recent, 'sink_rejected', refused400[0]!, { status: 400, message: 'HTTP 400' }),
    entry(recent, 'wrong_type', unfixable, { field: 'ServicePort', message: 'stale message from an older relay' }),
    entry(recent, 'wrong_type', base64Bytes, policyMsg),
    entry(recent, 'sink_rejected', refused400[1]!, { status: 400, message: 'HTTP 400' }),
  ];
  const fileFixable = [entry(recent, 'wrong_type', named[2]!, policyMsg), entry(recent, 'wrong_type', named[3]!, policyMsg)];
  const jsonl = (rs: Array<Record<string, unknown>>) => rs.map((r) => JSON.stringify(r) + '\n').join('');
  writeFileSync(join(store, FILE_OLD), jsonl(fileOld) + TORN_LINE + '\n');
  writeFileSync(join(store, FILE_MIXED), jsonl(fileMixed));
  writeFileSync(join(store, FILE_FIXABLE), jsonl(fileFixable));
  const openFileText = jsonl([entry(recent, 'wrong_type', gen.userActivity(), policyMsg)]);
  writeFileSync(join(store, FILE_OPEN), openFileText);
  return {
    dir,
    store,
    fixedSchemas: writeFixedSchemas(dir),
    fixable: [...named, ...refused400, base64Bytes.toString('utf8')],
    named,
    oldNamed,
    refused400,
    base64Bytes,
    unfixable,
    invalid,
    tooLongHead,
    openFileText,
  };
}

/** Writes a relay config for the store; `schemas` empty means the bundled ones; maxRetries 0 retries forever. */
export function writeConfig(s: Store, pantherUrl: string, schemas = '', maxRetries = 2): string {
  const file = join(s.dir, `relay-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      'listeners:',
      `  - { name: ua, port: 0, host: 127.0.0.1, logType: ${UA} }`,
      `output: { type: http, flushIntervalMs: 20, http: { url: "${pantherUrl}", auth: { type: none }, retry: { initialBackoffMs: 10, maxBackoffMs: 50, maxRetries: ${maxRetries} } } }`,
      `deadLetter: { path: "${s.store}" }`,
      `schemas: { path: "${schemas}" }`,
      'logLevel: warn',
      '',
    ].join('\n'),
  );
  return file;
}

/** Every stored record of the closed files (and the raw lines), in file order. */
export function readStore(store: string, names: readonly string[]): { records: Array<Record<string, unknown>>; lines: string[] } {
  const lines = names.flatMap((n) => readFileSync(join(store, n), 'utf8').split('\n').filter(Boolean));
  const records = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { records, lines };
}
