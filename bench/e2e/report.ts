/**
 * The bench's outputs: bench/results/<time>.json and a self-contained HTML report with inline SVG charts
 * (no scripts, no network): bars to compare the steps, line charts of each step over time, the soak's
 * analysis when there was one, and the capacity-planning sizing line when a step ran at full speed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortLogType } from '../lss/generate.js';
import { lineChart } from './line-chart.js';
import type { TimeSeries } from './step-sampler.js';
import type { RssTrend, Tenth } from './soak-analysis.js';
import type { MedianRow, RatioRow } from './repeat-summary.js';

/** What the relay's metrics counted going wrong in a step (all 0 against the bench's stand-in, unless something broke). */
export interface StepErrors {
  /** Output requests that did not end in a 2xx (network errors and timeouts count as status 0). */
  failedRequests: number;
  retries: number;
  sinkRejectedBatches: number;
  workerErrors: number;
  spoolWriteErrors: number;
}
export interface StepResult {
  label: string;
  connections: number;
  targetRate: number;
  /**
   * The step's full-speed window: from its start until the relay had checked every record sent. Records/s,
   * MB/s, requests/s and the CPU and core figures are over it (see `checked` in bench/run.ts).
   */
  seconds: number;
  recordsPerSecond: number;
  mbPerSecondIn: number;
  requestsPerSecond: number;
  meanBodyBytes: number;
  maxBodyBytes: number;
  gzipRatio: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Probes timed: those in the bodies the stand-in decoded (all of them in the latency step). */
  latencyProbes: number;
  relayCpuCores: number;
  benchCpuCores: number;
  /** How busy each core of the machine was during the step (relay, bench and anything else), in %. */
  corePercent: number[];
  relayPeakRssMb: number;
  rejected: number;
  /** With a mix of log types: records/s of each (delivered or refused). */
  recordsPerSecondByLogType?: Record<string, number>;
  /** Records the load generator sent, the relay delivered, and the stand-in decoded (null unless it decoded every body). */
  sent: number;
  delivered: number;
  receivedByStandIn: number | null;
  errors: StepErrors;
  /** Seconds the load generator ran (the step's duration, or less if it was stopped early); `seconds` adds the records still being checked. */
  loadSeconds: number;
  /**
   * Seconds after `seconds` until every record was delivered or dead-lettered: mostly the output's flush timer
   * for the last partial body. Not in the rates (absent in results from before 2026-12-03, whose `seconds`
   * included it).
   */
  settleSeconds?: number;
  /** Seconds the relay's sockets were paused by backpressure (zpa_relay_ingest_paused_seconds_total). */
  pausedSeconds: number;
  /** Latency by tenth of the step (by send time), and whether its p99 drifts upward. */
  tenths: Tenth[];
  p99Drift: { drifting: boolean | null; note: string };
  /** Every second of the step (see StepSampler). */
  series: TimeSeries;
  /** Why the step ended before its time, if it did (Ctrl-C, the relay exiting). */
  stoppedEarly?: string;
  /** With --repeat N: the round (1..N) the step ran in; its label is the same in every round. */
  round?: number;
}

/** A soak's analysis (--soak): one step at a planned rate, read for memory growth, latency drift and loss. */
export interface SoakResult {
  plannedSeconds: number;
  rate: number;
  achievedRate: number;
  /** Cores the rest of the machine kept busy, beyond the relay and the bench (other work on a shared machine). */
  otherCpuCores: number;
  rss: RssTrend | null;
  /** The verdict in words: "stable" or "growing at X MB/h", then anything else that needs a look. */
  verdict: string;
  /** Problems found besides memory: p99 drift, records unaccounted for, errors, a rate not held. */
  flags: string[];
}

export interface BenchReport {
  time: string;
  machine: { cpus: number; model: string; node: string; memoryGb: number };
  options: Record<string, unknown>;
  /** zlib level 1 on one core: the median of the run's samples (and their range), and its compression ratio. */
  baseline: { zlibLevel1MBps: number; ratio: number; min?: number; max?: number; samples?: number };
  steps: StepResult[];
  /** The sizing line, or null when no step ran at full speed (and `sizingNote` says so). */
  sizing: string | null;
  sizingNote?: string;
  soak?: SoakResult;
  /** With --repeat N: each step label's medians over the rounds (the sizing line reads these). */
  medians?: MedianRow[];
  /** With --repeat N and --policy-names: refused against accepted records/s, per round and their median. */
  acceptedRatios?: RatioRow[];
  /** Set when the run ended in an error after some steps: the report holds what was measured up to it. */
  error?: string;
}

