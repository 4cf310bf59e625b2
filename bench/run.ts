/**
 * `npm run bench`: capacity planning for zpa-relay. Runs the real relay process against a local Panther
 * stand-in, drives LSS-shaped traffic over TCP, and reports records/s, MB/s, gzip ratio, requests and body
 * sizes, end-to-end latency (record written to the socket -> body received), CPU, peak RSS and rejects,
 * next to a baseline (zlib level 1 on one core over the same bytes, sampled through the run: ZlibBaseline).
 *
 *   npm run bench -- [options]      (`npm run bench -- --help` lists them: bench/e2e/bench-options.ts)
 *
 * The load generator and the stand-in share the machine with the relay, as they do in PERFORMANCE.md.
 */
import { cpus, totalmem, availableParallelism, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BenchSink } from './e2e/bench-sink.js';
import { connectionsFor, recordPool, runLoad } from './e2e/load-generator.js';
import { shortLogType } from './lss/generate.js';
import { coreBusyPercent, coreTimes, sample, selfCpuSeconds } from './e2e/process-stats.js';
import { stepName, writeReport, type StepErrors, type StepResult } from './e2e/report.js';
import { StepSampler } from './e2e/step-sampler.js';
import { relayConfigProblems, writeRelayConfig } from './e2e/relay-config.js';
import { sizingOf, soakOf } from './e2e/verdicts.js';
import { acceptedRatios, medianRows, medianSteps } from './e2e/repeat-summary.js';
import { latencyByTenth, p99Drift, percentile } from './e2e/soak-analysis.js';
import { ZlibBaseline } from './e2e/zlib-baseline.js';
import { BENCH_USAGE, parseBenchArgs } from './e2e/bench-options.js';
import { spawnRelay } from '../test/helpers/relay-process.js';
import { StoreSweeper } from './e2e/store-sweeper.js';
import { sumMetric } from '../test/helpers/metrics-text.js';

const args = parseBenchArgs(process.argv.slice(2));
if (args.help) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
if ('problems' in args) {
  console.error(`bench: ${args.problems.length} problem(s) with the command line:\n${args.problems.map((p) => `  - ${p}`).join('\n')}\n\n${BENCH_USAGE}`);
  process.exit(2);
}
const opt = args.options;

const now = () => performance.now();
const { mix, durationMs, decodeEvery } = opt;
/** "Zscaler.ZPA.UserActivity", or "80% UserActivity, 20% UserStatus" for a mix (by records). */
const mixLabel = mix.length === 1 ? mix[0]!.logType : mix.map((m) => `${Math.round(m.share * 100)}% ${shortLogType(m.logType)}`).join(', ');

/**
 * Ctrl-C ends the step under way as if its time were up: its records are settled and the report is written
 * with what was measured (a soak stopped at its second hour still says what it saw). A second Ctrl-C exits.
 */
const interrupted = new AbortController();
process.on('SIGINT', () => {
  if (interrupted.signal.aborted) process.exit(130);
  console.log('\ninterrupted: ending this step and writing the report (Ctrl-C again to quit at once)');
  interrupted.abort();
});

/** The relay's counters a step reads at its start and end, from its own metrics. */
interface Counters {
  /** Records the workers have checked (zpa_relay_records_received_total): accepted and refused alike. */
  received: number;
  delivered: number;
  rejected: number;
  byLogType: Map<string, number>;
  errors: StepErrors;
  pausedSeconds: number;
}

/**
 * The traffics each mode runs, each against a relay of its own: with --policy-names, accepted traffic first
 * and then the traffic with that share of policy names, so the two compare in the same run (records/s and
 * peak RSS), their order fixed; otherwise the one traffic asked for. `label` goes into the step labels.
 */
const traffics: ReadonlyArray<{ label: string; policyNameShare: number }> =
  opt.policyNameShare > 0 ? [{ label: ', accepted', policyNameShare: 0 }, { label: `, policy names ${Math.round(opt.policyNameShare * 100)}%`, policyNameShare: opt.policyNameShare }] : [{ label: '', policyNameShare: 0 }];

