/**
 * What `npm run bench -- --repeat N` concludes from its rounds: each step's medians (MB/s, records/s, CPU,
 * each core's busy share) with the range of MB/s and the highest peak RSS, and with --policy-names the
 * refused-to-accepted ratio taken within each round, never across rounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedRatios, median, medianRows, medianSteps } from '../../bench/e2e/repeat-summary.js';
import type { StepResult } from '../../bench/e2e/report.js';

/** A step with the figures the summary reads; the rest are zeros. */
function step(label: string, round: number, recordsPerSecond: number, rssMb: number, extra: Partial<StepResult> = {}): StepResult {
  return {
    label, round, connections: 4, targetRate: 0, seconds: 10, recordsPerSecond, mbPerSecondIn: recordsPerSecond / 500, requestsPerSecond: 0,
    meanBodyBytes: 0, maxBodyBytes: 0, gzipRatio: 7, latencyP50Ms: null, latencyP99Ms: null, latencyProbes: 0, relayCpuCores: recordsPerSecond / 100_000,
    benchCpuCores: 0.2, corePercent: [80 + round, 90 - round], relayPeakRssMb: rssMb, rejected: 0, sent: 0, delivered: 0, receivedByStandIn: null,
    errors: { failedRequests: 0, retries: 0, sinkRejectedBatches: 0, workerErrors: 0, spoolWriteErrors: 0 }, loadSeconds: 10, pausedSeconds: 0,
    tenths: [], p99Drift: { drifting: null, note: '' }, series: { t: [], mbIn: [], mbOut: [], rssMb: [], relayCpuCores: [], machineCpuCores: [], bufferedMb: [], pausedShare: [] },
    ...extra,
  } as StepResult;
}

const A = 'zstd, accepted, full speed, 4 conn';
const R = 'zstd, policy names 90%, full speed, 4 conn';

test('median: the middle value, or the mean of the two middle ones', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('medianRows: per label, in the order first run; the median of each figure, the range of MB/s, the highest peak RSS', () => {
  const steps = [step(A, 1, 150_000, 260), step(R, 1, 120_000, 290), step(R, 2, 100_000, 301), step(A, 2, 170_000, 255), step(A, 3, 160_000, 270), step(R, 3, 140_000, 280)];
  const rows = medianRows(steps);
  assert.deepEqual(rows.map((r) => r.label), [A, R]);
  const [a, r] = rows as [(typeof rows)[0], (typeof rows)[0]];
  assert.equal(a.rounds, 3);
  assert.equal(a.recordsPerSecond, 160_000);
  assert.equal(a.mbPerSecondIn, 320);
  assert.deepEqual([a.mbPerSecondInMin, a.mbPerSecondInMax], [300, 340]);
  assert.equal(a.relayCpuCores, 1.6);
  assert.deepEqual(a.corePercent, [82, 88], 'each core on its own');
  assert.equal(a.relayPeakRssMbMax, 270);
  // One round above 300 MB is enough to break a memory bound: the highest peak is reported, not the median.
  assert.equal(r.relayPeakRssMbMax, 301);
  assert.equal(r.recordsPerSecond, 120_000);
});

test('acceptedRatios: refused against accepted of the same round, their median; a round without its pair is left out', () => {
  const steps = [step(A, 1, 150_000, 260), step(R, 1, 120_000, 290), step(R, 2, 100_000, 301), step(A, 2, 200_000, 255), step(R, 3, 140_000, 280), step(A, 4, 100_000, 250)];
  const [row] = acceptedRatios(steps, ', accepted', ', policy names 90%');
  assert.ok(row !== undefined);
  assert.equal(row.label, R);
  // Round 3 has no accepted step and round 4 no refused one: two ratios, 0.8 and 0.5.
  assert.deepEqual(row.byRound, [0.8, 0.5]);
  assert.equal(row.median, 0.65);
  assert.equal(row.relayPeakRssMbMax, 301);
});

test('medianSteps: one step per label carrying the medians, for the sizing line; steps stopped early do not count', () => {
  const steps = [step(A, 1, 150_000, 260), step(A, 2, 90_000, 250, { stoppedEarly: 'interrupted (Ctrl-C)' }), step(A, 3, 170_000, 255), step(A, 4, 160_000, 270)];
  const [s, more] = medianSteps(steps, medianRows(steps));
  assert.equal(more, undefined);
  assert.equal(s!.recordsPerSecond, 160_000);
  assert.equal(s!.mbPerSecondIn, 320);
  assert.equal(s!.relayCpuCores, 1.6);
  assert.equal(s!.round, 1, 'the first round\'s step, with the medians in place');
});
