/**
 * The figures an operator signs a pod off with after a soak: does its memory keep growing (the RSS slope
 * after warm-up, with its fit), does its latency creep up (p99 per tenth of the run), and a verdict in words.
 * Pure functions over what the step recorded, so that they are tested on made-up series.
 */

/** A least-squares line through points, with how well it fits and how sure its slope is. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** Share of the variance the line explains (0..1). */
  r2: number;
  /**
   * Standard error of the slope, widened for serial correlation: one-second RSS samples are not independent
   * (a garbage collection lowers several in a row), so the residuals' lag-1 autocorrelation r shrinks the
   * effective number of samples to n(1-r)/(1+r) (the usual AR(1) correction). Without it the interval
   * would claim a certainty the samples do not carry.
   */
  slopeStdErr: number;
  n: number;
  /** Effective number of independent samples after that correction. */
  effectiveN: number;
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const res = Array.from({ length: n }, (_, i) => ys[i]! - (intercept + slope * xs[i]!));
  const sse = res.reduce((a, r) => a + r * r, 0);
  let lag = 0;
  for (let i = 1; i < n; i++) lag += res[i]! * res[i - 1]!;
  const rho = sse > 0 ? Math.max(0, Math.min(0.99, lag / sse)) : 0;
  const effectiveN = Math.max(3, (n * (1 - rho)) / (1 + rho));
  // The variance of the slope scales as 1/n: with effectiveN independent samples it is n/effectiveN times larger.
  const slopeStdErr = Math.sqrt(sse / (n - 2) / sxx) * Math.sqrt(n / effectiveN);
  return { slope, intercept, r2: syy > 0 ? 1 - sse / syy : 1, slopeStdErr, n, effectiveN };
}

/**
 * The RSS fit an operator reads: slope in MB/h after warm-up, its 95% interval, and the verdict. Growing means
 * a slope above GROWTH_MB_PER_H whose interval excludes zero; anything else is stable (the interval says how
 * sure). 1 MB/h is 24 MB a day, about a tenth of a 2-core pod's 250-300 MB at this load: a slower creep is
 * within what a soak of an hour or less can tell from the collector's sawtooth.
 */
export const GROWTH_MB_PER_H = 1;

export interface RssTrend {
  warmupS: number;
  fromS: number;
  toS: number;
  samples: number;
  meanMb: number;
  slopeMbPerHour: number;
  ci95MbPerHour: [number, number];
  interceptMb: number;
  r2: number;
  effectiveSamples: number;
  /**
   * The same fit over the second half of that window alone. A line through a step (RSS that rose once and then
   * held) has a slope as steep as a steady leak; the second half tells them apart: flat there, the growth
   * was a step, and the verdict says so.
   */
  lastHalf: { slopeMbPerHour: number; ci95MbPerHour: [number, number] } | null;
  verdict: string;
  stable: boolean;
}

/** Warm-up: a fifth of the run, at most 10 minutes (the relay's RSS settled within about 2 minutes at 60k records/s). */
export function warmupSeconds(durationS: number): number {
  return Math.min(600, durationS / 5);
}

