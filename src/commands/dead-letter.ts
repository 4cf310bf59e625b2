/**
 * `zpa-relay dead-letter list|replay|report`: inspect the dead-letter store, re-send its records through the
 * normal path once their cause is fixed, and report which schema fields real traffic fails.
 * The store is found through the config (--config, else ZPA_RELAY_CONFIG, else the embedded default), the
 * same way `zpa-relay run` finds it. Files the relay is still writing (`.open`) are never touched.
 * Exit status: list/report 0; replay 0 when every selected record was delivered, 1 otherwise; 2 usage,
 * config, lock or metrics errors.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig, checkRuntime } from '../config/load-config.js';
import type { RelayConfig } from '../config/types.js';
import { isRelayError } from '../errors.js';
import { RelayMetrics } from '../metrics/metrics.js';
import { SchemaEngine } from '../schema/engine.js';
import { REJECT_REASONS } from '../schema/verdict.js';
import { createSink } from '../sink/create-sink.js';
import type { Sink } from '../sink/sink.js';
import { listStoreFiles, parseSince, removeStaleTemps, scanStore, selects, type Selection, type StoreFiles } from '../durability/dead-letter-reader.js';
import { DeadLetterListing } from '../durability/dead-letter-listing.js';
import { DeadLetterReplay, type ListenerInfo, type ReplaySummary } from '../durability/dead-letter-replay.js';
import { DriftReportBuilder, formatDriftReport } from '../durability/drift-report.js';
import { takeReplayLock } from '../durability/dead-letter-lock.js';
import { readRelayMetrics, receivedFromMetrics } from '../durability/received-counts.js';
import { UnknownFieldReportBuilder, formatUnknownFields, unknownFieldsFromMetrics, type RelayCounts } from '../durability/unknown-field-report.js';
import { readUnknownFieldSample } from '../durability/unknown-field-sample-reader.js';

const HELP = `Usage: zpa-relay dead-letter <list|replay|report> [options]

  list     summarise the stored records per file, reason and log type (--json: the records, one per line)
  replay   re-send the selected records: each is checked again against the schemas (as the relay does)
           and sent with the configured output; delivered records are removed from the store, the others
           stay with their new reason/status. Over-long records (only their head is stored) are skipped.
  report   per log type: the fields that fail, how often, 3 example values each, share of records affected;
           then the fields records carry that the schemas lack (Panther drops them): in the stored records,
           in the unknown-field sample the relay keeps, and (--metrics) as the relay counted them

Options:
  -c, --config FILE   the relay's config (default: ZPA_RELAY_CONFIG, else the embedded default)
  --since TIME        only records stored since TIME: RFC 3339 (2026-11-28T04:30:00Z) or a duration (30m, 2h, 7d)
  --reason R          only records with reason R (repeat or comma-separate: wrong_type,sink_rejected)
  --json              list: the stored records as JSON lines; replay/report: the result as JSON
  --force             replay: send records that fail the check anyway (never invalid_json, not_an_object,
                      line_too_long: Panther cannot parse them); for when Panther is known to accept them
  --dry-run           replay: check and count only; nothing is sent and the store is not changed
  --metrics URL       report: the relay's /metrics, to add the share of all received records per log type
                      (zpa_relay_records_received_total counts since that relay started), and the
                      relay's count of unknown fields (zpa_relay_unknown_fields_total)
  -h, --help          show this help

Exit status: list/report 0; replay 0 when every selected record was delivered, else 1; 2 usage/config errors.
`;

const STORE_REASONS: readonly string[] = [...REJECT_REASONS, 'sink_rejected', 'undelivered'];
const ALLOWED: Record<string, readonly string[]> = {
  list: ['config', 'since', 'reason', 'json'],
  replay: ['config', 'since', 'reason', 'json', 'force', 'dry-run'],
  report: ['config', 'since', 'reason', 'json', 'metrics'],
};

class UsageError extends Error {}

interface Options {
  sub: 'list' | 'replay' | 'report';
  configFile: string | undefined;
  selection: Selection;
  json: boolean;
  force: boolean;
  dryRun: boolean;
  metricsUrl: string | undefined;
}

function parse(args: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        since: { type: 'string' },
        reason: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        metrics: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [sub, ...extra] = positionals;
  if (sub === undefined) throw new UsageError('name a subcommand: list, replay or report');
  if (sub !== 'list' && sub !== 'replay' && sub !== 'report') throw new UsageError(`unknown subcommand "${sub}" (list, replay or report)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && !ALLOWED[sub]!.includes(k)) throw new UsageError(`--${k} does not apply to ${sub}`);
  }
  const selection: Selection = {};
  if (values.since !== undefined) {
    const t = parseSince(values.since, Date.now());
    if (t === undefined) throw new UsageError(`--since: "${values.since}" is neither an RFC 3339 time (2026-11-28T04:30:00Z) nor a duration (30m, 2h, 7d)`);
    selection.sinceMs = t;
  }
  if (values.reason !== undefined) {
    const reasons = values.reason.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
    const bad = reasons.filter((r) => !STORE_REASONS.includes(r));
    if (bad.length > 0) throw new UsageError(`--reason: unknown reason ${bad.map((b) => `"${b}"`).join(', ')} (one of ${STORE_REASONS.join(', ')})`);
    selection.reasons = new Set(reasons);
  }
  if (values.metrics !== undefined && !/^https?:\/\//.test(values.metrics)) throw new UsageError('--metrics must be an http(s) URL, e.g. http://127.0.0.1:9090/metrics');
  return {
    sub,
    configFile: values.config ?? (process.env.ZPA_RELAY_CONFIG || undefined),
    selection,
    json: values.json === true,
    force: values.force === true,
    dryRun: values['dry-run'] === true,
    metricsUrl: values.metrics,
  };
}

/** Writes to stdout honouring backpressure; stops quietly when the reader went away (`| head`). */
class Out {
  private closed = false;
  constructor() {
    process.stdout.on('error', () => {
      // EPIPE: the reader is gone; what is left to print has nowhere to go. Not an error of ours.
      this.closed = true;
    });
  }
  async write(s: string): Promise<void> {
    if (this.closed) return;
    if (!process.stdout.write(s)) await Promise.race([once(process.stdout, 'drain'), once(process.stdout, 'close')]);
  }
}