/** A step's name in the reports (console, HTML): its label, and its round when the run had several. */
export const stepName = (s: StepResult) => (s.round !== undefined ? `${s.label} (round ${s.round})` : s.label);

/** With --repeat: the medians table, and the refused-to-accepted ratios by round. */
function mediansSection(r: BenchReport): string {
  if (r.medians === undefined || r.medians.length === 0) return '';
  const rounds = Math.max(...r.medians.map((m) => m.rounds));
  const rows = r.medians.map((m) => `<tr><td>${esc(m.label)}</td><td>${m.rounds}</td><td>${Math.round(m.recordsPerSecond)}</td><td>${m.mbPerSecondIn.toFixed(1)}</td><td>${(m.mbPerSecondIn / r.baseline.zlibLevel1MBps).toFixed(2)} (${(m.mbPerSecondInMin / r.baseline.zlibLevel1MBps).toFixed(2)}-${(m.mbPerSecondInMax / r.baseline.zlibLevel1MBps).toFixed(2)})</td><td>${m.relayCpuCores.toFixed(2)}</td><td>${m.corePercent.map((p) => p.toFixed(0)).join(' / ')}</td><td>${m.relayPeakRssMbMax.toFixed(0)}</td></tr>`).join('\n');
  const ratios = (r.acceptedRatios ?? []).map((a) => `<tr><td>${esc(a.label)}</td><td>${a.median.toFixed(2)}</td><td>${a.byRound.map((x) => x.toFixed(2)).join(' / ')}</td><td>${a.relayPeakRssMbMax.toFixed(0)}</td></tr>`).join('\n');
  return `<h2>Medians of ${rounds} rounds</h2>
<table><tr><th>step</th><th>rounds</th><th>records/s</th><th>MB/s in</th><th>x zlib-1 (range)</th><th>relay CPU cores</th><th>cores busy %</th><th>highest peak RSS MB</th></tr>
${rows}</table>
${ratios === '' ? '' : `<h3>Refused traffic against accepted traffic, same round</h3><table><tr><th>step</th><th>median</th><th>by round</th><th>highest peak RSS MB</th></tr>\n${ratios}</table>`}`;
}

