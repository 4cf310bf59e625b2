/**
 * `zpa-relay check`: checks newline-delimited LSS records offline, the same way the relay will, and prints
 * one JSON verdict per record on stdout (input order) and a summary on stderr.
 * Exit status: 0 every record accepted, 1 at least one rejected, 2 usage, schema or input-file errors.
 *
 * Framing, as the relay's: records end at `\n`; a `\r` before it is dropped (CRLF files); the last line may
 * lack its newline. Empty lines are skipped without output, but line numbers count physical lines, so `line`
 * always points into the file. Lines are measured in bytes before decoding; longer than --max-line-bytes is
 * line_too_long and the line is never held whole in memory. Bytes are decoded as UTF-8 with U+FFFD for
 * invalid sequences; a BOM is kept (and makes line 1 invalid JSON, as it would for Panther).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { isRelayError } from '../errors.js';
import { lineTooLong, serializeNormalized } from '../schema/engine.js';
import type { RepairName, RepairOptions, SchemaEngine } from '../schema/engine.js';
import { EngineUnavailableError, createEngine } from '../../workers/engines/create-engine.js';
import type { BatchEngine, EngineChoice } from '../../workers/engines/engine-types.js';
import type { Verdict } from '../schema/verdict.js';

const HELP = `Usage: zpa-relay check [options] FILE... | -

Check newline-delimited ZPA LSS records against Panther schemas, offline.
Prints one JSON object per record on stdout, a summary on stderr.

Options:
  --log-type NAME|auto     schema to check against (default: auto = detect per record)
  --schemas DIR|FILE       schemas to load, a directory or one file; repeat it to load several together
                           (default: the bundled schemas/)
  --emit verdicts|normalized
                           print verdicts (default), or Panther's normalized record for accepted lines
  --max-line-bytes N       longer lines are rejected as line_too_long (default: 1048576)
  --no-repair NAME         turn off a repair: syslog_pri (strip "<PRI>") or empty_list ("Key": , -> [])
  --engine auto|reference|simdjson
                           the checking engine (default: auto = simdjson when its native addon is built,
                           else reference); both give the same verdicts. --emit normalized always builds
                           the record with the reference engine
  -h, --help               show this help

Exit status: 0 all accepted, 1 some rejected, 2 usage/schema/file errors.
`;

const DEFAULT_MAX_LINE_BYTES = 1048576;
const OUTPUT_FLUSH_CHARS = 64 * 1024;

/** Parsed command-line options. */
interface CheckOptions {
  logType: string;
  /** --schemas, in order (directories or files); empty means the bundled schemas. */
  schemas: string[];
  emit: 'verdicts' | 'normalized';
  maxLineBytes: number;
  repairs: RepairOptions;
  engine: EngineChoice;
  files: string[];
}

class UsageError extends Error {}

