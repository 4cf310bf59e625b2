/**
 * Line charts over time as inline SVG: no script and no network, so the report opens offline and renders the
 * same in a browser, a mail client's preview or a file viewer. Each series is one or more `<polyline
 * class="series" data-series="NAME">` (a gap in the data, a null, ends a polyline), so the charts can be
 * checked in the rendered DOM.
 */

export interface Line {
  name: string;
  values: ReadonlyArray<number | null>;
  color: string;
}

export interface LineChartSpec {
  title: string;
  /** The y axis' unit, e.g. "MB/s". */
  unit: string;
  /** Seconds since the step began, one per value. */
  t: readonly number[];
  lines: readonly Line[];
  /** The y axis starts at 0 unless told otherwise (an RSS chart reads better from its own minimum). */
  yFromZero?: boolean;
  /** Straight reference lines across the chart, e.g. a fitted slope: [y at the first t, y at the last t]. */
  overlays?: ReadonlyArray<{ name: string; from: [number, number]; to: [number, number]; color: string }>;
}

const W = 760;
const H = 230;
const PAD = { left: 58, right: 16, top: 28, bottom: 42 };
/** More points than pixels across only thickens the line: longer series are averaged into this many buckets. */
const MAX_POINTS = 1200;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) from lo up to the first at or above hi. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  const top = Math.ceil(hi / step - 1e-9) * step;
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= top + step * 1e-9; v += step) out.push(Math.round(v / step) * step + 0); // + 0: no -0 label
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 100 || v === Math.round(v)) return v.toFixed(0);
  return String(Number(v.toFixed(a >= 10 ? 1 : 2)));
}

/** The x axis in seconds, minutes or hours, whichever keeps the labels short. */
function timeUnit(spanS: number): { div: number; name: string } {
  if (spanS > 3 * 3600) return { div: 3600, name: 'h' };
  if (spanS > 600) return { div: 60, name: 'min' };
  return { div: 1, name: 's' };
}

/** Averages `t` and each line into at most MAX_POINTS buckets (a bucket of nulls stays null). */
function thin(t: readonly number[], lines: readonly Line[]): { t: number[]; lines: Line[] } {
  if (t.length <= MAX_POINTS) return { t: [...t], lines: lines.map((l) => ({ ...l, values: [...l.values] })) };
  const k = Math.ceil(t.length / MAX_POINTS);
  const mean = (vs: ReadonlyArray<number | null>) => {
    const ok = vs.filter((v): v is number => v !== null);
    return ok.length === 0 ? null : ok.reduce((a, b) => a + b, 0) / ok.length;
  };
  const tt: number[] = [];
  for (let i = 0; i < t.length; i += k) tt.push(mean(t.slice(i, i + k))!);
  return { t: tt, lines: lines.map((l) => ({ ...l, values: tt.map((_, j) => mean(l.values.slice(j * k, j * k + k))) })) };
}

export function lineChart(spec: LineChartSpec): string {
  const { t, lines } = thin(spec.t, spec.lines);
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  for (const o of spec.overlays ?? []) all.push(o.from[1], o.to[1]);
  if (t.length < 2 || all.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="line-chart empty" width="${W}" height="60"><text x="0" y="16" font-size="14" font-weight="bold">${esc(spec.title)}</text><text x="0" y="40" font-size="12">not enough samples to draw (a step shorter than 2 s)</text></svg>`;
  }
  let lo = spec.yFromZero === false ? Math.min(...all) : Math.min(0, ...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const yt = ticks(lo, hi);
  lo = Math.min(lo, yt[0]!);
  hi = Math.max(hi, yt[yt.length - 1]!);
  const t0 = t[0]!;
  const t1 = t[t.length - 1]!;
  const unit = timeUnit(spec.t[spec.t.length - 1]! - spec.t[0]!);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (s: number) => PAD.left + ((s - t0) / Math.max(t1 - t0, 1e-9)) * pw;
  const y = (v: number) => PAD.top + ph - ((v - lo) / (hi - lo)) * ph;
  const p = (n: number) => n.toFixed(1);

  const grid = yt
    .map((v) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${p(y(v))}" y2="${p(y(v))}" stroke="#e3e3e3"/><text x="${PAD.left - 6}" y="${p(y(v) + 4)}" font-size="11" text-anchor="end">${fmt(v)}</text>`)
    .join('');
  const xt = ticks(t0 / unit.div, t1 / unit.div, 6).filter((v) => v * unit.div >= t0 - 1e-9 && v * unit.div <= t1 + 1e-9);
  const xaxis = xt.map((v) => `<line x1="${p(x(v * unit.div))}" x2="${p(x(v * unit.div))}" y1="${PAD.top + ph}" y2="${PAD.top + ph + 4}" stroke="#888"/><text x="${p(x(v * unit.div))}" y="${PAD.top + ph + 16}" font-size="11" text-anchor="middle">${fmt(v)}</text>`).join('');
  const polylines = lines
    .map((l) => {
      // A null (a scrape the relay did not answer) breaks the line rather than drawing across the gap.
      const runs: string[][] = [[]];
      l.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          if (runs[runs.length - 1]!.length > 0) runs.push([]);
        } else runs[runs.length - 1]!.push(`${p(x(t[i]!))},${p(y(v))}`);
      });
      return runs
        .filter((r) => r.length > 0)
        .map((r) => (r.length === 1 ? `${r[0]} ${r[0]}` : r.join(' ')))
        .map((pts) => `<polyline class="series" data-series="${esc(l.name)}" fill="none" stroke="${l.color}" stroke-width="1.5" stroke-linejoin="round" points="${pts}"/>`)
        .join('');
    })
    .join('');
  const overlays = (spec.overlays ?? [])
    .map((o) => `<line class="overlay" data-series="${esc(o.name)}" x1="${p(x(o.from[0]))}" y1="${p(y(o.from[1]))}" x2="${p(x(o.to[0]))}" y2="${p(y(o.to[1]))}" stroke="${o.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`)
    .join('');
  const legend = [...lines.map((l) => ({ name: l.name, color: l.color, dash: false })), ...(spec.overlays ?? []).map((o) => ({ name: o.name, color: o.color, dash: true }))]
    .map((l, i) => `<g transform="translate(${PAD.left + i * 190},${H - 3})"><line x1="0" x2="18" y1="-4" y2="-4" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 4"' : ''}/><text x="24" y="0" font-size="11">${esc(l.name)}</text></g>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="line-chart" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">` +
    `<text x="0" y="16" font-size="14" font-weight="bold">${esc(spec.title)} (${esc(spec.unit)})</text>${grid}` +
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + ph}" y2="${PAD.top + ph}" stroke="#888"/>${xaxis}` +
    `<text x="${W - PAD.right}" y="${PAD.top + ph + 28}" font-size="11" text-anchor="end">time (${unit.name})</text>${polylines}${overlays}${legend}</svg>`
  );
}