function bars(title: string, unit: string, items: Array<[string, number]>): string {
  const rowH = 26;
  // The label column fits the longest label (about 6.5 px a character at 12 px); the bars get 300 px.
  const labelW = 10 + Math.ceil(6.5 * Math.max(10, ...items.map(([label]) => label.length)));
  const barW = 300;
  const w = labelW + barW + 110;
  const max = Math.max(1e-9, ...items.map(([, v]) => v));
  const rows = items
    .map(([label, v], i) => {
      const y = 30 + i * rowH;
      const len = Math.round((v / max) * barW);
      return `<text x="0" y="${y + 15}" font-size="12">${label}</text><rect x="${labelW}" y="${y}" width="${len}" height="18" fill="#3b7dd8"/><text x="${labelW + 5 + len}" y="${y + 14}" font-size="12">${v.toFixed(v < 10 ? 2 : 0)} ${unit}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${40 + items.length * rowH}"><text x="0" y="16" font-size="14" font-weight="bold">${title}</text>${rows}</svg>`;
}

/** With a mix of log types: each step's records/s per log type (empty otherwise). */
function byLogType(steps: readonly StepResult[]): string {
  const types = [...new Set(steps.flatMap((s) => Object.keys(s.recordsPerSecondByLogType ?? {})))].sort();
  if (types.length === 0) return '';
  const head = types.map((t) => `<th>${shortLogType(t)}</th>`).join('');
  const rows = steps.map((s) => `<tr><td>${esc(stepName(s))}</td>${types.map((t) => `<td>${Math.round(s.recordsPerSecondByLogType?.[t] ?? 0)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>Records/s by log type</h2><table><tr><th>step</th>${head}</tr>\n${rows}</table>`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A step's per-second figures as line charts, and what it sent, lost and counted as errors. */
function stepCharts(s: StepResult): string {
  const { series: x } = s;
  const e = s.errors;
  const received = s.receivedByStandIn === null ? 'the stand-in decoded a sample of the bodies' : `${s.receivedByStandIn} decoded by the stand-in`;
  return `<section class="step"><h3>${esc(stepName(s))}</h3>
<p>${s.sent} records sent, ${s.delivered} delivered, ${s.rejected} refused, ${received}; ${e.failedRequests} failed requests, ${e.retries} retries, ${e.sinkRejectedBatches} bodies refused, ${e.workerErrors} worker errors, ${e.spoolWriteErrors} spool write errors; ingestion paused ${s.pausedSeconds.toFixed(1)} s of ${s.seconds.toFixed(0)} s. ${esc(s.p99Drift.note)}.${s.stoppedEarly !== undefined ? ` <b>Stopped early: ${esc(s.stoppedEarly)}.</b>` : ''}</p>
${lineChart({ title: 'Throughput', unit: 'MB/s', t: x.t, lines: [{ name: 'in (records written)', values: x.mbIn, color: '#3b7dd8' }, { name: 'out (bodies received)', values: x.mbOut, color: '#e07b00' }] })}<br>
${lineChart({ title: 'Relay RSS', unit: 'MB', t: x.t, lines: [{ name: 'RSS', values: x.rssMb, color: '#7b3bd8' }], yFromZero: false })}<br>
${lineChart({ title: 'CPU', unit: 'cores', t: x.t, lines: [{ name: 'relay (all threads)', values: x.relayCpuCores, color: '#d83b3b' }, { name: 'whole machine', values: x.machineCpuCores, color: '#888888' }] })}<br>
${lineChart({ title: 'Backlog: zpa_relay_buffered_bytes', unit: 'MB', t: x.t, lines: [{ name: 'buffered', values: x.bufferedMb, color: '#2a9d5c' }] })}<br>
${lineChart({ title: 'Ingestion paused by backpressure', unit: '% of each second', t: x.t, lines: [{ name: 'paused', values: x.pausedShare.map((v) => (v === null ? null : v * 100)), color: '#b5651d' }] })}
</section>`;
}

/** The soak's verdict, its RSS fit drawn over the RSS, and p99 by tenth. */
function soakSection(k: SoakResult, step: StepResult | undefined): string {
  const fit = k.rss;
  const tenths = step?.tenths ?? [];
  // Whole seconds first: rounding only the remainder wrote 239.6 s as 3:60.
  const clock = (sec: number) => `${Math.floor(Math.round(sec) / 60)}:${String(Math.round(sec) % 60).padStart(2, '0')}`;
  const rows = tenths.map((t, i) => `<tr><td>${i + 1}</td><td>${clock(t.fromS)}-${clock(t.toS)}</td><td>${t.probes}</td><td>${t.p50Ms?.toFixed(0) ?? '-'}</td><td>${t.p99Ms?.toFixed(0) ?? '-'}</td></tr>`).join('\n');
  const overlay = fit === null || step === undefined ? [] : [{ name: `fit after warm-up: ${fit.slopeMbPerHour.toFixed(1)} MB/h`, from: [fit.fromS, fit.interceptMb + (fit.slopeMbPerHour * fit.fromS) / 3600] as [number, number], to: [fit.toS, fit.interceptMb + (fit.slopeMbPerHour * fit.toS) / 3600] as [number, number], color: '#000000' }];
  return `<h2>Soak</h2>
<p class="verdict"><b>Verdict: ${esc(k.verdict)}</b></p>
${k.flags.length > 0 ? `<ul class="flags">${k.flags.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '<p>Nothing else flagged: p99 steady, every record accounted for, no errors, the rate held.</p>'}
<p>${(k.plannedSeconds / 60).toFixed(1)} min planned at ${k.rate} records/s; ${Math.round(k.achievedRate)} records/s achieved; other work on the machine used ${k.otherCpuCores.toFixed(2)} cores.${fit === null ? ' Too few samples after warm-up for an RSS fit.' : ` RSS fit over ${(fit.fromS / 60).toFixed(1)}-${(fit.toS / 60).toFixed(1)} min (after ${(fit.warmupS / 60).toFixed(1)} min of warm-up), ${fit.samples} samples (${fit.effectiveSamples} effectively independent): ${fit.slopeMbPerHour.toFixed(2)} MB/h, 95% ${fit.ci95MbPerHour[0].toFixed(2)} to ${fit.ci95MbPerHour[1].toFixed(2)} MB/h, intercept ${fit.interceptMb.toFixed(1)} MB, R² ${fit.r2.toFixed(3)}, mean ${fit.meanMb.toFixed(1)} MB.${fit.lastHalf === null ? '' : ` Its second half alone: ${fit.lastHalf.slopeMbPerHour.toFixed(2)} MB/h, 95% ${fit.lastHalf.ci95MbPerHour[0].toFixed(2)} to ${fit.lastHalf.ci95MbPerHour[1].toFixed(2)} MB/h.`}`}</p>
${step === undefined ? '' : lineChart({ title: 'Soak: relay RSS and its fit after warm-up', unit: 'MB', t: step.series.t, lines: [{ name: 'RSS', values: step.series.rssMb, color: '#7b3bd8' }], yFromZero: false, overlays: overlay })}<br>
${step === undefined ? '' : lineChart({ title: 'Soak: latency p99 by tenth of the run', unit: 'ms', t: tenths.map((t) => (t.fromS + t.toS) / 2), lines: [{ name: 'p99', values: tenths.map((t) => t.p99Ms), color: '#d83b3b' }, { name: 'p50', values: tenths.map((t) => t.p50Ms), color: '#3b7dd8' }] })}
<table><tr><th>tenth</th><th>sent at (min:s)</th><th>probes</th><th>p50 ms</th><th>p99 ms</th></tr>
${rows}</table>`;
}

export function writeReport(dir: string, r: BenchReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.time.replace(/[:.]/g, '-');
  const json = join(dir, `${stamp}.json`);
  const html = join(dir, `${stamp}.html`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  const rows = r.steps
    .map((s) => `<tr><td>${esc(stepName(s))}</td><td>${s.connections}</td><td>${Math.round(s.recordsPerSecond)}</td><td>${s.mbPerSecondIn.toFixed(1)}</td><td>${(s.mbPerSecondIn / r.baseline.zlibLevel1MBps).toFixed(2)}</td><td>${s.gzipRatio.toFixed(1)}</td><td>${s.requestsPerSecond.toFixed(1)}</td><td>${Math.round(s.meanBodyBytes)}</td><td>${s.latencyP50Ms?.toFixed(0) ?? '-'}</td><td>${s.latencyP99Ms?.toFixed(0) ?? '-'}</td><td>${s.relayCpuCores.toFixed(2)}</td><td>${s.corePercent.map((p) => p.toFixed(0)).join(' / ')}</td><td>${s.relayPeakRssMb.toFixed(0)}</td><td>${s.rejected}</td></tr>`)
    .join('\n');
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>zpa-relay bench ${r.time}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}</style></head><body>
<h1>zpa-relay capacity bench</h1>
<p>${r.time} on ${r.machine.cpus} cores (${r.machine.model}), Node ${r.machine.node}, ${r.machine.memoryGb} GB. Load generator and Panther stand-in run on the same machine.</p>
${r.error !== undefined ? `<p style="color:#b00"><b>The run ended early: ${esc(r.error)}</b></p>` : ''}
<p><b>${esc(r.sizing ?? r.sizingNote ?? '')}</b></p>
${r.soak !== undefined ? soakSection(r.soak, r.steps[0]) : ''}
<p>Baseline: zlib gzip level 1 on one core compresses these records at ${r.baseline.zlibLevel1MBps.toFixed(1)} MB/s (ratio ${r.baseline.ratio.toFixed(1)}; median of ${r.baseline.samples ?? 1} samples taken through the run${r.baseline.min !== undefined ? `, ${r.baseline.min.toFixed(0)}-${(r.baseline.max ?? 0).toFixed(0)} MB/s` : ""}).</p>
<table><tr><th>step</th><th>conns</th><th>records/s</th><th>MB/s in</th><th>x zlib-1</th><th>gzip ratio</th><th>req/s</th><th>mean body B</th><th>p50 ms</th><th>p99 ms</th><th>relay CPU cores</th><th>cores busy %</th><th>peak RSS MB</th><th>rejects</th></tr>
${rows}</table>
${mediansSection(r)}
${byLogType(r.steps)}
<h2>Charts</h2>
${bars('Throughput by step (MB/s in)', 'MB/s', r.steps.map((s) => [stepName(s), s.mbPerSecondIn]))}<br>
${bars('Latency p50 / p99 (ms)', 'ms', r.steps.flatMap((s) => (s.latencyP50Ms === null ? [] : [[`${stepName(s)} p50`, s.latencyP50Ms], [`${stepName(s)} p99`, s.latencyP99Ms ?? 0]] as Array<[string, number]>)))}<br>
${bars('Relay CPU (cores)', 'cores', r.steps.map((s) => [stepName(s), s.relayCpuCores]))}<br>
${bars('CPU per core, whole machine (%)', '%', r.steps.flatMap((s) => s.corePercent.map((p, i) => [`${stepName(s)} core ${i}`, p] as [string, number])))}<br>
${bars('Relay peak RSS (MB)', 'MB', r.steps.map((s) => [stepName(s), s.relayPeakRssMb]))}
<h2>Each step over time</h2>
${r.steps.map(stepCharts).join('\n')}
<h2>Options</h2><pre>${JSON.stringify(r.options, null, 2)}</pre>
</body></html>
`;
  writeFileSync(html, page);
  return { json, html };
}