function parseArgs(args: string[]): CheckOptions | 'help' {
  const opts: CheckOptions = {
    logType: 'auto',
    schemas: [],
    emit: 'verdicts',
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    repairs: { stripSyslogPri: true, emptyListToArray: true },
    engine: 'auto',
    files: [],
  };
  let onlyFiles = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (onlyFiles || arg === '-' || !arg.startsWith('-')) {
      opts.files.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyFiles = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--log-type':
        opts.logType = value();
        break;
      case '--schemas':
        opts.schemas.push(value());
        break;
      case '--emit': {
        const v = value();
        if (v !== 'verdicts' && v !== 'normalized') throw new UsageError(`--emit must be verdicts or normalized, not "${v}"`);
        opts.emit = v;
        break;
      }
      case '--max-line-bytes': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-line-bytes must be a positive integer, not "${v}"`);
        opts.maxLineBytes = n;
        break;
      }
      case '--no-repair': {
        const v = value();
        if (v === 'syslog_pri') opts.repairs.stripSyslogPri = false;
        else if (v === 'empty_list') opts.repairs.emptyListToArray = false;
        else throw new UsageError(`--no-repair takes syslog_pri or empty_list, not "${v}"`);
        break;
      }
      case '--engine': {
        const v = value();
        if (v !== 'auto' && v !== 'reference' && v !== 'simdjson') {
          throw new UsageError(`--engine: unknown engine "${v}" (available: auto, reference, simdjson)`);
        }
        opts.engine = v;
        break;
      }
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  if (opts.files.length === 0) throw new UsageError('no input: give one or more FILEs, or - for stdin');
  if (opts.files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  return opts;
}

/** Buffers stdout writes and honours backpressure: `write` may ask the caller to await `flush`. */
class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      // EPIPE and friends: the reader went away (e.g. `| head`). Stop producing output; not an error of ours.
      this.closed = true;
    });
  }

  /** Queues a line; returns true when the caller should `await flush()`. */
  line(s: string): boolean {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    return this.size >= OUTPUT_FLUSH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.size === 0 || this.closed) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk) && !this.closed) {
      await Promise.race([once(this.stream, 'drain'), once(this.stream, 'close'), once(this.stream, 'error')]);
    }
  }
}

/** Counts for the summary. */
class Summary {
  records = 0;
  empty = 0;
  accepted = 0;
  rejected = 0;
  readonly byType = new Map<string, number>();
  readonly byReason = new Map<string, number>();
  readonly repairs = new Map<string, number>();

  add(verdict: Verdict, repairs: readonly RepairName[]): void {
    this.records++;
    const bump = (m: Map<string, number>, k: string): void => {
      m.set(k, (m.get(k) ?? 0) + 1);
    };
    if (verdict.status === 'accepted') {
      this.accepted++;
      bump(this.byType, verdict.logType);
    } else {
      this.rejected++;
      bump(this.byReason, verdict.reason);
    }
    for (const r of repairs) bump(this.repairs, r);
  }

  text(): string {
    const list = (m: Map<string, number>): string =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const lines = [
      `zpa-relay check: ${this.records} record${this.records === 1 ? '' : 's'}: ${this.accepted} accepted, ${this.rejected} rejected` +
        (this.empty > 0 ? ` (${this.empty} empty line${this.empty === 1 ? '' : 's'} skipped)` : ''),
    ];
    if (this.byType.size > 0) lines.push(`  accepted by log type: ${list(this.byType)}`);
    if (this.byReason.size > 0) lines.push(`  rejected by reason:   ${list(this.byReason)}`);
    if (this.repairs.size > 0) lines.push(`  repairs applied:      ${list(this.repairs)}`);
    return lines.join('\n') + '\n';
  }
}

/**
 * Splits a byte stream into physical lines without holding an over-long line: bytes beyond the limit are
 * counted, not kept. Calls `onLine(bytes, length)` with bytes undefined for a too-long line.
 */
class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private length = 0;
  private lastByte = -1;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer, onLine: (bytes: Buffer | undefined, length: number) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (end > start) this.append(chunk.subarray(start, end));
      if (nl < 0) return;
      this.emit(onLine);
      start = nl + 1;
    }
  }

  end(onLine: (bytes: Buffer | undefined, length: number) => void): void {
    if (this.length > 0) this.emit(onLine);
  }

  private append(seg: Buffer): void {
    this.length += seg.length;
    this.lastByte = seg[seg.length - 1]!;
    // Keep one byte beyond the limit: it may be the `\r` of a CRLF line that is exactly at the limit.
    const room = this.maxBytes + 1 - this.kept;
    if (room <= 0) return;
    const part = seg.length <= room ? seg : seg.subarray(0, room);
    this.parts.push(Buffer.from(part)); // copy: the chunk's memory is reused by the stream
    this.kept += part.length;
  }

  private emit(onLine: (bytes: Buffer | undefined, length: number) => void): void {
    const length = this.length - (this.lastByte === 13 ? 1 : 0);
    const bytes = length > this.maxBytes ? undefined : Buffer.concat(this.parts, this.kept).subarray(0, length);
    this.parts = [];
    this.kept = 0;
    this.length = 0;
    this.lastByte = -1;
    onLine(bytes, length);
  }
}

async function checkStream(
  input: Readable,
  file: string | undefined,
  checker: BatchEngine,
  engine: SchemaEngine,
  opts: CheckOptions,
  out: Output,
  summary: Summary,
): Promise<void> {
  const splitter = new LineSplitter(opts.maxLineBytes);
  const autoOrNull = opts.logType === 'auto' ? null : opts.logType;
  let lineNo = 0;
  let needFlush = false;
  const onLine = (bytes: Buffer | undefined, length: number): void => {
    lineNo++;
    if (length === 0) {
      summary.empty++;
      return;
    }
    let verdict: Verdict;
    let repairs: readonly RepairName[] = [];
    let unknownFields: readonly string[] | undefined;
    let record: Record<string, unknown> | undefined;
    if (bytes === undefined) {
      verdict = lineTooLong(autoOrNull, length, opts.maxLineBytes);
    } else {
      if (opts.emit === 'normalized') {
        const r = engine.normalize(bytes.toString('utf8'), opts.logType);
        ({ verdict, repairs } = r.outcome);
        record = r.record;
      } else {
        ({ verdict, repairs, unknownFields } = checker.checkLine(bytes, opts.logType));
      }
    }
    summary.add(verdict, repairs);
    if (out.closed) return;
    if (record !== undefined) {
      needFlush = out.line(serializeNormalized(record)) || needFlush;
      return;
    }
    const head: Record<string, unknown> = file === undefined ? { line: lineNo } : { line: lineNo, file };
    // An accepted record's fields its schema lacks (Panther drops them), sorted: the engines list them in
    // different orders (document order, or JSON.parse's).
    const body: Record<string, unknown> =
      verdict.status === 'accepted'
        ? { status: 'accepted', logType: verdict.logType, eventTime: isoTime(verdict.eventTime), ...(unknownFields !== undefined ? { unknownFields: [...unknownFields].sort() } : {}) }
        : {
            status: 'rejected',
            logType: verdict.logType,
            reason: verdict.reason,
            ...(verdict.field !== undefined ? { field: verdict.field } : {}),
            message: verdict.message,
          };
    const tail = repairs.length > 0 ? { repairs } : {};
    needFlush = out.line(JSON.stringify({ ...head, ...body, ...tail })) || needFlush;
  };
  for await (const chunk of input) {
    splitter.push(chunk as Buffer, onLine);
    if (needFlush) {
      needFlush = false;
      await out.flush();
    }
  }
  splitter.end(onLine);
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** Runs `zpa-relay check` with `args` (argv after "check"); resolves to the exit status. */
export async function checkCommand(args: string[]): Promise<number> {
  const err = (msg: string): number => {
    process.stderr.write(`zpa-relay check: ${msg}\n`);
    return 2;
  };
  let opts: CheckOptions;
  try {
    const parsed = parseArgs(args);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    opts = parsed;
  } catch (e) {
    if (e instanceof UsageError) return err(`${e.message}\nRun 'zpa-relay check --help' for usage.`);
    throw e;
  }

  let checker: BatchEngine;
  try {
    checker = await createEngine(opts.engine, { schemasDir: opts.schemas[0], include: opts.schemas.slice(1), repairs: opts.repairs });
  } catch (e) {
    if (e instanceof EngineUnavailableError) return err(`--engine simdjson: ${e.message}; use --engine reference or auto`);
    if (isRelayError(e)) {
      const more = e.details.length > 1 ? '\n' + e.details.map((d) => `  ${d}`).join('\n') : '';
      return err(`${e.code}: ${e.message}${more}`);
    }
    throw e;
  }
  const engine = checker.schemaEngine;
  if (opts.logType !== 'auto' && !engine.has(opts.logType)) {
    return err(`ZPA_ERR_UNKNOWN_LOG_TYPE: unknown log type "${opts.logType}" (loaded: ${engine.logTypes.join(', ')}, or auto)`);
  }

  // Every input must be readable before any output, so a typo never leaves a half-checked run.
  for (const file of opts.files) {
    if (file === '-') continue;
    try {
      const st = await stat(file);
      if (st.isDirectory()) return err(`ZPA_ERR_FILE_NOT_FOUND: ${file}: is a directory, not a file`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      return err(`ZPA_ERR_FILE_NOT_FOUND: ${file}: ${why}`);
    }
  }

  const out = new Output(process.stdout);
  const summary = new Summary();
  const several = opts.files.length > 1;
  for (const file of opts.files) {
    const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
    try {
      await checkStream(input, several ? file : undefined, checker, engine, opts, out, summary);
    } catch (e) {
      await out.flush();
      return err(`ZPA_ERR_FILE_NOT_FOUND: ${file}: cannot read: ${(e as Error).message}`);
    }
    if (out.closed) break;
  }
  await out.flush();
  process.stderr.write(summary.text());
  return summary.rejected > 0 ? 1 : 0;
}
