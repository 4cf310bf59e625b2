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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BenchSink } from './e2e/bench-sink.js';
import { connectionsFor, recordPool, runLoad } from './e2e/load-generator.js';
import { shortLogType } from './lss/generate.js';
import { coreBusyPercent, coreTimes, sample, selfCpuSeconds } from './e2e/process-stats.js';
import { writeReport, type StepResult } from './e2e/report.js';
import { ZlibBaseline } from './e2e/zlib-baseline.js';
import { BENCH_USAGE, parseBenchArgs } from './e2e/bench-options.js';
import { spawnRelay } from '../test/helpers/relay-process.js';
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

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * The traffics each mode runs, each against a relay of its own: with --policy-names, accepted traffic first
 * and then the traffic with that share of policy names, so the two compare in the same run (records/s and
 * peak RSS), their order fixed; otherwise the one traffic asked for. `label` goes into the step labels.
 */
const traffics: ReadonlyArray<{ label: string; policyNameShare: number }> =
  opt.policyNameShare > 0 ? [{ label: ', accepted', policyNameShare: 0 }, { label: `, policy names ${Math.round(opt.policyNameShare * 100)}%`, policyNameShare: opt.policyNameShare }] : [{ label: '', policyNameShare: 0 }];

/** Runs every step against a fresh relay process sending bodies compressed with `compression`. */
async function runMode(compression: string, sink: BenchSink, steps: StepResult[], pools: readonly Buffer[][], baseline: ZlibBaseline, traffic = ''): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-bench-'));
  const cfgFile = join(dir, 'relay.yaml');
  writeFileSync(
    cfgFile,
    stringify({
      // One listener per log type, as LSS sends one log type per receiver.
      listeners: mix.map((m) => ({ name: shortLogType(m.logType), host: '127.0.0.1', port: 0, logType: m.logType })),
      admin: { host: '127.0.0.1', port: 0 },
      output: { type: 'http', http: { url: sink.url, auth: { type: 'none' }, compression } },
      deadLetter: { path: join(dir, 'dl') },
      ...(opt.maxBufferedBytes !== undefined ? { maxBufferedBytes: opt.maxBufferedBytes } : {}),
      ...opt.relayConfig,
    }),
  );
  const relay = await spawnRelay(['run', '--config', cfgFile], { cwd: dir, bin: opt.relayBin });
  const pid = relay.child.pid!;

  /** Records the relay has delivered and refused so far, in all and per log type of the mix, from its own metrics. */
  const counters = async (): Promise<{ delivered: number; rejected: number; byLogType: Map<string, number> }> => {
    const text = await (await fetch(`http://127.0.0.1:${relay.adminPort}/metrics`)).text();
    const settled = (labels: Record<string, string> = {}) => sumMetric(text, 'zpa_relay_records_delivered_total', labels) + sumMetric(text, 'zpa_relay_records_rejected_total', labels);
    const byLogType = new Map(mix.map((m) => [m.logType, settled({ log_type: m.logType })]));
    return { delivered: sumMetric(text, 'zpa_relay_records_delivered_total'), rejected: sumMetric(text, 'zpa_relay_records_rejected_total'), byLogType };
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
    const p0 = sample(pid);
    const cpu0 = selfCpuSeconds();
    const cores0 = coreTimes();
    const w0 = now();
    let peak = p0.rssBytes;
    const progress = setInterval(() => {
      const p = sample(pid);
      peak = Math.max(peak, p.rssBytes);
      const secs = (now() - w0) / 1000;
      process.stdout.write(`\r${label}: ${secs.toFixed(0)} s, ${((sink.stats.bodyBytes - s0.bodyBytes) / 1e6 / secs).toFixed(1)} MB/s of bodies received, RSS ${(p.rssBytes / 1e6).toFixed(0)} MB   `);
    }, 1000);
    const targets = mix.map((m, i) => ({ logType: m.logType, pool: pools[i]!, port: relay.ports[shortLogType(m.logType)]!, share: m.share }));
    const load = await runLoad(targets, { connections, rate, durationMs, now });
    // Wait for the tail to be settled: delivered, or refused by the schema (bounded).
    const deadline = now() + 30_000;
    let c1 = await counters();
    while (c1.delivered - c0.delivered + c1.rejected - c0.rejected < load.records && now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      c1 = await counters();
    }
    clearInterval(progress);
    process.stdout.write('\n');
    const seconds = (now() - w0) / 1000;
    const p1 = sample(pid);
    peak = Math.max(peak, p1.rssBytes);
    const delivered = c1.delivered - c0.delivered;
    const byLogType = Object.fromEntries(mix.map((m) => [m.logType, (c1.byLogType.get(m.logType)! - c0.byLogType.get(m.logType)!) / seconds]));
    const rejected = c1.rejected - c0.rejected;
    if (delivered + rejected !== load.records) console.log(`WARNING: ${load.records} records sent, ${delivered} delivered and ${rejected} refused`);
    const decodedLines = sink.stats.lines - s0.lines;
    if (decodeEvery === 1 && decodedLines !== delivered) console.log(`WARNING: the stand-in saw ${decodedLines} lines, the relay reports ${delivered} delivered`);
    const bodySizes = sink.stats.bodySizes.slice(s0.bodySizes);
    const latencies: number[] = [];
    for (const [seq, sent] of load.probesSent) {
      const got = sink.stats.probes.get(seq);
      if (got !== undefined && sent >= 0) latencies.push(got - sent);
    }
    latencies.sort((a, b) => a - b);
    const result: StepResult = {
      label,
      connections: opened,
      targetRate: rate,
      seconds,
      // Records the relay finished with: delivered, or checked, refused and dead-lettered.
      recordsPerSecond: (delivered + rejected) / seconds,
      mbPerSecondIn: (load.bytes / 1e6) / seconds,
      requestsPerSecond: (sink.stats.requests - s0.requests) / seconds,
      meanBodyBytes: bodySizes.reduce((n, b) => n + b, 0) / Math.max(1, bodySizes.length),
      maxBodyBytes: Math.max(0, ...bodySizes),
      gzipRatio: (sink.stats.rawBytes - s0.rawBytes) / Math.max(1, sink.stats.decodedBodyBytes - s0.decodedBodyBytes),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyProbes: latencies.length,
      relayCpuCores: (p1.cpuSeconds - p0.cpuSeconds) / seconds,
      benchCpuCores: (selfCpuSeconds() - cpu0) / seconds,
      corePercent: coreBusyPercent(cores0, coreTimes()),
      relayPeakRssMb: peak / 1e6,
      rejected,
      ...(mix.length > 1 ? { recordsPerSecondByLogType: byLogType } : {}),
    };
    console.log(
      `${label}: ${Math.round(result.recordsPerSecond)} records/s, ${result.mbPerSecondIn.toFixed(1)} MB/s in (${(result.mbPerSecondIn / baseline.mbPerSecond).toFixed(2)}x zlib-1 so far), ` +
        `gzip ${result.gzipRatio.toFixed(1)}x, ${result.requestsPerSecond.toFixed(1)} req/s of ${Math.round(result.meanBodyBytes)} B, ` +
        `latency p50 ${result.latencyP50Ms?.toFixed(0)} ms p99 ${result.latencyP99Ms?.toFixed(0)} ms (${latencies.length} probes), relay CPU ${result.relayCpuCores.toFixed(2)} cores, ` +
        `bench CPU ${result.benchCpuCores.toFixed(2)} cores, cores busy ${result.corePercent.map((p) => `${p.toFixed(0)}%`).join('/')}, peak RSS ${result.relayPeakRssMb.toFixed(0)} MB, rejects ${rejected}`,
    );
    if (mix.length > 1) console.log(`  by log type: ${Object.entries(byLogType).map(([lt, r]) => `${shortLogType(lt)} ${Math.round(r)} records/s (${Math.round((r / result.recordsPerSecond) * 100)}%)`).join(', ')}`);
    // Baseline samples between steps, with the relay idle (see ZlibBaseline).
    baseline.sample(2);
    return result;
  };

  try {
    const mine: StepResult[] = [];
    for (const c of opt.connections) mine.push(await step('full speed', c, opt.rate, decodeEvery));
    const bestAt = mine.reduce((b, s, i) => (s.recordsPerSecond > mine[b]!.recordsPerSecond ? i : b), 0);
    const share = opt.latencyShare;
    // The latency step decodes every body: each probe is timed (not one in decodeEvery), and below full speed
    // the relay has the CPU this takes to spare.
    if (share > 0) mine.push(await step(`${Math.round(share * 100)}% of full speed`, opt.connections[bestAt]!, Math.round(mine[bestAt]!.recordsPerSecond * share), 1));
    steps.push(...mine);
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
    // The relay's config and dead-letter store (up to deadLetter.maxBytes with refused traffic) go with it.
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
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
  for (const compression of opt.compression) for (const [k, t] of traffics.entries()) await runMode(compression, sink, steps, poolsOf[k]!, baseline, t.label);
  await sink.close();
  const n = availableParallelism();
  const full = steps.filter((s) => s.targetRate === 0 && s.label.startsWith(opt.compression[0]!)).reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const sizing = `One pod with ${n} cores handles ${Math.round(full.recordsPerSecond)} records/s (${full.mbPerSecondIn.toFixed(1)} MB/s) of ${mixLabel} at ${Math.round((full.relayCpuCores / n) * 100)}% CPU; plan for 70% of that per pod: ${Math.round(full.recordsPerSecond * 0.7)} records/s.`;
  const { min, max, samples } = baseline.range;
  console.log(`baseline: zlib level 1, one core: median ${baseline.mbPerSecond.toFixed(1)} MB/s of ${samples} samples through the run (${min.toFixed(0)}-${max.toFixed(0)})`);
  for (const s of steps) console.log(`  ${s.label}: ${s.mbPerSecondIn.toFixed(1)} MB/s = ${(s.mbPerSecondIn / baseline.mbPerSecond).toFixed(2)}x zlib-1`);
  if (traffics.length > 1) {
    // Each step with policy names against the accepted step of the same mode and speed, in this run.
    for (const s of steps.filter((x) => x.label.includes(traffics[1]!.label))) {
      const a = steps.find((x) => x.label === s.label.replace(traffics[1]!.label, traffics[0]!.label));
      if (a !== undefined) console.log(`  ${s.label}: ${(s.recordsPerSecond / a.recordsPerSecond).toFixed(2)}x the records/s of accepted traffic (${Math.round(s.recordsPerSecond)} against ${Math.round(a.recordsPerSecond)}), peak RSS ${Math.round(s.relayPeakRssMb)} against ${Math.round(a.relayPeakRssMb)} MB`);
    }
  }
  console.log(sizing);
  const report = writeReport(opt.out, {
    time: new Date().toISOString(),
    machine: { cpus: n, model: cpus()[0]?.model ?? 'unknown', node: process.version, memoryGb: Math.round(totalmem() / 2 ** 30) },
    options: { logType: mix[0]!.logType, mix: Object.fromEntries(mix.map((m) => [m.logType, m.share])), connections: [...opt.connections], durationS: durationMs / 1000, rate: opt.rate, compression: opt.compression.join(','), policyNameShare: opt.policyNameShare, decodeEvery, relayBin: opt.relayBin ?? 'this checkout' },
    baseline: { zlibLevel1MBps: baseline.mbPerSecond, ratio: baseline.ratio, ...baseline.range },
    steps,
    sizing,
  });
  console.log(`wrote ${report.json} and ${report.html}`);
}

await main();
