/**
 * `npm run bench` end to end, briefly: the real relay process, the stand-in, a mix of two log types. What an
 * operator reads must add up: every record sent is accounted for by the relay (no WARNING), the mix arrives
 * in its proportions, latency probes come back, and the JSON and HTML reports are written with the sizing line.
 * Short steps (2 s): this checks the bench's plumbing, not the relay's speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../bench/e2e/report.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
/**
 * The relay's flush timer in this run: longer than the 2 s step, so the last partial body of the full-speed
 * step (cut by age, flushIntervalMs after its first record) is sent at least FLUSH_MS - 2 s after the load
 * ends. With the default 1 s that wait is anywhere from 0 to 1 s, depending on when the last body began
 * (CI once saw 5 ms), and could not tell the window's end from the flush.
 */
const FLUSH_MS = 4000;

test('bench: a short run with a mix writes a report whose figures add up', { timeout: 180_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'zpa-bench-test-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  // The bench's scratch directories go to a TMPDIR of this test's own: other bench runs (the option
  // combinations test, in parallel with this one) make and remove theirs in the shared one meanwhile.
  const scratch = join(out, 'tmp');
  mkdirSync(scratch);
  const child = spawn(process.execPath, [RUN, '--mix', 'UserActivity=3,UserStatus=1', '--connections', '2', '--duration-s', '2', '--compression', 'zstd', '--latency-share', '0.5', '--decode-every', '1', '--relay-config', JSON.stringify({ output: { flushIntervalMs: FLUSH_MS } }), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: scratch } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  // The accounting warnings only: a latency-drift warning depends on the machine's load, not on the relay.
  assert.doesNotMatch(stdout, /WARNING: (\d+ records sent|the stand-in saw)/, 'sent = delivered + refused, and the stand-in saw every delivered line');
  const left = readdirSync(scratch);
  assert.deepEqual(left, [], 'the relay\'s scratch directory (config, dead-letter store) is removed');

  const files = readdirSync(out).filter((f) => f !== 'tmp');
  const json = files.find((f) => f.endsWith('.json'));
  assert.ok(json && files.includes(json.replace(/\.json$/, '.html')), files.join(','));
  const report = JSON.parse(readFileSync(join(out, json), 'utf8')) as BenchReport;
  assert.deepEqual(report.options['mix'], { 'Zscaler.ZPA.UserActivity': 0.75, 'Zscaler.ZPA.UserStatus': 0.25 });
  assert.equal(report.steps.length, 2, 'one full-speed step and the latency step');
  const [full, half] = report.steps as [BenchReport['steps'][0], BenchReport['steps'][0]];
  // 2 connections asked, 75/25: UserActivity gets 2 (rounded), UserStatus at least 1.
  assert.equal(full.connections, 3);
  assert.ok(full.recordsPerSecond > 1000, `${full.recordsPerSecond} records/s`);
  assert.equal(full.rejected, 0, 'generated records pass the schema');
  const by = full.recordsPerSecondByLogType!;
  const statusShare = by['Zscaler.ZPA.UserStatus']! / (by['Zscaler.ZPA.UserStatus']! + by['Zscaler.ZPA.UserActivity']!);
  assert.ok(Math.abs(statusShare - 0.25) < 0.05, `UserStatus share ${statusShare}`);
  assert.ok(half.targetRate > 0 && half.targetRate < full.recordsPerSecond);
  assert.ok(half.latencyP99Ms !== null && half.latencyP99Ms >= half.latencyP50Ms!, 'probes came back');
  // The latency step decodes every body, so every probe sent is timed: one per 512 User Activity records
  // (75% of these), about 1 in 684; with one body in eight decoded it would be about 1 in 5,500.
  const sentRecords = half.recordsPerSecond * half.seconds;
  assert.ok(half.latencyProbes > sentRecords / 1000, `${half.latencyProbes} probes timed of about ${Math.round(sentRecords / 512)} sent`);
  // The rates are over the full-speed window, which ends once the relay has checked every record: the last
  // partial body's wait for the output's flush timer comes after it, in settleSeconds. Counted in the window,
  // it took up to a second (the default flushIntervalMs) off every step's records/s and cores busy.
  assert.ok(full.settleSeconds! > FLUSH_MS / 1000 - full.loadSeconds - 0.5, `settled ${full.settleSeconds} s after the last record was checked, load ${full.loadSeconds} s: the flush timer is ${FLUSH_MS} ms`);
  assert.ok(full.seconds < full.loadSeconds + full.settleSeconds! - 0.3, `window ${full.seconds} s, load ${full.loadSeconds} s, settle ${full.settleSeconds} s`);
  assert.ok(full.gzipRatio > 2 && full.relayPeakRssMb > 50);
  assert.equal(full.corePercent.length, availableParallelism(), 'one figure per core');
  assert.ok(full.corePercent.every((p) => p >= 0 && p <= 100) && full.corePercent.some((p) => p > 0), full.corePercent.join(','));
  assert.match(report.sizing ?? '', /^One pod with \d+ cores handles \d+ records\/s \([\d.]+ MB\/s\) of 75% UserActivity, 25% UserStatus at \d+% CPU; plan for 70% of that per pod: \d+ records\/s\.$/);
  const html = readFileSync(join(out, json.replace(/\.json$/, '.html')), 'utf8');
  assert.ok(html.includes(report.sizing!) && html.includes('Records/s by log type') && html.includes('CPU per core') && html.includes('<svg'));
});
