/**
 * `npm run bench`'s command line, declared once and checked whole: a run that would stop half-way (an
 * unknown log type, a typo in --compression, a --relay-config that is not JSON) is refused before the
 * first step with every problem listed, not after minutes of load with a stack trace.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOG_TYPES, shortLogType, type LogTypeName } from '../lss/generate.js';

export const BENCH_USAGE = `usage: npm run bench -- [options]

  --log-type NAME          LSS log type to generate: ${LOG_TYPES.map(shortLogType).join(', ')}
                           (or the full Zscaler.ZPA.* name); default UserActivity
  --mix TYPE=W,TYPE=W      a mix of log types instead, by share of records, e.g. UserActivity=80,UserStatus=15,
                           AppConnectorMetrics=5 (weights, any scale): one listener per type, as LSS sends them,
                           each with its share of the connections (at least one)
  --connections 1,4        connection counts, one full-speed step each
  --duration-s 15          seconds per step
  --rate 0                 records/s the load generator offers in full-speed steps (0: as fast as possible)
  --latency-share 0.5      a last step at this share of the best full-speed rate, for latency (0 skips it)
  --compression gzip,zstd  the HTTP output's body compression, one relay per value
  --soak DURATION          one long step at --rate (required) instead, e.g. 30m or 4h (s for a quick try):
                           the RSS slope after warm-up, p99 per tenth of the run, sent against received,
                           errors, retries and pauses, and a verdict; one --connections (default 4) and one
                           --compression (default gzip), no latency step; --decode-every 1 to count the
                           records the stand-in receives too (it costs the bench CPU the relay then lacks)
  --max-buffered-mib N     the relay's maxBufferedBytes in MiB (default: the relay's own)
  --policy-names 0         share (0..1) of User Activity records with a policy name in Policy (real traffic;
                           the schema refuses them and they are dead-lettered); above 0, each mode first runs
                           accepted traffic on a relay of its own, and the report compares the two
  --relay-config JSON      more relay settings merged section by section over the bench's config, e.g.
                           '{"batch":{"maxBytes":1048576}}' or '{"output":{"http":{"gzipLibrary":"zlib"}}}'
  --relay-bin PATH         another build's bin/zpa-relay.js, to compare two versions on one machine
  --repeat 1               run every step this many rounds, a fresh relay for each mode in each round, and
                           report each step's median over the rounds (and, with --policy-names, the ratio to
                           accepted traffic in each round and its median); the sizing line reads the medians.
                           The order of accepted and refused traffic alternates from round to round
  --warmup-s 3             seconds of full-speed traffic each relay takes before its first step, not measured, as
                           a pod that has been running (JIT, heaps and buffer pools warm); 0 for none; default 3,
                           or the step's duration when shorter, and 0 with --soak (its analysis skips its warm-up)
  --decode-every 8         the stand-in decodes one body in this many (1: all, and checks the relay's count)
  --out bench/results      where the JSON and HTML reports go
  --help                   this text`;

/** One log type of the traffic and its share of the records (the shares add up to 1). */
export interface MixPart {
  readonly logType: LogTypeName;
  readonly share: number;
}

export interface BenchOptions {
  /** The traffic: one log type (--log-type, share 1) or several (--mix), largest share first. */
  readonly mix: readonly MixPart[];
  readonly connections: readonly number[];
  readonly durationMs: number;
  readonly rate: number;
  readonly latencyShare: number;
  readonly compression: readonly ('gzip' | 'zstd')[];
  readonly maxBufferedBytes?: number;
  readonly policyNameShare: number;
  readonly relayConfig: Readonly<Record<string, unknown>>;
  readonly relayBin?: string;
  readonly decodeEvery: number;
  /** Full-speed traffic each relay takes before its first step, not measured (--warmup-s). */
  readonly warmupMs: number;
  readonly out: string;
  /** --soak: one step of `durationMs` at `rate` with the soak's analysis (the connections and compression are one each). */
  readonly soak: boolean;
  /** --repeat: rounds of every step, reported as medians when more than one. */
  readonly repeat: number;
}

