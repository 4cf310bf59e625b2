/**
 * The bench's outputs: bench/results/<time>.json and a self-contained HTML report with inline SVG charts
 * (no scripts, no network), plus the capacity-planning sizing line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortLogType } from '../lss/generate.js';

export interface StepResult {
  label: string;
  connections: number;
  targetRate: number;
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
}

export interface BenchReport {
  time: string;
  machine: { cpus: number; model: string; node: string; memoryGb: number };
  options: Record<string, unknown>;
  /** zlib level 1 on one core: the median of the run's samples (and their range), and its compression ratio. */
  baseline: { zlibLevel1MBps: number; ratio: number; min?: number; max?: number; samples?: number };
  steps: StepResult[];
  sizing: string;
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
  const rows = steps.map((s) => `<tr><td>${s.label}</td>${types.map((t) => `<td>${Math.round(s.recordsPerSecondByLogType?.[t] ?? 0)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>Records/s by log type</h2><table><tr><th>step</th>${head}</tr>\n${rows}</table>`;
}

export function writeReport(dir: string, r: BenchReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.time.replace(/[:.]/g, '-');
  const json = join(dir, `${stamp}.json`);
  const html = join(dir, `${stamp}.html`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  const rows = r.steps
    .map((s) => `<tr><td>${s.label}</td><td>${s.connections}</td><td>${Math.round(s.recordsPerSecond)}</td><td>${s.mbPerSecondIn.toFixed(1)}</td><td>${(s.mbPerSecondIn / r.baseline.zlibLevel1MBps).toFixed(2)}</td><td>${s.gzipRatio.toFixed(1)}</td><td>${s.requestsPerSecond.toFixed(1)}</td><td>${Math.round(s.meanBodyBytes)}</td><td>${s.latencyP50Ms?.toFixed(0) ?? '-'}</td><td>${s.latencyP99Ms?.toFixed(0) ?? '-'}</td><td>${s.relayCpuCores.toFixed(2)}</td><td>${s.corePercent.map((p) => p.toFixed(0)).join(' / ')}</td><td>${s.relayPeakRssMb.toFixed(0)}</td><td>${s.rejected}</td></tr>`)
    .join('\n');
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>zpa-relay bench ${r.time}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}</style></head><body>
<h1>zpa-relay capacity bench</h1>
<p>${r.time} on ${r.machine.cpus} cores (${r.machine.model}), Node ${r.machine.node}, ${r.machine.memoryGb} GB. Load generator and Panther stand-in run on the same machine.</p>
<p><b>${r.sizing}</b></p>
<p>Baseline: zlib gzip level 1 on one core compresses these records at ${r.baseline.zlibLevel1MBps.toFixed(1)} MB/s (ratio ${r.baseline.ratio.toFixed(1)}; median of ${r.baseline.samples ?? 1} samples taken through the run${r.baseline.min !== undefined ? `, ${r.baseline.min.toFixed(0)}-${(r.baseline.max ?? 0).toFixed(0)} MB/s` : ""}).</p>
<table><tr><th>step</th><th>conns</th><th>records/s</th><th>MB/s in</th><th>x zlib-1</th><th>gzip ratio</th><th>req/s</th><th>mean body B</th><th>p50 ms</th><th>p99 ms</th><th>relay CPU cores</th><th>cores busy %</th><th>peak RSS MB</th><th>rejects</th></tr>
${rows}</table>
${byLogType(r.steps)}
<h2>Charts</h2>
${bars('Throughput by step (MB/s in)', 'MB/s', r.steps.map((s) => [s.label, s.mbPerSecondIn]))}<br>
${bars('Latency p50 / p99 (ms)', 'ms', r.steps.flatMap((s) => (s.latencyP50Ms === null ? [] : [[`${s.label} p50`, s.latencyP50Ms], [`${s.label} p99`, s.latencyP99Ms ?? 0]] as Array<[string, number]>)))}<br>
${bars('Relay CPU (cores)', 'cores', r.steps.map((s) => [s.label, s.relayCpuCores]))}<br>
${bars('CPU per core, whole machine (%)', '%', r.steps.flatMap((s) => s.corePercent.map((p, i) => [`${s.label} core ${i}`, p] as [string, number])))}<br>
${bars('Relay peak RSS (MB)', 'MB', r.steps.map((s) => [s.label, s.relayPeakRssMb]))}
<h2>Options</h2><pre>${JSON.stringify(r.options, null, 2)}</pre>
</body></html>
`;
  writeFileSync(html, page);
  return { json, html };
}
