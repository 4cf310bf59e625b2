/**
 * Regression test for issue #21: `npm run bench -- --duration-s 240 --connections 4 --rate 60000
 * --latency-share 0 --compression gzip` ran its step and then died with `TypeError: Reduce of empty array
 * with no initial value` (the sizing line looked for a full-speed step) and wrote no report.
 *
 * Every combination of options must end in a report (a JSON and an HTML file, exit 0) or a clear usage error
 * (exit 2, a message, no stack trace). The combinations run in small form (1 s steps, a few thousand
 * records/s, a 6 s soak), two at a time: this checks that the bench finishes and what it writes, not the
 * relay's speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../bench/e2e/report.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  report?: BenchReport;
  html?: string;
}

function bench(args: readonly string[]): Promise<Outcome> {
  const out = mkdtempSync(join(tmpdir(), 'zpa-bench-test-'));
  const child = spawn(process.execPath, [RUN, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Bounded: a run that hangs is killed and fails its case rather than the whole suite's time.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      const files = readdirSync(out);
      const json = files.find((f) => f.endsWith('.json'));
      const html = json === undefined ? undefined : files.find((f) => f === json.replace(/\.json$/, '.html'));
      const o: Outcome = { code, stdout, stderr };
      if (json !== undefined) o.report = JSON.parse(readFileSync(join(out, json), 'utf8')) as BenchReport;
      if (html !== undefined) o.html = readFileSync(join(out, html), 'utf8');
      rmSync(out, { recursive: true, force: true });
      resolve(o);
    }),
  );
}

const STACK = /TypeError|RangeError|ReferenceError|\n\s+at .+:\d+:\d+/;

/** Cases that must write a report; `check` looks at what is particular to each. */
const reports: Array<{ name: string; args: string[]; steps: number; check?: (o: Outcome & { report: BenchReport }) => void }> = [
  {
    // The command, small: every step at a set rate, no latency step, one compression.
    name: 'rate only, latency off, one compression (the issue\'s crash)',
    args: ['--duration-s', '1', '--connections', '4', '--rate', '4000', '--latency-share', '0', '--compression', 'gzip'],
    steps: 1,
    check: ({ report, stdout }) => {
      assert.equal(report.sizing, null);
      assert.match(report.sizingNote ?? '', /No sizing line: it needs a step at full speed, and every step ran at a set rate \(--rate 4000\)/);
      assert.ok(stdout.includes(report.sizingNote!), 'the note is printed too');
    },
  },
  {
    name: 'rate with the defaults otherwise: both compressions, 1 and 4 connections, a latency step at half the set rate',
    args: ['--duration-s', '1', '--rate', '3000'],
    steps: 6,
    check: ({ report }) => {
      assert.equal(report.sizing, null);
      assert.ok(report.steps.some((s) => s.label.startsWith('zstd, 50% of the set rate')), report.steps.map((s) => s.label).join(', '));
    },
  },
  {
    name: 'one connection at full speed, latency off: a sizing line',
    args: ['--duration-s', '1', '--connections', '1', '--compression', 'zstd', '--latency-share', '0'],
    steps: 1,
    check: ({ report }) => assert.match(report.sizing ?? '', /^One pod with \d+ cores handles \d+ records\/s/),
  },
  {
    name: 'a mix at a rate, every body decoded',
    args: ['--mix', 'UserActivity=2,AuditLog=1', '--connections', '1', '--compression', 'gzip', '--duration-s', '1', '--rate', '3000', '--decode-every', '1'],
    steps: 2,
    check: ({ report }) => {
      const s = report.steps[0]!;
      assert.equal(s.connections, 2, 'each log type has a connection');
      assert.equal(s.receivedByStandIn, s.delivered, 'the stand-in decoded every delivered record');
      assert.ok(s.recordsPerSecondByLogType !== undefined);
    },
  },
  {
    name: 'a log type without probes (no ConnectionID), refused records, a small byte budget',
    args: ['--log-type', 'AppConnectorMetrics', '--connections', '1', '--compression', 'zstd', '--duration-s', '1', '--rate', '3000', '--latency-share', '0', '--max-buffered-mib', '1'],
    steps: 1,
    check: ({ report }) => {
      assert.equal(report.steps[0]!.latencyP99Ms, null);
      assert.equal(report.steps[0]!.p99Drift.drifting, null);
    },
  },
  {
    name: 'policy names refused and dead-lettered, at full speed',
    args: ['--policy-names', '0.5', '--connections', '1', '--compression', 'gzip', '--duration-s', '1', '--latency-share', '0'],
    // Accepted traffic first, on a relay of its own, then the same mode with policy names: compared in one run.
    steps: 2,
    check: ({ report, stdout }) => {
      assert.equal(report.steps[0]!.rejected, 0);
      assert.ok(report.steps[1]!.rejected > 0);
      assert.match(stdout, /policy names 50%, full speed, 1 conn: [\d.]+x the records\/s of accepted traffic/);
    },
  },
  {
    name: 'two rounds with policy names: medians, and the ratio to accepted traffic within each round',
    args: ['--repeat', '2', '--policy-names', '0.5', '--connections', '1', '--compression', 'gzip', '--duration-s', '1', '--latency-share', '0', '--warmup-s', '0'],
    steps: 4,
    check: ({ report, stdout }) => {
      // Accepted first in round 1, refused first in round 2: drift over the run favours neither.
      assert.deepEqual(report.steps.map((s) => [s.round, s.rejected > 0]), [[1, false], [1, true], [2, true], [2, false]]);
      assert.deepEqual(report.medians!.map((m) => [m.label, m.rounds]), [['gzip, accepted, full speed, 1 conn', 2], ['gzip, policy names 50%, full speed, 1 conn', 2]]);
      const [ratio] = report.acceptedRatios!;
      assert.equal(ratio!.byRound.length, 2);
      const byRound = [1, 2].map((k) => report.steps.find((s) => s.round === k && s.rejected > 0)!.recordsPerSecond / report.steps.find((s) => s.round === k && s.rejected === 0)!.recordsPerSecond);
      assert.deepEqual(ratio!.byRound, byRound);
      assert.match(stdout, /medians of 2 rounds:/);
      assert.match(stdout, /policy names 50%, full speed, 1 conn: median [\d.]+x the records\/s of accepted traffic \([\d.]+ \/ [\d.]+ by round\)/);
    },
  },
  {
    name: 'a soak of a few seconds',
    args: ['--soak', '6s', '--rate', '3000', '--connections', '1', '--decode-every', '1'],
    steps: 1,
    check: ({ report, stdout }) => {
      const s = report.soak!;
      assert.ok(s !== undefined, 'the soak section');
      assert.match(s.verdict, /^(stable|growing at [\d.]+ MB\/h)/);
      assert.ok(s.rss !== null && s.rss.samples >= 3, 'an RSS fit after the warm-up');
      assert.equal(report.steps[0]!.tenths.length, 10);
      assert.equal(report.steps[0]!.receivedByStandIn, report.steps[0]!.sent, 'with every body decoded: sent = received');
      assert.equal(report.options['decodeEvery'], 1);
      assert.match(stdout, /soak verdict: /);
    },
  },
];