export type BenchArgs = { help: true } | { help: false; options: BenchOptions } | { help: false; problems: string[] };

const COMPRESSIONS = ['gzip', 'zstd'] as const;

/** Parses `argv` (without node and the script); either the options, every problem found, or a request for help. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        'log-type': { type: 'string' },
        mix: { type: 'string' },
        // No parseArgs default for the options --soak defaults differently or refuses: whether they were
        // given is part of the check (their defaults are applied below).
        connections: { type: 'string' },
        'duration-s': { type: 'string' },
        rate: { type: 'string', default: '0' },
        'latency-share': { type: 'string' },
        compression: { type: 'string' },
        soak: { type: 'string' },
        out: { type: 'string', default: 'bench/results' },
        'max-buffered-mib': { type: 'string', default: '' },
        'policy-names': { type: 'string', default: '0' },
        'relay-config': { type: 'string', default: '{}' },
        'decode-every': { type: 'string' },
        'relay-bin': { type: 'string', default: '' },
        'warmup-s': { type: 'string' },
        repeat: { type: 'string', default: '1' },
      },
    }));
  } catch (err) {
    // parseArgs stops at the first unknown option or missing value: that one is the problem to report.
    return { help: false, problems: [(err as Error).message] };
  }
  if (values.help) return { help: true };
  const problems: string[] = [];
  const soak = values.soak !== undefined;
  const given = (k: string) => values[k] !== undefined;
  if (soak) {
    for (const k of ['duration-s', 'latency-share']) if (given(k)) problems.push(`--${k} and --soak: a soak is one step of the --soak duration, its latency measured throughout; leave out --${k}`);
  }
  const defaults: Record<string, string> = soak
    ? { connections: '4', 'duration-s': '0', 'latency-share': '0', compression: 'gzip', 'decode-every': '8' }
    : { connections: '1,4', 'duration-s': '15', 'latency-share': '0.5', compression: 'gzip,zstd', 'decode-every': '8' };
  const str = (k: string) => String(values[k] ?? defaults[k]);
  const number = (k: string, ok: (n: number) => boolean, want: string): number => {
    const n = Number(str(k));
    if (str(k).trim() === '' || !Number.isFinite(n) || !ok(n)) problems.push(`--${k} ${JSON.stringify(str(k))}: ${want}`);
    return n;
  };

  const typeOf = (name: string) => LOG_TYPES.find((t) => t === name || t.endsWith(`.${name}`));
  const known = LOG_TYPES.map(shortLogType).join(', ');
  const mix: MixPart[] = [];
  if (values['log-type'] !== undefined && values.mix !== undefined) problems.push('--log-type and --mix: give one of them');
  if (values.mix !== undefined) {
    const weights = new Map<LogTypeName, number>();
    for (const part of str('mix').split(',')) {
      const [name = '', weight = '', extra] = part.split('=');
      const logType = typeOf(name.trim());
      const w = Number(weight);
      if (extra !== undefined || logType === undefined || weight.trim() === '' || !Number.isFinite(w) || w <= 0) problems.push(`--mix ${JSON.stringify(part)}: TYPE=WEIGHT with TYPE one of ${known} and a weight above 0`);
      else if (weights.has(logType)) problems.push(`--mix: ${name} appears twice`);
      else weights.set(logType, w);
    }
    const sum = [...weights.values()].reduce((a, b) => a + b, 0);
    for (const [logType, w] of weights) mix.push({ logType, share: w / sum });
    mix.sort((a, b) => b.share - a.share);
  } else {
    const name = values['log-type'] === undefined ? 'UserActivity' : str('log-type');
    const logType = typeOf(name);
    if (logType === undefined) problems.push(`--log-type ${JSON.stringify(name)}: one of ${known}`);
    else mix.push({ logType, share: 1 });
  }
  const connections = str('connections').split(',').map(Number);
  if (!connections.every((c) => Number.isInteger(c) && c >= 1)) problems.push(`--connections ${JSON.stringify(str('connections'))}: a comma-separated list of whole numbers of at least 1`);
  const durationS = soak ? soakSeconds(str('soak'), problems) : number('duration-s', (n) => n > 0, 'seconds, more than 0');
  const rate = number('rate', (n) => n >= 0, 'records/s, 0 (as fast as possible) or more');
  if (soak && rate === 0) problems.push('--soak needs --rate N (records/s above 0): a soak holds the load you plan for a pod, e.g. half of the full speed `npm run bench` measured');
  if (soak && connections.length > 1) problems.push(`--connections ${JSON.stringify(str('connections'))} with --soak: one connection count`);
  const latencyShare = number('latency-share', (n) => n >= 0 && n <= 1, 'a share from 0 (skip the latency step) to 1');
  const compression = str('compression').split(',');
  const unknown = compression.filter((c) => !(COMPRESSIONS as readonly string[]).includes(c));
  if (unknown.length > 0) problems.push(`--compression ${JSON.stringify(str('compression'))}: ${unknown.map((c) => JSON.stringify(c)).join(', ')} unknown (gzip, zstd)`);
  if (soak && compression.length > 1) problems.push(`--compression ${JSON.stringify(str('compression'))} with --soak: one compression`);
  const mib = str('max-buffered-mib') === '' ? undefined : number('max-buffered-mib', (n) => n > 0, 'MiB, more than 0');
  const policyNameShare = number('policy-names', (n) => n >= 0 && n <= 1, 'a share from 0 to 1');
  const repeat = number('repeat', (n) => Number.isInteger(n) && n >= 1, 'a whole number of rounds, at least 1');
  if (soak && repeat > 1) problems.push(`--repeat ${repeat} and --soak: a soak is one long step; run it again for another`);
  const decodeEvery = number('decode-every', (n) => Number.isInteger(n) && n >= 1, 'a whole number of at least 1');
  // A soak's analysis leaves out its own warm-up (the RSS slope); other runs warm each relay for 3 s, or for
  // a step's duration when that is shorter (the tests' 1 s steps).
  const warmupS = given('warmup-s') ? number('warmup-s', (n) => n >= 0, 'seconds, 0 (none) or more') : soak ? 0 : Math.min(3, durationS);
  let relayConfig: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(str('relay-config'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) problems.push('--relay-config: a JSON object of relay settings');
    else relayConfig = parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`--relay-config: not JSON (${(err as Error).message})`);
  }
  const relayBin = str('relay-bin') === '' ? undefined : resolve(str('relay-bin'));
  if (relayBin !== undefined && !existsSync(relayBin)) problems.push(`--relay-bin ${JSON.stringify(str('relay-bin'))}: no such file`);

  if (problems.length > 0) return { help: false, problems };
  return {
    help: false,
    options: Object.freeze({
      mix: Object.freeze(mix.map((m) => Object.freeze(m))),
      connections: Object.freeze(connections),
      durationMs: durationS * 1000,
      rate,
      latencyShare,
      compression: Object.freeze(compression as ('gzip' | 'zstd')[]),
      ...(mib !== undefined ? { maxBufferedBytes: Math.round(mib * 1024 * 1024) } : {}),
      policyNameShare,
      relayConfig: Object.freeze(relayConfig),
      ...(relayBin !== undefined ? { relayBin } : {}),
      decodeEvery,
      warmupMs: warmupS * 1000,
      out: str('out'),
      soak,
      repeat,
    }),
  };
}

/** Seconds of a --soak duration: a number and its unit, h, m or s ("30m", "1.5h", "20s"); a problem otherwise. */
function soakSeconds(text: string, problems: string[]): number {
  const m = /^(\d+(?:\.\d+)?)(h|m|s)$/.exec(text.trim());
  const n = m === null ? NaN : Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as 'h' | 'm' | 's'];
  if (!(n > 0)) problems.push(`--soak ${JSON.stringify(text)}: a duration above 0 with its unit, e.g. 30m, 4h or 20s`);
  return n;
}
