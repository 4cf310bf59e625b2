/**
 * The relay's config for a bench run (one listener per log type of the mix, the HTTP output to the stand-in,
 * the command line's relay settings over it), and the relay's own check of it before anything runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { shortLogType } from '../lss/generate.js';
import { BIN } from '../../test/helpers/repo.js';
import type { BenchOptions } from './bench-options.js';

/** The relay's config for one compression mode, in `dir` (its dead-letter store goes there too). */
export function writeRelayConfig(opt: BenchOptions, dir: string, compression: string, sinkUrl: string): string {
  const cfgFile = join(dir, 'relay.yaml');
  const base = {
    // One listener per log type, as LSS sends one log type per receiver.
    listeners: opt.mix.map((m) => ({ name: shortLogType(m.logType), host: '127.0.0.1', port: 0, logType: m.logType })),
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'http', http: { url: sinkUrl, auth: { type: 'none' }, compression } },
    deadLetter: { path: join(dir, 'dl') },
    ...(opt.maxBufferedBytes !== undefined ? { maxBufferedBytes: opt.maxBufferedBytes } : {}),
  };
  writeFileSync(cfgFile, stringify(mergeOver(base, opt.relayConfig)));
  return cfgFile;
}

/**
 * `over` merged into `base`, section by section: `--relay-config '{"output":{"http":{"gzipLibrary":"zlib"}}}'`
 * changes that one setting and keeps the stand-in's URL beside it. Arrays and values replace.
 */
export function mergeOver(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isSection(b) && isSection(v) ? mergeOver(b, v) : v;
  }
  return out;
}

function isSection(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

export function relayConfigProblems(opt: BenchOptions): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-bench-'));
  try {
    return opt.compression.flatMap((compression) => {
      const r = spawnSync(process.execPath, [opt.relayBin ?? BIN, 'config', 'check', writeRelayConfig(opt, dir, compression, 'http://127.0.0.1:9/http/bench')], { encoding: 'utf8', cwd: dir });
      if (r.status === 0) return [];
      const why = (r.stderr || r.stdout || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(1).map((l) => l.replace(/^\s*-\s*/, '')).filter((l) => l !== '');
      return (why.length > 0 ? why : [(r.stderr || `exit ${r.status}`).trim()]).map((w) => `the relay refuses its config with --compression ${compression} (from --relay-config / --max-buffered-mib): ${w}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
