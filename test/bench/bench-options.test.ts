/**
 * `npm run bench` refuses a bad command line before any load, listing every problem, and explains itself
 * with --help: an operator sizing a deployment should not lose minutes of a run to a typo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from '../../bench/e2e/bench-options.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const bench = (...args: string[]) => spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 30_000 });

test('bench: every problem of the command line is listed at once, exit 2, before anything runs', () => {
  const r = bench('--connections', '0,4', '--compression', 'gzip,lz4', '--relay-config', '{"batch":', '--policy-names', '1.5', '--log-type', 'Nope', '--relay-bin', '/nonexistent/zpa-relay.js');
  assert.equal(r.status, 2, r.stderr);
  for (const want of ['--connections "0,4"', '"lz4" unknown', '--relay-config: not JSON', '--policy-names "1.5"', '--log-type "Nope"', '--relay-bin "/nonexistent/zpa-relay.js": no such file']) {
    assert.ok(r.stderr.includes(want), `stderr names ${want}:\n${r.stderr}`);
  }
  assert.match(r.stderr, /6 problem\(s\)/);
  assert.doesNotMatch(r.stdout, /baseline/, 'no step and no baseline ran');
});

test('bench: an unknown option is refused by name with the usage, not a stack trace', () => {
  const r = bench('--conections', '4');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Unknown option '--conections'/);
  assert.match(r.stderr, /usage: npm run bench/);
  assert.doesNotMatch(r.stderr, /at parseArgs|node:internal/);
});

test('bench: --help prints the options and exits 0', () => {
  const r = bench('--help');
  assert.equal(r.status, 0);
  for (const opt of ['--log-type', '--connections', '--latency-share', '--relay-bin', '--decode-every', 'AppConnectorMetrics']) assert.ok(r.stdout.includes(opt), opt);
});

test('bench: defaults, short log-type names and settings come out typed and frozen', () => {
  const d = parseBenchArgs([]);
  assert.ok(!d.help && 'options' in d);
  assert.deepEqual(d.options.mix, [{ logType: 'Zscaler.ZPA.UserActivity', share: 1 }]);
  assert.deepEqual(d.options.connections, [1, 4]);
  assert.deepEqual(d.options.compression, ['gzip', 'zstd']);
  assert.equal(d.options.durationMs, 15_000);
  assert.equal(d.options.decodeEvery, 8);
  assert.equal(d.options.maxBufferedBytes, undefined);
  assert.ok(Object.isFrozen(d.options));
  const s = parseBenchArgs(['--log-type', 'AuditLog', '--max-buffered-mib', '64', '--relay-config', '{"workers":{"threads":1}}', '--latency-share', '0']);
  assert.ok(!s.help && 'options' in s);
  assert.deepEqual(s.options.mix, [{ logType: 'Zscaler.ZPA.AuditLog', share: 1 }]);
  assert.equal(s.options.maxBufferedBytes, 64 * 1024 * 1024);
  assert.deepEqual(s.options.relayConfig, { workers: { threads: 1 } });
  assert.equal(s.options.latencyShare, 0);
  const m = parseBenchArgs(['--mix', 'UserStatus=15,UserActivity=80,Zscaler.ZPA.AppConnectorMetrics=5']);
  assert.ok(!m.help && 'options' in m);
  assert.deepEqual(m.options.mix.map((x) => [x.logType, Math.round(x.share * 100)]), [['Zscaler.ZPA.UserActivity', 80], ['Zscaler.ZPA.UserStatus', 15], ['Zscaler.ZPA.AppConnectorMetrics', 5]], 'shares normalised, largest first');
  const bad = parseBenchArgs(['--mix', 'UserActivity=1,Nope=2,UserStatus=0,UserActivity=3', '--log-type', 'AuditLog']);
  assert.ok('problems' in bad);
  assert.equal(bad.problems.length, 4, bad.problems.join('\n'));
  for (const want of ['--log-type and --mix', '"Nope=2"', '"UserStatus=0"', 'UserActivity appears twice']) assert.ok(bad.problems.some((p) => p.includes(want)), want);
  const arr = parseBenchArgs(['--relay-config', '[1]']);
  assert.ok('problems' in arr && arr.problems[0]!.includes('a JSON object'));
});

test('bench: --soak takes a duration with its unit and sets a soak\'s defaults; what it cannot combine with is refused', () => {
  const s = parseBenchArgs(['--soak', '30m', '--rate', '60000']);
  assert.ok(!s.help && 'options' in s);
  assert.equal(s.options.soak, true);
  assert.equal(s.options.durationMs, 30 * 60_000);
  assert.deepEqual([s.options.connections, s.options.compression, s.options.decodeEvery, s.options.latencyShare], [[4], ['gzip'], 8, 0]);
  const h = parseBenchArgs(['--soak', '1.5h', '--rate', '1000', '--connections', '2', '--compression', 'zstd', '--decode-every', '1']);
  assert.ok(!h.help && 'options' in h);
  assert.deepEqual([h.options.durationMs, h.options.connections, h.options.compression, h.options.decodeEvery], [5_400_000, [2], ['zstd'], 1]);
  const plain = parseBenchArgs([]);
  assert.ok(!plain.help && 'options' in plain && plain.options.soak === false);
  const bad = parseBenchArgs(['--soak', '2d', '--connections', '1,4', '--latency-share', '0.5']);
  assert.ok('problems' in bad);
  for (const want of ['--soak "2d"', '--soak needs --rate', '--connections "1,4" with --soak', '--latency-share and --soak']) assert.ok(bad.problems.some((p) => p.includes(want)), `${want}: ${bad.problems.join(' | ')}`);
});

test('bench: --repeat takes a whole number of rounds (1 by default) and is refused with --soak', () => {
  const one = parseBenchArgs([]);
  assert.ok(!one.help && 'options' in one && one.options.repeat === 1);
  const three = parseBenchArgs(['--repeat', '3', '--policy-names', '0.9']);
  assert.ok(!three.help && 'options' in three);
  assert.equal(three.options.repeat, 3);
  for (const [args, want] of [
    [['--repeat', '0'], '--repeat "0": a whole number of rounds, at least 1'],
    [['--repeat', '1.5'], '--repeat "1.5": a whole number of rounds, at least 1'],
    [['--repeat', '2', '--soak', '20s', '--rate', '1000'], '--repeat 2 and --soak: a soak is one long step'],
  ] as Array<[string[], string]>) {
    const bad = parseBenchArgs(args);
    assert.ok('problems' in bad, args.join(' '));
    assert.ok(bad.problems.some((p) => p.includes(want)), `${want}: ${bad.problems.join(' | ')}`);
  }
});