export function rssTrend(t: readonly number[], rssMb: readonly number[], durationS: number): RssTrend | null {
  const warmupS = warmupSeconds(durationS);
  const xs: number[] = [];
  const ys: number[] = [];
  t.forEach((x, i) => {
    if (x >= warmupS) {
      xs.push(x / 3600);
      ys.push(rssMb[i]!);
    }
  });
  const fit = linearFit(xs, ys);
  if (fit === null) return null;
  const meanMb = ys.reduce((a, b) => a + b, 0) / ys.length;
  const half = 1.96 * fit.slopeStdErr;
  const ci: [number, number] = [fit.slope - half, fit.slope + half];
  const stable = !(fit.slope > GROWTH_MB_PER_H && ci[0] > 0);
  const f = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
  const warm = warmupS >= 120 ? `${Math.round(warmupS / 60)} min` : `${Math.round(warmupS)} s`;
  const verdict = stable
    ? `stable: RSS ${f(fit.slope)} MB/h (95%: ${f(ci[0])} to ${f(ci[1])}) after ${warm} of warm-up, around ${meanMb.toFixed(0)} MB`
    : `growing at ${fit.slope.toFixed(1)} MB/h (95%: ${f(ci[0])} to ${f(ci[1])}), ${Math.round(fit.slope * 24)} MB a day from ${meanMb.toFixed(0)} MB`;
  const mid = (xs[0]! + xs[xs.length - 1]!) / 2;
  const lateAt = xs.findIndex((x) => x >= mid);
  const late = linearFit(xs.slice(lateAt), ys.slice(lateAt));
  const lastHalf = late === null ? null : { slopeMbPerHour: late.slope, ci95MbPerHour: [late.slope - 1.96 * late.slopeStdErr, late.slope + 1.96 * late.slopeStdErr] as [number, number] };
  const stepped = !stable && lastHalf !== null && !(lastHalf.slopeMbPerHour > GROWTH_MB_PER_H && lastHalf.ci95MbPerHour[0] > 0);
  const step = stepped
    ? `; but not in the fit's second half (${f(lastHalf.slopeMbPerHour)} MB/h, 95%: ${f(lastHalf.ci95MbPerHour[0])} to ${f(lastHalf.ci95MbPerHour[1])}): RSS stepped up and then held, which a longer soak tells from a slow leak`
    : '';
  const windowMin = (xs[xs.length - 1]! - xs[0]!) * 60;
  // An hour's slope from a few minutes of samples is mostly the collector's sawtooth: the verdict says so.
  const caveat = windowMin < 20 ? ` (fitted over ${windowMin.toFixed(1)} min: soak 30 min or more for a slope to sign off)` : '';
  return {
    warmupS,
    fromS: xs[0]! * 3600,
    toS: xs[xs.length - 1]! * 3600,
    samples: fit.n,
    meanMb,
    slopeMbPerHour: fit.slope,
    ci95MbPerHour: ci,
    interceptMb: fit.intercept,
    r2: fit.r2,
    effectiveSamples: Math.round(fit.effectiveN),
    lastHalf,
    verdict: verdict + step + caveat,
    stable,
  };
}

/** Latency over one tenth of a step, by the time its probes were sent. */
export interface Tenth {
  fromS: number;
  toS: number;
  probes: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Splits probes ([seconds since the step began when sent, latency ms]) into ten equal spans of `spanS`. */
export function latencyByTenth(probes: ReadonlyArray<readonly [number, number]>, spanS: number): Tenth[] {
  const buckets: number[][] = Array.from({ length: 10 }, () => []);
  const width = Math.max(spanS, 1e-9) / 10;
  for (const [at, ms] of probes) buckets[Math.max(0, Math.min(9, Math.floor(at / width)))]!.push(ms);
  return buckets.map((b, i) => {
    b.sort((x, y) => x - y);
    return { fromS: i * width, toS: (i + 1) * width, probes: b.length, p50Ms: percentile(b, 50), p99Ms: percentile(b, 99) };
  });
}

/** A tenth needs this many probes for its p99 to be more than its worst one or two. */
export const MIN_PROBES_PER_TENTH = 20;

/**
 * Whether p99 drifts upward through a step: the median p99 of the last three tenths against that of tenths
 * 2-4 (the first is left out as warm-up). Drifting is at least 1.5x and 20 ms more: queueing that builds up
 * (a relay that falls behind its load) rather than a slow second on a shared machine. Null when it cannot
 * tell (too few probes), with the reason in `note`.
 */
export function p99Drift(tenths: readonly Tenth[]): { drifting: boolean | null; note: string } {
  const p = (ts: readonly Tenth[]) => {
    const v = ts.filter((x) => x.probes >= MIN_PROBES_PER_TENTH && x.p99Ms !== null).map((x) => x.p99Ms!).sort((a, b) => a - b);
    return v.length < 2 ? null : v[v.length >> 1]!;
  };
  const early = p(tenths.slice(1, 4));
  const late = p(tenths.slice(7, 10));
  if (early === null || late === null) return { drifting: null, note: `too few probes to tell (fewer than ${MIN_PROBES_PER_TENTH} in most tenths)` };
  const drifting = late >= 1.5 * early && late - early >= 20;
  return { drifting, note: `${drifting ? 'p99 drifts upward' : 'p99 steady'}: ${late.toFixed(0)} ms in the last tenths against ${early.toFixed(0)} ms in tenths 2-4` };
}