/** Runs `zpa-relay dead-letter` with `args` (argv after "dead-letter"); resolves to the exit status. */
export async function deadLetterCommand(args: string[]): Promise<number> {
  let opts: Options;
  try {
    const p = parse(args);
    if (p === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    opts = p;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`zpa-relay dead-letter: ZPA_ERR_USAGE: ${err.message}\nRun 'zpa-relay dead-letter --help' for usage.\n`);
    return 2;
  }
  try {
    const config = loadConfig({ file: opts.configFile });
    const files = await listStoreFiles(config.deadLetter.path);
    if (opts.sub === 'list') return await list(opts, files);
    if (opts.sub === 'report') return await report(opts, config, files);
    return await replay(opts, config, files);
  } catch (err) {
    if (isRelayError(err)) {
      process.stderr.write(`zpa-relay dead-letter: ${err.code}: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'ENOTDIR' || e.code === 'EPERM') {
      process.stderr.write(`zpa-relay dead-letter: ZPA_ERR_FILE_NOT_FOUND: ${e.message}\n`);
      return 2;
    }
    throw err;
  }
}

function storeHeader(files: StoreFiles, sel: Selection): string {
  const filters: string[] = [];
  if (sel.sinceMs !== undefined) filters.push(`since ${new Date(sel.sinceMs).toISOString()}`);
  if (sel.reasons !== undefined) filters.push(`reason ${[...sel.reasons].join(',')}`);
  return `dead-letter store ${files.dir}${files.missing ? ' (does not exist yet: empty)' : ''}${filters.length > 0 ? `; ${filters.join('; ')}` : ''}`;
}

async function list(opts: Options, files: StoreFiles): Promise<number> {
  const out = new Out();
  const listing = new DeadLetterListing();
  // --json prints the stored lines exactly as stored (for jq, or to keep a copy), written in blocks.
  let block = '';
  await scanStore(files, async (file, line) => {
    if (line.record === undefined) {
      listing.unreadable++;
      return;
    }
    const sel = selects(opts.selection, line.record);
    listing.add(file, line.record, sel);
    if (opts.json && sel) {
      block += line.text + '\n';
      if (block.length >= 64 * 1024) {
        const b = block;
        block = '';
        await out.write(b);
      }
    }
  });
  if (opts.json) {
    await out.write(block);
    process.stderr.write(`${listing.selected} record(s) listed\n`);
  } else {
    await out.write(listing.format(storeHeader(files, opts.selection), files.open));
  }
  return 0;
}

async function report(opts: Options, config: RelayConfig, files: StoreFiles): Promise<number> {
  let relay: RelayCounts | undefined;
  if (opts.metricsUrl !== undefined) {
    const text = await readRelayMetrics(opts.metricsUrl);
    relay = { received: receivedFromMetrics(text, opts.metricsUrl), unknownFields: unknownFieldsFromMetrics(text) };
  }
  // The unknown fields of stored records are told against the relay's schemas; without them, that column is empty.
  let note: string | undefined;
  let schemaFields: (logType: string) => ReadonlySet<string> | undefined = () => undefined;
  try {
    const engine = await SchemaEngine.load(config.schemas.path || undefined);
    const sets = new Map(engine.logTypes.map((lt) => [lt, new Set(engine.schemaFields(lt))]));
    schemaFields = (lt) => sets.get(lt);
  } catch (err) {
    if (!isRelayError(err)) throw err;
    note = `stored records not looked at: the schemas do not load: ${err.message}`;
  }
  const builder = new DriftReportBuilder();
  const unknown = new UnknownFieldReportBuilder(schemaFields);
  await scanStore(files, (_file, line) => {
    if (line.record === undefined) builder.addUnreadable();
    else if (selects(opts.selection, line.record)) {
      builder.add(line.record);
      unknown.addStored(line.record);
    }
  });
  // The sample is not filtered by --since or --reason: its records were accepted, not refused.
  for (const r of await readUnknownFieldSample(config.deadLetter.path)) unknown.addSampled(r);
  const rep = builder.build(relay?.received);
  const unknownFields = unknown.build(relay);
  const out = new Out();
  if (opts.json) await out.write(JSON.stringify({ ...rep, unknownFields }) + '\n');
  else await out.write(`${storeHeader(files, opts.selection)}\n${formatDriftReport(rep)}${formatUnknownFields(unknownFields, note)}`);
  return 0;
}

async function replay(opts: Options, config: RelayConfig, files: StoreFiles): Promise<number> {
  const engine = await SchemaEngine.load(config.schemas, { repairs: config.repairs });
  checkRuntime(config, engine.logTypes, opts.configFile ?? '<embedded default>');
  const listeners = new Map<string, ListenerInfo>(config.listeners.map((l) => [l.name, { logType: l.logType, maxLineBytes: l.maxLineBytes }]));
  const defaultMaxLineBytes = Math.max(...config.listeners.map((l) => l.maxLineBytes), 1);
  const run = new DeadLetterReplay({ selection: opts.selection, force: opts.force, dryRun: opts.dryRun, engine, listeners, defaultMaxLineBytes });
  if (files.missing) return printReplay(opts, run.summary, false);

  const lock = opts.dryRun ? undefined : await takeReplayLock(files.dir);
  let sink: Sink | null = null;
  const onSignal = (): void => {
    process.stderr.write('zpa-relay dead-letter: interrupted: records not yet settled stay in the store\n');
    void run.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!opts.dryRun) {
      await removeStaleTemps(files.dir);
      // Logs (retries, an output recovering) go to stderr: stdout carries the summary.
      const log = pino({ level: config.logLevel, base: { service: 'zpa-relay', command: 'dead-letter replay' } }, pino.destination(2));
      sink = await createSink(config, run.hooks, new RelayMetrics({ defaultMetrics: false }), log, process.env);
    }
    const summary = await run.run(files, sink);
    if (sink !== null && !run.interrupted) await sink.close();
    return printReplay(opts, summary, run.interrupted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock?.release();
  }
}

async function printReplay(opts: Options, s: ReplaySummary, interrupted: boolean): Promise<number> {
  const ok = s.delivered === s.selected;
  const out = new Out();
  if (opts.json) {
    await out.write(JSON.stringify({ dryRun: opts.dryRun, force: opts.force, stoppedBySignal: interrupted, ...s }) + '\n');
    return ok ? 0 : 1;
  }
  const list = (m: Record<string, number>): string =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const verb = opts.dryRun ? 'would be delivered' : 'delivered';
  const lines = [
    `zpa-relay dead-letter replay${opts.dryRun ? ' (dry run: nothing sent, store unchanged)' : ''}${opts.force ? ' --force' : ''}: ` +
      `${s.selected} selected: ${s.delivered} ${verb}, ${s.stillRejected} still rejected, ${s.refused} refused by the output, ${s.skipped} skipped` +
      (s.interrupted > 0 ? `, ${s.interrupted} not sent (interrupted)` : ''),
  ];
  if (s.stillRejected > 0) lines.push(`  still rejected: ${list(s.stillRejectedBy)}`);
  if (s.refused > 0) lines.push(`  refused:        ${list(s.refusedBy)}`);
  if (s.skipped > 0) lines.push(`  skipped:        ${list(s.skippedBy)}`);
  if (!opts.dryRun) lines.push(`  store: ${s.filesRewritten} file(s) rewritten, ${s.filesDeleted} deleted` + (s.unreadable > 0 ? `; ${s.unreadable} unreadable line(s) left as they are` : ''));
  await out.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}