const usageErrors: Array<{ name: string; args: string[]; want: RegExp }> = [
  { name: '--soak without --rate', args: ['--soak', '30m'], want: /--soak needs --rate/ },
  { name: '--repeat 0', args: ['--repeat', '0'], want: /--repeat "0": a whole number of rounds/ },
  { name: '--soak with a duration without a unit, two compressions and --duration-s', args: ['--soak', '30', '--rate', '1000', '--compression', 'gzip,zstd', '--duration-s', '5'], want: /3 problem\(s\)[\s\S]*--duration-s and --soak[\s\S]*--soak "30"[\s\S]*one compression/ },
  { name: 'a relay setting the relay refuses', args: ['--relay-config', '{"batch":{"maxBytes":5}}', '--duration-s', '1'], want: /the relay refuses its config with --compression gzip[^\n]*batch\.maxBytes/ },
];

test('bench: every combination of options ends in a report or a usage error, never a stack trace', { timeout: 240_000 }, async (t) => {
  // Two at a time: the runs are light (a few thousand records/s) and the machine has other work.
  const queue = [...reports.map((c) => ({ kind: 'report' as const, c })), ...usageErrors.map((c) => ({ kind: 'usage' as const, c }))];
  const results = new Map<string, Outcome>();
  await Promise.all(
    [0, 1].map(async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.set(next.c.name, await bench(next.c.args));
    }),
  );
  for (const c of reports) {
    await t.test(c.name, () => {
      const o = results.get(c.name)!;
      assert.equal(o.code, 0, `${o.stdout}\n${o.stderr}`);
      assert.doesNotMatch(o.stderr, STACK);
      assert.ok(o.report !== undefined && o.html !== undefined, 'a JSON and an HTML report');
      const report = o.report;
      assert.equal(report.steps.length, c.steps, report.steps.map((s) => s.label).join(', '));
      for (const s of report.steps) {
        assert.ok(s.series.t.length >= 1, `${s.label}: per-second samples in the JSON`);
        assert.equal(s.series.rssMb.length, s.series.t.length);
        assert.equal(s.sent, s.delivered + s.rejected, `${s.label}: every record sent accounted for`);
      }
      assert.ok(o.html.includes('class="series"'), 'line charts in the HTML');
      c.check?.({ ...o, report });
    });
  }
  for (const c of usageErrors) {
    await t.test(c.name, () => {
      const o = results.get(c.name)!;
      assert.equal(o.code, 2, `${o.stdout}\n${o.stderr}`);
      assert.match(o.stderr, c.want);
      assert.doesNotMatch(o.stderr, STACK);
      assert.equal(o.report, undefined, 'nothing ran, nothing written');
    });
  }
});
