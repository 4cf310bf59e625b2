/**
 * The HTML report of a short bench run, opened in a real browser (headless Chromium): its line charts are
 * drawn. In the DOM Chromium built, every chart of the step is an SVG with polylines of several points; in its
 * screenshot, the page is not blank and the line colours that only the line charts use are on it.
 *
 * Skips where no Chromium is installed (a stranger's clone); CI installs Debian's `chromium` (.ci/run).
 * CHROMIUM=/path/to/binary picks another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { colouredPixels, decodePng } from '../helpers/png.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

function findChromium(): string | null {
  if (process.env['CHROMIUM'] !== undefined) return process.env['CHROMIUM'];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
      if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

const CHROMIUM = findChromium();

/** Headless Chromium with its own profile (other runs on the machine may have one open) and no sandbox (CI runs as root). */
function chromium(profile: string, ...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Pixels within `tolerance` of the colour `hex` in an RGB(A) image. */
function pixelsNear(png: ReturnType<typeof decodePng>, hex: string, tolerance = 30): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    if (Math.abs(png.pixels[i]! - r!) <= tolerance && Math.abs(png.pixels[i + 1]! - g!) <= tolerance && Math.abs(png.pixels[i + 2]! - b!) <= tolerance) n++;
  }
  return n;
}

test('bench: the HTML report of a short run draws its line charts in a real browser', { timeout: 120_000, skip: CHROMIUM === null ? 'no chromium binary on PATH (apt-get install chromium, or CHROMIUM=/path/to/chrome): the browser check is left to CI' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-bench-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'results');
  const child = spawn(process.execPath, [RUN, '--duration-s', '3', '--connections', '1', '--compression', 'zstd', '--latency-share', '0', '--rate', '5000', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  assert.equal(await new Promise<number | null>((r) => child.on('exit', r)), 0, log);
  const html = readdirSync(out).find((f) => f.endsWith('.html'));
  assert.ok(html !== undefined, readdirSync(out).join(','));
  const url = pathToFileURL(join(out, html)).href;

  // The DOM as Chromium built it.
  const dom = chromium(join(dir, 'profile-dom'), '--dump-dom', url);
  assert.equal(dom.status, 0, dom.stderr);
  const charts = [...dom.stdout.matchAll(/<svg[^>]*class="line-chart"[^>]*aria-label="([^"]*)"[^>]*>([\s\S]*?)<\/svg>/g)];
  const titles = charts.map((c) => c[1]);
  for (const want of ['Throughput', 'Relay RSS', 'CPU', 'Backlog: zpa_relay_buffered_bytes', 'Ingestion paused by backpressure']) assert.ok(titles.includes(want), `a "${want}" line chart: ${titles.join(', ')}`);
  for (const [, title, body] of charts) {
    const lines = [...body!.matchAll(/<polyline class="series" data-series="([^"]*)"[^>]*points="([^"]*)"/g)];
    assert.ok(lines.length >= 1, `${title}: a polyline`);
    for (const [, name, points] of lines) {
      const xy = points!.trim().split(/\s+/).map((p) => p.split(',').map(Number));
      assert.ok(xy.length >= 3, `${title} / ${name}: ${xy.length} points`);
      assert.ok(xy.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x! >= 0 && x! <= 760 && y! >= 0 && y! <= 230), `${title} / ${name}: points inside the chart`);
    }
  }

  // The page as Chromium drew it.
  const shot = join(dir, 'report.png');
  const s = chromium(join(dir, 'profile-shot'), `--screenshot=${shot}`, '--window-size=1100,3000', url);
  assert.ok(existsSync(shot), s.stderr);
  const png = decodePng(readFileSync(shot));
  assert.deepEqual([png.width, png.height], [1100, 3000]);
  assert.ok(colouredPixels(png) > 5000, `drawn in colour: ${colouredPixels(png)} pixels`);
  // The RSS line (#7b3bd8) and the out-throughput line (#e07b00) are colours only the line charts use.
  assert.ok(pixelsNear(png, '#7b3bd8') > 200, `RSS line drawn: ${pixelsNear(png, '#7b3bd8')} pixels`);
  assert.ok(pixelsNear(png, '#e07b00') > 200, `throughput-out line drawn: ${pixelsNear(png, '#e07b00')} pixels`);
});
