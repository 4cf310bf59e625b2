/**
 * `zpa-relay check` through the real binary (bin/zpa-relay.js -> dist/src/cli.js; build first):
 * exit codes, output format, stdin, CRLF, a missing final newline, --emit normalized, error messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found');
    dir = parent;
  }
  return dir;
}

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'zpa-relay.js');
/** The project's own LSS records (test/fixtures/lss), one file per log type. */
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'lss');
const fixtureLine = (file: string, n: number): string => readFileSync(path.join(FIXTURES, file), 'utf8').split('\n')[n - 1]!;
const UA = 'Zscaler.ZPA.UserActivity';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'check', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (s: string): Array<Record<string, unknown>> =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const example = (): string => readFileSync(path.join(ROOT, 'examples', 'user-activity.log'), 'utf8');

let tmp: string;
test.before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'zpa-check-'));
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

test('all accepted: exit 0, one verdict per line in order, summary on stderr', async () => {
  const r = await run(['examples/user-activity.log']);
  assert.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  assert.equal(out.length, 5);
  out.forEach((v, i) => {
    assert.deepEqual(Object.keys(v), ['line', 'status', 'logType', 'eventTime', 'unknownFields']);
    assert.ok((v['unknownFields'] as string[]).includes('PRASessionType'), 'the example carries the PRA fields the schema lacks');
    assert.equal(v['line'], i + 1);
    assert.equal(v['status'], 'accepted');
    assert.equal(v['logType'], UA);
    assert.match(String(v['eventTime']), /^2021-10-07T10:40:\d\d\.000Z$/);
  });
  assert.match(r.stderr, /5 records: 5 accepted, 0 rejected/);
});

test('any rejected: exit 1, rejected verdicts carry reason, field and message', async () => {
  // A policy name in Policy, then a 00.000000 latitude (fixtures/user-activity.log lines 2 and 5).
  const f = file('rejected.log', `${fixtureLine('user-activity.log', 2)}\n${fixtureLine('user-activity.log', 5)}\n`);
  const r = await run(['--log-type', UA, f]);
  assert.equal(r.code, 1);
  const [first, second] = lines(r.stdout);
  assert.deepEqual(Object.keys(first!), ['line', 'status', 'logType', 'reason', 'field', 'message']);
  assert.equal(first!['reason'], 'wrong_type');
  assert.equal(first!['field'], 'Policy');
  assert.equal(first!['logType'], UA);
  assert.equal(second!['line'], 2);
  assert.equal(second!['reason'], 'invalid_json');
  assert.match(r.stderr, /rejected by reason: +invalid_json 1, wrong_type 1/);
});

test('stdin with -, CRLF line ends, empty lines skipped but counted, no final newline', async () => {
  const [a, b] = example().split('\n');
  const r = await run(['-'], `${a}\r\n\r\n\n${b}`);
  assert.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  assert.deepEqual(
    out.map((v) => [v['line'], v['status']]),
    [
      [1, 'accepted'],
      [4, 'accepted'],
    ],
  );
  assert.match(r.stderr, /2 records: 2 accepted, 0 rejected \(2 empty lines skipped\)/);
});

test('several files: "file" is added and numbering restarts per file', async () => {
  const f1 = file('one.log', example().split('\n')[0] + '\n');
  const r = await run([f1, 'examples/user-activity.log']);
  assert.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  assert.equal(out.length, 6);
  assert.deepEqual(out[0], { ...out[0], line: 1, file: f1 });
  assert.deepEqual(Object.keys(out[1]!).slice(0, 2), ['line', 'file']);
  assert.equal(out[1]!['line'], 1);
  assert.equal(out[1]!['file'], 'examples/user-activity.log');
});

test('--emit normalized prints Panther records for accepted lines, verdicts for the rest', async () => {
  const r = await run(['--emit', 'normalized', '-'], example().split('\n')[0] + '\n{"x": 1}\n');
  assert.equal(r.code, 1);
  const [rec, verdict] = lines(r.stdout);
  assert.equal(rec!['p_log_type'], UA);
  assert.match(String(rec!['p_event_time']), /^2021-10-07 10:40:\d\d\.000000000$/);
  assert.ok(Array.isArray(rec!['p_any_ip_addresses']));
  assert.equal(verdict!['status'], 'rejected');
  assert.equal(verdict!['line'], 2);
});

