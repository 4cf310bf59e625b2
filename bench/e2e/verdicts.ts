/**
 * What a run concludes: the sizing line (from the best full-speed step, or why there is none) and a soak's
 * verdict and flags (from its one step's figures).
 */
import { availableParallelism } from 'node:os';
import type { BenchOptions } from './bench-options.js';
import type { SoakResult, StepResult } from './report.js';
import { rssTrend } from './soak-analysis.js';

/** The sizing line needs a full-speed step: without one (every step at --rate) it is left out and the note says why. */
export function sizingOf(steps: readonly StepResult[], opt: BenchOptions, mixLabel: string): { sizing: string | null; sizingNote?: string } {
  const n = availableParallelism();
  const candidates = steps.filter((s) => s.targetRate === 0 && s.label.startsWith(opt.compression[0]!) && s.stoppedEarly === undefined);
  if (candidates.length === 0) {
    const why = opt.soak
      ? 'a soak runs at a set rate (--rate)'
      : opt.rate > 0
        ? `every step ran at a set rate (--rate ${opt.rate}), not as fast as the relay can take`
        : 'no full-speed step finished';
    return { sizing: null, sizingNote: `No sizing line: it needs a step at full speed, and ${why}. Run \`npm run bench\` without --rate for the records/s a pod sustains.` };
  }
  const full = candidates.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  return {
    sizing: `One pod with ${n} cores handles ${Math.round(full.recordsPerSecond)} records/s (${full.mbPerSecondIn.toFixed(1)} MB/s) of ${mixLabel} at ${Math.round((full.relayCpuCores / n) * 100)}% CPU; plan for 70% of that per pod: ${Math.round(full.recordsPerSecond * 0.7)} records/s.`,
  };
}

/** A soak's analysis of its one step: the RSS fit, p99 drift, records accounted for, errors, the rate held. */
export function soakOf(s: StepResult, opt: BenchOptions): SoakResult {
  const rss = rssTrend(s.series.t, s.series.rssMb, s.loadSeconds);
  const flags: string[] = [];
  if (s.stoppedEarly !== undefined) flags.push(`stopped after ${(s.loadSeconds / 60).toFixed(1)} of ${(opt.durationMs / 60_000).toFixed(1)} min: ${s.stoppedEarly}`);
  if (s.p99Drift.drifting === true) flags.push(s.p99Drift.note);
  if (s.p99Drift.drifting === null) flags.push(`p99 drift not judged: ${s.p99Drift.note}`);
  const unaccounted = s.sent - s.delivered - s.rejected;
  if (unaccounted !== 0) flags.push(`${unaccounted} of ${s.sent} records sent were neither delivered nor refused`);
  if (s.receivedByStandIn !== null && s.receivedByStandIn !== s.delivered) flags.push(`the stand-in decoded ${s.receivedByStandIn} records, the relay reports ${s.delivered} delivered`);
  const e = s.errors;
  const errorCount = e.failedRequests + e.retries + e.sinkRejectedBatches + e.workerErrors + e.spoolWriteErrors;
  if (errorCount > 0) flags.push(`errors: ${e.failedRequests} failed requests, ${e.retries} retries, ${e.sinkRejectedBatches} bodies refused, ${e.workerErrors} worker errors, ${e.spoolWriteErrors} spool write errors`);
  const achievedRate = s.sent / s.loadSeconds;
  if (achievedRate < 0.98 * opt.rate) flags.push(`the load generator sent ${Math.round(achievedRate)} records/s of the ${opt.rate} planned: the relay (or this machine) did not keep up`);
  // The machine's busy cores less the relay's and the bench's own: anything else running shrinks the relay's
  // share of the cores, and an operator should know the figures came from a shared machine.
  const otherCpuCores = Math.max(0, s.corePercent.reduce((a, p) => a + p, 0) / 100 - s.relayCpuCores - s.benchCpuCores);
  if (otherCpuCores > 0.2) flags.push(`other work on this machine used about ${otherCpuCores.toFixed(2)} of its ${s.corePercent.length} cores through the soak (beyond the relay's ${s.relayCpuCores.toFixed(2)} and the bench's ${s.benchCpuCores.toFixed(2)}): a pod with the cores to itself has more headroom`);
  const paused = s.pausedSeconds / s.loadSeconds;
  if (paused > 0.01) flags.push(`ingestion was paused by backpressure ${(paused * 100).toFixed(1)}% of the time: at this rate the pod is at its capacity at times`);
  return { plannedSeconds: opt.durationMs / 1000, rate: opt.rate, achievedRate, otherCpuCores, rss, verdict: rss?.verdict ?? 'no verdict on memory: too few samples after warm-up (a soak needs at least a few seconds past it)', flags };
}
