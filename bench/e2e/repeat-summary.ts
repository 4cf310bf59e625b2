/**
 * What a run of several rounds (--repeat N) concludes: each step's median over the rounds, and with
 * --policy-names the ratio of refused to accepted traffic per round and its median. Why medians: on a
 * shared machine one run's steps vary by 15-20% (README, "Using every core"), so a goal read off one run
 * says as much about the machine's minute as about the relay; the issues that set those goals read them
 * as medians of three runs, and `--repeat 3` is that in one command.
 */
import type { StepResult } from './report.js';

/** One step label's figures over the rounds: medians, with the range of MB/s and the highest peak RSS. */
export interface MedianRow {
  label: string;
  rounds: number;
  mbPerSecondIn: number;
  mbPerSecondInMin: number;
  mbPerSecondInMax: number;
  recordsPerSecond: number;
  relayCpuCores: number;
  benchCpuCores: number;
  /** Per core of the machine, the median of its busy % over the rounds. */
  corePercent: number[];
  /** The highest of the rounds' peaks: a memory bound holds in every round or not at all. */
  relayPeakRssMbMax: number;
}

/** A traffic with policy names against accepted traffic, at one step label (of the refused traffic). */
export interface RatioRow {
  label: string;
  /** Refused traffic's records/s over accepted traffic's, in each round that ran both (in round order). */
  byRound: number[];
  median: number;
  relayPeakRssMbMax: number;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Each step label's medians over the rounds, in the order the labels first ran. Steps stopped early are left out. */
export function medianRows(steps: readonly StepResult[]): MedianRow[] {
  const byLabel = new Map<string, StepResult[]>();
  for (const s of steps) {
    if (s.stoppedEarly !== undefined) continue;
    let list = byLabel.get(s.label);
    if (list === undefined) byLabel.set(s.label, (list = []));
    list.push(s);
  }
  return [...byLabel].map(([label, list]) => {
    const mb = list.map((s) => s.mbPerSecondIn);
    const cores = Math.max(...list.map((s) => s.corePercent.length));
    return {
      label,
      rounds: list.length,
      mbPerSecondIn: median(mb),
      mbPerSecondInMin: Math.min(...mb),
      mbPerSecondInMax: Math.max(...mb),
      recordsPerSecond: median(list.map((s) => s.recordsPerSecond)),
      relayCpuCores: median(list.map((s) => s.relayCpuCores)),
      benchCpuCores: median(list.map((s) => s.benchCpuCores)),
      corePercent: Array.from({ length: cores }, (_, i) => median(list.flatMap((s) => (s.corePercent[i] === undefined ? [] : [s.corePercent[i]!])))),
      relayPeakRssMbMax: Math.max(...list.map((s) => s.relayPeakRssMb)),
    };
  });
}

/**
 * For each step label of the refused traffic (its label holds `refusedTag`), the ratio of its records/s to
 * the accepted step of the same label (`acceptedTag` in its place) in the same round, and their median.
 */
export function acceptedRatios(steps: readonly StepResult[], acceptedTag: string, refusedTag: string): RatioRow[] {
  const rows = new Map<string, { byRound: number[]; rss: number[] }>();
  for (const s of steps) {
    if (!s.label.includes(refusedTag) || s.stoppedEarly !== undefined) continue;
    const a = steps.find((x) => x.round === s.round && x.label === s.label.replace(refusedTag, acceptedTag) && x.stoppedEarly === undefined);
    if (a === undefined || a.recordsPerSecond <= 0) continue;
    let row = rows.get(s.label);
    if (row === undefined) rows.set(s.label, (row = { byRound: [], rss: [] }));
    row.byRound.push(s.recordsPerSecond / a.recordsPerSecond);
    row.rss.push(s.relayPeakRssMb);
  }
  return [...rows].map(([label, r]) => ({ label, byRound: r.byRound, median: median(r.byRound), relayPeakRssMbMax: Math.max(...r.rss) }));
}

/**
 * The steps the sizing line reads, with each label's median figures (`medians`, medianRows of the same
 * steps) in place of one round's: the first round's step, carrying the medians of records/s, MB/s and relay
 * CPU over every round.
 */
export function medianSteps(steps: readonly StepResult[], medians: readonly MedianRow[]): StepResult[] {
  const rows = new Map(medians.map((r) => [r.label, r]));
  const firsts = new Map<string, StepResult>();
  for (const s of steps) if (s.stoppedEarly === undefined && !firsts.has(s.label)) firsts.set(s.label, s);
  return [...firsts.values()].map((s) => {
    const r = rows.get(s.label)!;
    return { ...s, recordsPerSecond: r.recordsPerSecond, mbPerSecondIn: r.mbPerSecondIn, relayCpuCores: r.relayCpuCores };
  });
}