test('repairs are reported per line and in the summary; --no-repair turns one off', async () => {
  // The old template's `"TrustedNetworks": ,` (fixtures/user-status.log line 3).
  const pri = file('empty-list.log', `${fixtureLine('user-status.log', 3)}\n`);
  const r = await run([pri]);
  assert.deepEqual(lines(r.stdout)[0]!['repairs'], ['empty_list']);
  assert.match(r.stderr, /repairs applied: +empty_list 1/);
  const off = await run(['--no-repair', 'empty_list', pri]);
  assert.equal(lines(off.stdout)[0]!['reason'], 'invalid_json');
});

test('--max-line-bytes: longer lines are line_too_long', async () => {
  const line = example().split('\n')[0]!;
  const r = await run(['--max-line-bytes', String(line.length - 1), '--log-type', UA, '-'], `${line}\n{"a":1}\n`);
  const [first, second] = lines(r.stdout);
  assert.equal(first!['reason'], 'line_too_long');
  assert.equal(first!['logType'], UA);
  assert.equal(second!['reason'], 'missing_required');
  const exact = await run(['--max-line-bytes', String(line.length), '-'], `${line}\r\n`);
  assert.equal(exact.code, 0, 'the limit excludes the CRLF');
});

test('missing file: exit 2, one line naming the file, nothing on stdout', async () => {
  const r = await run(['examples/user-activity.log', 'no-such-file.log']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'zpa-relay check: ZPA_ERR_FILE_NOT_FOUND: no-such-file.log: no such file\n');
});

test('usage errors and unknown log types exit 2', async () => {
  for (const args of [[], ['--emit', 'xml', '-'], ['--max-line-bytes', '0', '-'], ['--bogus', '-'], ['--engine', 'bogus', '-']]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^zpa-relay check: /);
  }
  const lt = await run(['--log-type', 'Nope', '-']);
  assert.equal(lt.code, 2);
  assert.match(lt.stderr, /unknown log type "Nope"/);
  const ok = await run(['--engine', 'reference', '--log-type=auto', 'examples/user-activity.log']);
  assert.equal(ok.code, 0);
});

test('a bad schema directory exits 2 naming the file and the field', async () => {
  const dir = path.join(tmp, 'schemas');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'x.yaml'), 'schema: X\nfields:\n  - name: Foo\n    type: strin\n');
  const r = await run(['--schemas', dir, '-'], '{}\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ZPA_ERR_SCHEMA_INVALID: .*x\.yaml: field "Foo": unknown type "strin"/);
});

test('--help exits 0', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: zpa-relay check/);
});

test('large input streams with backpressure and keeps order', async () => {
  const base = example().split('\n').filter(Boolean);
  const many = Array.from({ length: 20000 }, (_, i) => base[i % base.length]).join('\n') + '\n';
  const r = await run(['-'], many);
  assert.equal(r.code, 0);
  const out = r.stdout.trimEnd().split('\n');
  assert.equal(out.length, 20000);
  assert.equal((JSON.parse(out[19999]!) as { line: number }).line, 20000);
});

// Issue 17, item 4: under --log-type auto a rejection whose closest schema failed on a field names the field
// (it used to be only inside the message), and an accepted record lists the fields Panther would drop.
test('--log-type auto: a rejection names the closest schema\'s field; an accepted record its unknown fields', async () => {
  const record = (policy: string) =>
    `{"LogTimestamp": "Thu Oct  7 10:40:00 2021", "Customer": "Example Corp", "InternalReason": "", "Username": "u@example.com", ` +
    `"Policy": ${policy}, "PRASessionType": "ssh", "Platform": "el7", "7": 1}\n`;
  for (const engine of ['reference', 'auto']) {
    const r = await run(['--engine', engine, '--log-type', 'auto', '-'], record('"Any Any Allow"') + record('216199618152744703'));
    assert.equal(r.code, 1, r.stderr);
    const [rejected, accepted] = lines(r.stdout);
    assert.equal(rejected!.reason, 'unknown_log_type', engine);
    assert.equal(rejected!.logType, null);
    assert.equal(rejected!.field, 'Policy');
    assert.match(String(rejected!.message), /closest: Zscaler\.ZPA\.UserActivity rejected it \(wrong_type: /);
    assert.equal(accepted!.status, 'accepted');
    assert.deepEqual(accepted!.unknownFields, ['7', 'PRASessionType', 'Platform']);
  }
});
