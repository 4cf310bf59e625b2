/**
 * The soak's figures on made-up series whose answer is known: a leak of 5 MB/h under a collector's sawtooth
 * is called growing, a flat RSS with the same sawtooth stable; p99 by tenth and its drift; the chart's points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyByTenth, linearFit, p99Drift, rssTrend, warmupSeconds } from '../../bench/e2e/soak-analysis.js';
import { lineChart, ticks } from '../../bench/e2e/line-chart.js';
import { rng } from '../../bench/lss/generate.js';

/** An hour of one-second RSS samples: a warm-up rise, then `slopeMbPerH` plus a 20 s sawtooth of 12 MB and noise. */
function rss(slopeMbPerH: number, seed: number): { t: number[]; mb: number[] } {
  const r = rng(seed);
  const t = Array.from({ length: 3600 }, (_, i) => i + 1);
  const mb = t.map((s) => 200 + 40 * Math.min(1, s / 120) + (slopeMbPerH * s) / 3600 + 12 * ((s % 20) / 20) + 2 * (r() - 0.5));
  return { t, mb };
}

test('soak: the RSS slope after warm-up tells a 5 MB/h leak from a flat pod under the same sawtooth', () => {
  assert.equal(warmupSeconds(3600), 600);
  assert.equal(warmupSeconds(1800), 360);
  const leak = rss(5, 1);
  const grows = rssTrend(leak.t, leak.mb, 3600)!;
  assert.ok(Math.abs(grows.slopeMbPerHour - 5) < 1, `${grows.slopeMbPerHour} MB/h`);
  assert.ok(grows.ci95MbPerHour[0] < 5 && grows.ci95MbPerHour[1] > 5, `interval ${grows.ci95MbPerHour.join(' to ')} holds the true slope`);
  assert.equal(grows.stable, false);
  assert.match(grows.verdict, /^growing at [45]\.\d MB\/h/);
  assert.equal(grows.fromS, 600, 'the fit starts after the warm-up');

  const flat = rss(0, 2);
  const steady = rssTrend(flat.t, flat.mb, 3600)!;
  assert.equal(steady.stable, true, steady.verdict);
  assert.match(steady.verdict, /^stable: RSS [+-]\d+\.\d MB\/h \(95%: .+\) after 10 min of warm-up/);
  assert.doesNotMatch(steady.verdict, /soak 30 min or more/, 'a 50 min window needs no caveat');

  // A step of 30 MB a quarter into the window, flat after it: growing over the window, but flat in its second half.
  const stepped = rssTrend(flat.t, flat.mb.map((mb, i) => mb + (flat.t[i]! > 1300 ? 30 : 0)), 3600)!;
  assert.equal(stepped.stable, false);
  assert.match(stepped.verdict, /^growing at \d+\.\d MB\/h .*; but not in the fit's second half .*RSS stepped up and then held/);
  assert.doesNotMatch(grows.verdict, /stepped up/, 'a steady leak grows in both halves');

  // The serial correlation of the sawtooth widens the interval: the effective samples are far fewer than 3,000.
  assert.ok(steady.effectiveSamples < steady.samples / 2, `${steady.effectiveSamples} of ${steady.samples}`);
  assert.equal(rssTrend([1, 2], [1, 2], 2), null, 'too few samples: no fit');
  assert.match(rssTrend([10, 20, 30, 40], [1, 1, 1, 1], 40)!.verdict, /soak 30 min or more/);
});

test('soak: linearFit is ordinary least squares', () => {
  const f = linearFit([0, 1, 2, 3], [1, 3, 5, 7])!;
  assert.equal(f.slope, 2);
  assert.equal(f.intercept, 1);
  assert.equal(f.r2, 1);
});

test('soak: p99 by tenth of the send times, and drift called only for a sustained rise', () => {
  const probes = (p99: (tenth: number) => number) =>
    Array.from({ length: 1000 }, (_, i) => {
      const tenth = Math.floor(i / 100);
      return [tenth * 60 + (i % 100) * 0.5, i % 100 === 99 ? p99(tenth) : 40] as const;
    });
  const flat = latencyByTenth(probes(() => 150), 600);
  assert.equal(flat.length, 10);
  assert.deepEqual(flat.map((t) => t.probes), Array(10).fill(100));
  assert.deepEqual(flat.map((t) => t.p99Ms), Array(10).fill(150));
  assert.equal(p99Drift(flat).drifting, false);
  const rising = latencyByTenth(probes((k) => 100 + 40 * k), 600);
  assert.equal(p99Drift(rising).drifting, true, p99Drift(rising).note);
  assert.match(p99Drift(rising).note, /p99 drifts upward: 420 ms in the last tenths against 180 ms in tenths 2-4/);
  // One slow tenth at the end on a shared machine is not drift (the median of the last three).
  assert.equal(p99Drift(latencyByTenth(probes((k) => (k === 9 ? 2000 : 150)), 600)).drifting, false);
  assert.equal(p99Drift(latencyByTenth([[1, 10]], 600)).drifting, null, 'too few probes');
});

test('line chart: a polyline per series with a point per sample, broken at a gap; round ticks', () => {
  assert.deepEqual(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(ticks(0, 1.2, 5), [0, 0.5, 1, 1.5]);
  const svg = lineChart({ title: 'T', unit: 'MB', t: [1, 2, 3, 4, 5], lines: [{ name: 'a', values: [1, 2, null, 4, 5], color: '#000' }, { name: 'b', values: [5, 4, 3, 2, 1], color: '#111' }] });
  const lines = [...svg.matchAll(/<polyline class="series" data-series="(\w)"[^>]*points="([^"]*)"/g)].map((m) => [m[1], m[2]!.split(' ').length]);
  assert.deepEqual(lines, [['a', 2], ['a', 2], ['b', 5]]);
  assert.match(lineChart({ title: 'T', unit: 'MB', t: [1], lines: [{ name: 'a', values: [1], color: '#000' }] }), /not enough samples/);
  // A long soak is thinned to at most 1,200 points a line.
  const t = Array.from({ length: 14_400 }, (_, i) => i);
  const long = lineChart({ title: 'T', unit: 'MB', t, lines: [{ name: 'a', values: t.map((x) => x % 7), color: '#000' }] });
  assert.ok(/points="([^"]*)"/.exec(long)![1]!.split(' ').length <= 1200);
});