/**
 * Runs every step against a fresh relay process sending bodies compressed with `compression`; `round` is
 * the round of a run with --repeat (undefined for a single round).
 */
async function runMode(compression: string, sink: BenchSink, steps: StepResult[], pools: readonly Buffer[][], baseline: ZlibBaseline, traffic = '', round?: number): Promise<void> {
  /** What the console lines add to a step's label in a run of several rounds. */
  const inRound = round === undefined ? '' : ` (round ${round} of ${opt.repeat})`;
  const dir = mkdtempSync(join(tmpdir(), 'zpa-bench-'));
  const cfgFile = writeRelayConfig(opt, dir, compression, sink.url);
  let relay: Awaited<ReturnType<typeof spawnRelay>>;
  try {
    relay = await spawnRelay(['run', '--config', cfgFile], { cwd: dir, bin: opt.relayBin });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = relay.child.pid!;
  const sweeper = new StoreSweeper(join(dir, 'dl'));
  sweeper.start();
  // The relay ending on its own (a crash, the OOM killer) ends the step under way and then the run.
  const relayGone = new AbortController();
  let stopping = false;
  let exitCode: number | null | undefined;
  void relay.exited.then((code) => {
    if (stopping) return;
    exitCode = code;
    relayGone.abort();
  });
  const relayDied = () => `the relay exited with code ${exitCode} (stderr: ${relay.stderr().trim().slice(-500) || 'empty'})`;

  /** Records the relay has delivered and refused so far, in all and per log type, and its errors; null if it did not answer. */
  const counters = async (): Promise<Counters | null> => {
    let text: string;
    try {
      text = await (await fetch(`http://127.0.0.1:${relay.adminPort}/metrics`)).text();
    } catch {
      return null; // The relay is gone: the caller keeps its last reading (see relayGone).
    }
    const m = (name: string, labels: Record<string, string> = {}) => sumMetric(text, name, labels);
    const settled = (labels: Record<string, string> = {}) => m('zpa_relay_records_delivered_total', labels) + m('zpa_relay_records_rejected_total', labels);
    const byLogType = new Map(mix.map((x) => [x.logType, settled({ log_type: x.logType })]));
    const ok = ['200', '201', '202', '204'].reduce((n, status) => n + m('zpa_relay_requests_total', { status }), 0);
    return {
      received: m('zpa_relay_records_received_total'),
      delivered: m('zpa_relay_records_delivered_total'),
      rejected: m('zpa_relay_records_rejected_total'),
      byLogType,
      errors: {
        failedRequests: m('zpa_relay_requests_total') - ok,
        retries: m('zpa_relay_retries_total'),
        sinkRejectedBatches: m('zpa_relay_sink_rejected_batches_total'),
        workerErrors: m('zpa_relay_worker_errors_total'),
        spoolWriteErrors: m('zpa_relay_spool_write_errors_total'),
      },
      pausedSeconds: m('zpa_relay_ingest_paused_seconds_total'),
    };
  };

  /** Where the load goes: each log type of the mix to its listener. */
  const targets = () => mix.map((m, i) => ({ logType: m.logType, pool: pools[i]!, port: relay.ports[shortLogType(m.logType)]!, share: m.share }));
  const loadSignal = () => AbortSignal.any([interrupted.signal, relayGone.signal]);

  /**
   * Reads the relay's counters every `everyMs` until `done` holds for them, for 30 s at most, and not for a
   * relay that is gone. Returns the last counters read (`c0` if none could be).
   */
  const pollCounters = async (c0: Counters, everyMs: number, done: (c: Counters) => boolean): Promise<Counters> => {
    const deadline = now() + 30_000;
    let last = c0;
    for (;;) {
      const c = relayGone.signal.aborted ? null : await counters();
      if (c !== null) last = c;
      if (c === null || done(c) || now() >= deadline) return last;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  /** The relay's CPU and RSS now, or `earlier` if it is gone (relayGone): no figure beyond the samples already taken. */
  const sampleOr = (earlier: ReturnType<typeof sample>): ReturnType<typeof sample> => {
    try {
      return sample(pid);
    } catch {
      return earlier;
    }
  };

  /** Waits for the records sent since `c0` to be settled: delivered, or refused by the schema. Returns the last counters read. */
  const settled = (c0: Counters, records: number): Promise<Counters> =>
    pollCounters(c0, 100, (c) => c.delivered - c0.delivered + c.rejected - c0.rejected >= records);

  /**
   * Waits until the workers have checked the `records` sent since `c0` (polled every 20 ms), and reads the
   * clock, the relay's and the bench's CPU and the cores' times at that moment: the end of the step's
   * full-speed window. Why not at `settled`: the last accepted records then wait for the output's flush timer
   * (output.flushIntervalMs, 1 s), with the relay and the machine nearly idle, and counting that wait as the
   * step's time took about a second off every step: 9% of the records/s of a 10 s step, 14% of a 6 s one,
   * and 89% "cores busy" for a step whose cores were 97-100% busy in /proc/stat second by second
   * (2026-12-03). What remains after this moment is the main thread sending the last bodies, a few
   * milliseconds of work.
   */
  const checked = async (c0: Counters, records: number, p0: ReturnType<typeof sample>): Promise<{ at: number; relayCpuSeconds: number; benchCpuSeconds: number; cores: ReturnType<typeof coreTimes>; requests: number }> => {
    await pollCounters(c0, 20, (c) => c.received - c0.received >= records);
    return { at: now(), relayCpuSeconds: sampleOr(p0).cpuSeconds, benchCpuSeconds: selfCpuSeconds(), cores: coreTimes(), requests: sink.stats.requests };
  };

  /**
   * One step, labelled `${compression}, ${speed}, N conn`: N is what opens for `connections` asked (with a mix
   * every log type has at least one connection of its own, so a step may open more than asked).
   */
  const step = async (speed: string, connections: number, rate: number, decodeEvery: number): Promise<StepResult> => {
    const opened = connectionsFor(connections, mix).reduce((a, b) => a + b, 0);
    const label = `${compression}${traffic}, ${speed}, ${opened} conn`;
    sink.decodeEvery = decodeEvery;
    // Probe numbers start again at 0 in every step: arrivals seen in an earlier step must not match them.
    sink.stats.probes.clear();
    const s0 = { ...sink.stats, bodySizes: sink.stats.bodySizes.length };
    const c0 = await counters();
    if (c0 === null) throw new Error(relayDied());
    const p0 = sample(pid);
    const cpu0 = selfCpuSeconds();
    const cores0 = coreTimes();
    const w0 = now();
    const tally = { records: 0, bytes: 0 };
    const sampler = new StepSampler(pid, relay.adminPort, now, () => ({ in: tally.bytes, out: sink.stats.bodyBytes }), w0);
    // Every second; more often in a step of a few seconds (the tests' 1 s steps), for a line rather than a dot.
    sampler.begin(Math.min(1000, Math.max(200, durationMs / 10)), (x) => {
      const i = x.t.length - 1;
      const secs = x.t[i]!;
      // A soak prints its progress in minutes, with the figures that tell whether it holds.
      const time = opt.soak ? `${(secs / 60).toFixed(1)} of ${(durationMs / 60_000).toFixed(0)} min` : `${secs.toFixed(0)} s`;
      process.stdout.write(`\r${label}${inRound}: ${time}, ${((sink.stats.bodyBytes - s0.bodyBytes) / 1e6 / secs).toFixed(1)} MB/s of bodies received, ${x.mbIn[i]!.toFixed(0)} MB/s in, RSS ${x.rssMb[i]!.toFixed(0)} MB, buffered ${x.bufferedMb[i]?.toFixed(1) ?? '-'} MB   `);
    });
    const load = await runLoad(targets(), { connections, rate, durationMs, now, tally, signal: loadSignal() });
    const loadSeconds = (now() - w0) / 1000;
    const full = await checked(c0, load.records, p0);
    const c1 = await settled(c0, load.records);
    await sampler.stop();
    process.stdout.write('\n');
    const seconds = (full.at - w0) / 1000;
    const settleSeconds = (now() - full.at) / 1000;
    const p1 = sampleOr(p0);
    const peak = Math.max(sampler.peakRssBytes, p1.rssBytes);
    const delivered = c1.delivered - c0.delivered;
    const byLogType = Object.fromEntries(mix.map((m) => [m.logType, (c1.byLogType.get(m.logType)! - c0.byLogType.get(m.logType)!) / seconds]));
    const rejected = c1.rejected - c0.rejected;
    if (delivered + rejected !== load.records) console.log(`WARNING: ${load.records} records sent, ${delivered} delivered and ${rejected} refused`);
    const decodedLines = sink.stats.lines - s0.lines;
    if (decodeEvery === 1 && decodedLines !== delivered) console.log(`WARNING: the stand-in saw ${decodedLines} lines, the relay reports ${delivered} delivered`);
    const bodySizes = sink.stats.bodySizes.slice(s0.bodySizes);
    // A loop, not Math.max(...bodySizes): a soak's hundreds of thousands of bodies overflow the call stack as arguments.
    let maxBody = 0;
    let sumBody = 0;
    for (const b of bodySizes) {
      sumBody += b;
      if (b > maxBody) maxBody = b;
    }
    const latencies: number[] = [];
    const timed: Array<[number, number]> = [];
    for (const [seq, sent] of load.probesSent) {
      const got = sink.stats.probes.get(seq);
      if (got !== undefined && sent >= 0) {
        latencies.push(got - sent);
        timed.push([(sent - w0) / 1000, got - sent]);
      }
    }
    latencies.sort((a, b) => a - b);
    // The tenths leave out probes of the run's last 2 s (in a step of 10 s or more): once the load stops, the
    // last partial batch waits for output.flushIntervalMs (1 s) before it goes, which is the end of the run,
    // not a relay falling behind, and it made the last tenth of a 30 s soak look like drift.
    const tailS = loadSeconds >= 10 ? 2 : 0;
    const tenths = latencyByTenth(timed.filter(([at]) => at < loadSeconds - tailS), loadSeconds - tailS);
    const drift = p99Drift(tenths);
    const errors = Object.fromEntries(Object.entries(c1.errors).map(([k, v]) => [k, v - c0.errors[k as keyof StepErrors]])) as unknown as StepErrors;
    const stoppedEarly = relayGone.signal.aborted ? relayDied() : interrupted.signal.aborted ? 'interrupted (Ctrl-C)' : undefined;
    const result: StepResult = {
      label,
      ...(round !== undefined ? { round } : {}),
      connections: opened,
      targetRate: rate,
      seconds,
      // Records the relay finished with: delivered, or checked, refused and dead-lettered.
      recordsPerSecond: (delivered + rejected) / seconds,
      mbPerSecondIn: (load.bytes / 1e6) / seconds,
      requestsPerSecond: (full.requests - s0.requests) / seconds,
      meanBodyBytes: sumBody / Math.max(1, bodySizes.length),
      maxBodyBytes: maxBody,
      gzipRatio: (sink.stats.rawBytes - s0.rawBytes) / Math.max(1, sink.stats.decodedBodyBytes - s0.decodedBodyBytes),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyProbes: latencies.length,
      relayCpuCores: (full.relayCpuSeconds - p0.cpuSeconds) / seconds,
      benchCpuCores: (full.benchCpuSeconds - cpu0) / seconds,
      corePercent: coreBusyPercent(cores0, full.cores),
      relayPeakRssMb: peak / 1e6,
      rejected,
      ...(mix.length > 1 ? { recordsPerSecondByLogType: byLogType } : {}),
      sent: load.records,
      delivered,
      receivedByStandIn: decodeEvery === 1 ? decodedLines : null,
      errors,
      pausedSeconds: c1.pausedSeconds - c0.pausedSeconds,
      loadSeconds,
      settleSeconds,
      tenths,
      p99Drift: drift,
      series: sampler.series,
      ...(stoppedEarly !== undefined ? { stoppedEarly } : {}),
    };
    const fx = (n: number | null) => (n === null ? '-' : n.toFixed(0));
    console.log(
      `${label}${inRound}: ${Math.round(result.recordsPerSecond)} records/s over ${seconds.toFixed(1)} s (+${settleSeconds.toFixed(1)} s to settle), ${result.mbPerSecondIn.toFixed(1)} MB/s in (${(result.mbPerSecondIn / baseline.mbPerSecond).toFixed(2)}x zlib-1 so far), ` +
        `gzip ${result.gzipRatio.toFixed(1)}x, ${result.requestsPerSecond.toFixed(1)} req/s of ${Math.round(result.meanBodyBytes)} B, ` +
        `latency p50 ${fx(result.latencyP50Ms)} ms p99 ${fx(result.latencyP99Ms)} ms (${latencies.length} probes), relay CPU ${result.relayCpuCores.toFixed(2)} cores, ` +
        `bench CPU ${result.benchCpuCores.toFixed(2)} cores, cores busy ${result.corePercent.map((p) => `${p.toFixed(0)}%`).join('/')}, peak RSS ${result.relayPeakRssMb.toFixed(0)} MB, rejects ${rejected}`,
    );
    if (mix.length > 1) console.log(`  by log type: ${Object.entries(byLogType).map(([lt, r]) => `${shortLogType(lt)} ${Math.round(r)} records/s (${Math.round((r / result.recordsPerSecond) * 100)}%)`).join(', ')}`);
    if (drift.drifting === true) console.log(`WARNING: ${drift.note}`);
    if (stoppedEarly !== undefined) console.log(`step stopped early: ${stoppedEarly}`);
    // Baseline samples between steps, with the relay idle (see ZlibBaseline).
    baseline.sample(2);
    return result;
  };

  /**
   * Full-speed traffic the relay takes before its first step, not measured (--warmup-s): a fresh process
   * ramps up over its first seconds (the JIT compiles the hot paths, V8 sizes its heaps, the buffer pools
   * fill), which a pod that has run for a while has done. Without it, the first step of each relay
   * measured that ramp too: 152-185 MB/s in its first second against 300-400 later (2026-12-02).
   */
  const warmUp = async (): Promise<void> => {
    if (opt.warmupMs <= 0) return;
    const c0 = await counters();
    if (c0 === null) throw new Error(relayDied());
    const load = await runLoad(targets(), { connections: opt.connections[0]!, rate: opt.rate, durationMs: opt.warmupMs, now, signal: loadSignal() });
    await settled(c0, load.records);
    console.log(`${compression}${traffic}${inRound}: warm-up, ${(opt.warmupMs / 1000).toFixed(0)} s of traffic not measured (${load.records} records)`);
  };

  try {
    const mine: StepResult[] = [];
    try {
      await warmUp();
      if (relayGone.signal.aborted) throw new Error(relayDied());
      for (const c of opt.connections) {
        mine.push(await step(opt.soak ? 'soak' : opt.rate > 0 ? `${opt.rate} records/s` : 'full speed', c, opt.rate, decodeEvery));
        if (interrupted.signal.aborted || relayGone.signal.aborted) break;
      }
      const bestAt = mine.reduce((b, s, i) => (s.recordsPerSecond > mine[b]!.recordsPerSecond ? i : b), 0);
      const share = opt.latencyShare;
      // The latency step decodes every body: each probe is timed (not one in decodeEvery), and below full speed
      // the relay has the CPU this takes to spare.
      if (share > 0 && mine.length > 0 && !interrupted.signal.aborted && !relayGone.signal.aborted) {
        mine.push(await step(`${Math.round(share * 100)}% of ${opt.rate > 0 ? 'the set rate' : 'full speed'}`, opt.connections[bestAt]!, Math.round(mine[bestAt]!.recordsPerSecond * share), 1));
      }
    } finally {
      steps.push(...mine);
    }
    if (relayGone.signal.aborted) throw new Error(relayDied());
  } finally {
    await sweeper.stop();
    if (sweeper.files > 0) console.log(`(${compression}${traffic}: ${sweeper.files} dead-letter files the relay had closed, ${(sweeper.bytes / 1e6).toFixed(0)} MB, were removed during the run so that its store did not fill; see bench/e2e/store-sweeper.ts)`);
    stopping = true;
    relay.child.kill('SIGTERM');
    await relay.exited;
    // The relay's config and dead-letter store (up to deadLetter.maxBytes with refused traffic) go with it.
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const configProblems = relayConfigProblems(opt);
  if (configProblems.length > 0) {
    console.error(`bench: ${configProblems.length} problem(s) with the command line:\n${configProblems.map((p) => `  - ${p}`).join('\n')}`);
    return 2;
  }
  const poolsOf = traffics.map((t) => mix.map((m, i) => recordPool(m.logType, 1 + i, t.policyNameShare)));
  const pools = poolsOf[poolsOf.length - 1]!;
  const meanBytes = pools.map((p) => p.reduce((n, b) => n + b.length, 0) / p.length);
  const recordBytes = mix.reduce((n, m, i) => n + m.share * meanBytes[i]!, 0);
  // Baseline: one core, zlib level 1, the same bytes (about 64 MB of the pools, in the mix's proportions by
  // records), sampled through the run.
  const corpusRecords = Math.ceil(64e6 / recordBytes);
  const corpus = Buffer.concat(mix.flatMap((m, i) => Array.from({ length: Math.round(corpusRecords * m.share) }, (_, k) => pools[i]![k % pools[i]!.length]!)));
  const baseline = new ZlibBaseline(corpus);
  baseline.sample(3);
  console.log(`baseline: zlib level 1, one core: ${baseline.mbPerSecond.toFixed(1)} MB/s, ratio ${baseline.ratio.toFixed(2)} (${mixLabel}, ${Math.round(recordBytes)} B/record)`);

  const sink = new BenchSink(now, decodeEvery);
  await sink.start();
  const steps: StepResult[] = [];
  let error: string | undefined;
  const rounds = opt.repeat;
  try {
    for (let round = 1; round <= rounds && !interrupted.signal.aborted; round++) {
      for (const compression of opt.compression) {
        // Accepted and refused traffic swap places every other round: the machine's drift over a run then
        // favours neither in the medians of their ratio.
        const order = round % 2 === 1 ? [...traffics.keys()] : [...traffics.keys()].reverse();
        for (const k of order) {
          await runMode(compression, sink, steps, poolsOf[k]!, baseline, traffics[k]!.label, rounds > 1 ? round : undefined);
          if (interrupted.signal.aborted) break;
        }
        if (interrupted.signal.aborted) break;
      }
    }
  } catch (err) {
    // The report is still written with the steps measured so far, and says why the run ended.
    error = (err as Error).message;
    console.error(`bench: the run ended early: ${error}`);
  }
  await sink.close();
  const n = availableParallelism();
  const medians = rounds > 1 ? medianRows(steps) : undefined;
  const ratios = rounds > 1 && traffics.length > 1 ? acceptedRatios(steps, traffics[0]!.label, traffics[1]!.label) : undefined;
  const { sizing, sizingNote } = sizingOf(medians !== undefined ? medianSteps(steps, medians) : steps, opt, mixLabel);
  const soak = opt.soak && steps[0] !== undefined ? soakOf(steps[0], opt) : undefined;
  const { min, max, samples } = baseline.range;
  console.log(`baseline: zlib level 1, one core: median ${baseline.mbPerSecond.toFixed(1)} MB/s of ${samples} samples through the run (${min.toFixed(0)}-${max.toFixed(0)})`);
  for (const s of steps) console.log(`  ${stepName(s)}: ${s.mbPerSecondIn.toFixed(1)} MB/s = ${(s.mbPerSecondIn / baseline.mbPerSecond).toFixed(2)}x zlib-1`);
  if (medians !== undefined) {
    console.log(`medians of ${rounds} rounds:`);
    const x = (mb: number) => (mb / baseline.mbPerSecond).toFixed(2);
    for (const m of medians) {
      console.log(
        `  ${m.label}: ${m.mbPerSecondIn.toFixed(1)} MB/s = ${x(m.mbPerSecondIn)}x zlib-1 (${x(m.mbPerSecondInMin)}-${x(m.mbPerSecondInMax)} over ${m.rounds} rounds), ` +
          `${Math.round(m.recordsPerSecond)} records/s, relay CPU ${m.relayCpuCores.toFixed(2)} cores, cores busy ${m.corePercent.map((p) => `${p.toFixed(0)}%`).join('/')}, peak RSS at most ${m.relayPeakRssMbMax.toFixed(0)} MB`,
      );
    }
    for (const r of ratios ?? []) console.log(`  ${r.label}: median ${r.median.toFixed(2)}x the records/s of accepted traffic (${r.byRound.map((v) => v.toFixed(2)).join(' / ')} by round), peak RSS at most ${r.relayPeakRssMbMax.toFixed(0)} MB`);
  } else if (traffics.length > 1) {
    // Each step with policy names against the accepted step of the same mode and speed, in this run.
    for (const s of steps.filter((x) => x.label.includes(traffics[1]!.label))) {
      const a = steps.find((x) => x.label === s.label.replace(traffics[1]!.label, traffics[0]!.label));
      if (a !== undefined) console.log(`  ${s.label}: ${(s.recordsPerSecond / a.recordsPerSecond).toFixed(2)}x the records/s of accepted traffic (${Math.round(s.recordsPerSecond)} against ${Math.round(a.recordsPerSecond)}), peak RSS ${Math.round(s.relayPeakRssMb)} against ${Math.round(a.relayPeakRssMb)} MB`);
    }
  }
  console.log(sizing ?? sizingNote);
  if (soak !== undefined) {
    const s = steps[0]!;
    console.log(`soak verdict: ${soak.verdict}`);
    console.log(`  p99 by tenth (ms): ${s.tenths.map((x) => (x.p99Ms === null ? '-' : x.p99Ms.toFixed(0))).join(' / ')}; ${s.p99Drift.note}`);
    console.log(`  ${s.sent} records sent, ${s.delivered} delivered, ${s.rejected} refused${s.receivedByStandIn !== null ? `, ${s.receivedByStandIn} decoded by the stand-in` : ''}; ingestion paused ${s.pausedSeconds.toFixed(1)} s`);
    for (const f of soak.flags) console.log(`  flagged: ${f}`);
  }
  const report = writeReport(opt.out, {
    time: new Date().toISOString(),
    machine: { cpus: n, model: cpus()[0]?.model ?? 'unknown', node: process.version, memoryGb: Math.round(totalmem() / 2 ** 30) },
    options: { logType: mix[0]!.logType, mix: Object.fromEntries(mix.map((m) => [m.logType, m.share])), connections: [...opt.connections], durationS: durationMs / 1000, rate: opt.rate, compression: opt.compression.join(','), policyNameShare: opt.policyNameShare, decodeEvery, warmupS: opt.warmupMs / 1000, soak: opt.soak, repeat: rounds, relayBin: opt.relayBin ?? 'this checkout' },
    baseline: { zlibLevel1MBps: baseline.mbPerSecond, ratio: baseline.ratio, ...baseline.range },
    steps,
    sizing,
    ...(sizingNote !== undefined ? { sizingNote } : {}),
    ...(soak !== undefined ? { soak } : {}),
    ...(medians !== undefined ? { medians } : {}),
    ...(ratios !== undefined ? { acceptedRatios: ratios } : {}),
    ...(error !== undefined ? { error } : {}),
  });
  console.log(`wrote ${report.json} and ${report.html}`);
  return error !== undefined ? 1 : interrupted.signal.aborted ? 130 : 0;
}

process.exitCode = await main();
