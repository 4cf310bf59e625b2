/**
 * The composition root of `zpa-relay run`: config -> listeners -> line batches -> worker pool -> sink,
 * with the byte budget passing backpressure from the sink all the way to the sockets. `start` brings the
 * pieces up in dependency order; `stop` drains them in the reverse order without losing a record.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { RelayConfig } from './config/types.js';
import type { Logger } from './log.js';
import { RelayMetrics } from './metrics/metrics.js';
import { AdminServer } from './metrics/admin-server.js';
import { TcpListener } from './ingest/tcp-listener.js';
import { LineBatcher } from './ingest/line-batcher.js';
import { BATCH_SLACK_BYTES, BatchBuffers } from './ingest/batch-buffers.js';
import { ByteBudget } from './ingest/byte-budget.js';
import { IngestGate } from './ingest/ingest-gate.js';
import { PauseLog } from './ingest/pause-log.js';
import { IncidentLog } from './ingest/incident-log.js';
import { DeadLetterPause } from './ingest/dead-letter-pause.js';
import { MismatchLog } from './ingest/mismatch-log.js';
import { RefusalLog } from './ingest/refusal-log.js';
import { RejectPolicy } from './durability/reject-policy.js';
import { DeadLetterStore } from './durability/dead-letter-store.js';
import { UnknownFieldSample } from './durability/unknown-field-sample.js';
import { Spool, type ReplayBatch } from './durability/spool.js';
import { BatchTicket } from './durability/batch-ticket.js';
import { SchemaEngine } from './schema/engine.js';
import { DriftReportBuilder } from './durability/drift-report.js';
import { listStoreFiles, scanStore } from './durability/dead-letter-reader.js';
import { createSink } from './sink/create-sink.js';
import { compressionLibrary, describeCompression, type Sink } from './sink/sink.js';
import { settlementHooks } from './sink/settlement.js';
import { ResultRouter } from './result-router.js';
import type { BatchResult, BatchTask } from '../workers/batch-types.js';
import { detectEngine, simdjsonUnavailableReason } from '../workers/engines/create-engine.js';
import type { EngineName } from '../workers/engines/engine-types.js';

const WORKER_FILE = new URL('../workers/check-batch.js', import.meta.url).href;
/**
 * Batches handed to each worker at once. A worker's task is synchronous, so the others only wait in its
 * message queue; but a worker that finishes one starts the next at once, instead of waiting for the main
 * thread (busy reading sockets) to take its result and send it another. Measured with the bench (zstd, 4
 * connections, three alternating runs each): 1 = 191-227 MB/s, 2 = 208-243, 4 = 228-236 with about 20 MB
 * more peak RSS. Four, with the workers niced (workers.niceIncrement, see startParts), kept the cores busier.
 */
const TASKS_PER_WORKER = 4;
/**
 * Each worker's young generation, at most (Piscina's resourceLimits). A worker's task leaves almost nothing
 * alive once it returns (0.2-1% of the new space survives a scavenge in steady state), and with accepted
 * traffic V8 keeps the new space at 8 MB on its own. Refused traffic allocates twice the short-lived objects
 * per batch, and V8 grew the new space to 16 MB within the first second, from the survivors of the engine's
 * start-up, and never gave it back: 8 MB more per worker, which put refused bench steps at 288-309 MB peak
 * RSS, over the 300 MB the relay keeps. Capped at 12, the new space stays at 8 MB with either traffic.
 * Measured with one Piscina worker checking 512 KB batches, 90% refused: heap 19 MB instead of 27, 6.57
 * against 7.12 us per record (medians of eight alternating rounds; accepted traffic 5.40 against 5.75); in
 * the bench (zstd, 4 connections, two --repeat 2 runs against the previous build) refused peak RSS 272-278
 * MB against 288-295, refused records/s 111-152k against 115-139k. A cap of 16 left the new space at 16 MB
 * (no cap in effect); 6 halved it below what accepted traffic uses, and refused records/s looked lower.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

export interface RelayOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  metrics?: RelayMetrics;
  /** The schemas already loaded from config.schemas (the caller checked the listeners against them). */
  engine?: SchemaEngine;
  /** The config file the relay runs from, if any: the commands its log lines suggest name it. */
  configFile?: string;
}

export class Relay {
  readonly metrics: RelayMetrics;
  /** Bound port of each listener, by name (useful with port 0). */
  readonly ports: Record<string, number> = {};
  adminPort = 0;

  private readonly log: Logger;
  private readonly admin: AdminServer;
  private readonly listeners: TcpListener[] = [];
  private readonly batchers = new Map<string, LineBatcher>();
  /** The buffers batches are built in, recycled once their records are settled (shared by every listener). */
  readonly buffers: BatchBuffers;
  private readonly budget: ByteBudget;
  private readonly gate: IngestGate;
  private readonly pauses: PauseLog;
  private readonly spool: Spool | null;
  private spoolProbe: NodeJS.Timeout | null = null;
  private readonly deadLetters: DeadLetterStore;
  private readonly deadLetterPause: DeadLetterPause;
  private readonly unknownSample: UnknownFieldSample;
  private readonly rejects: IncidentLog;
  /** Connections refused at admission (access control, limits, PROXY header, TLS). */
  private readonly admissions: IncidentLog;
  private readonly mismatches: MismatchLog;
  private readonly tasks = new Set<Promise<void>>();
  private readonly bytesRead = new Map<string, number>();
  private pool: Piscina | null = null;
  private sink: Sink | null = null;
  /** The output section the current sink was built from (to tell whether a reload changes it). */
  private sinkConfig: RelayConfig['output'] | null = null;
  private generation = 0;
  /** The engine the workers run: workers.engine with 'auto' resolved on this machine. */
  private readonly engine: EngineName;
  private stopping: Promise<void> | null = null;
  private readonly router: ResultRouter;
  /** Sinks replaced by a reload, still delivering what they hold; the drain waits for them. */
  private readonly retiring = new Set<Promise<void>>();

  private constructor(
    readonly config: RelayConfig,
    private readonly opts: RelayOptions,
  ) {
    this.log = opts.log;
    this.metrics = opts.metrics ?? new RelayMetrics();
    this.admin = new AdminServer(this.metrics);
    this.mismatches = new MismatchLog(this.log);
    this.rejects = new IncidentLog(this.log, 'records rejected (counts by listener/log type/reason since the last report)');
    this.admissions = new IncidentLog(this.log, 'connections refused (counts by listener/reason since the last report; addresses at debug level)');
    this.pauses = new PauseLog(this.log, this.metrics.ingestPausedSeconds, () => ({ heldBytes: this.budget.heldBytes, spoolBytes: this.spool?.totalBytes }));
    this.gate = new IngestGate(
      (paused, reasons) => {
        for (const l of this.listeners) l.setPaused(this.gate.pausedFor(l.config.name));
        this.metrics.ingestPaused.set(paused ? 1 : 0);
        this.pauses.change(paused, reasons);
      },
      // One listener held or released on its own (a full dead-letter store): the others are not touched.
      (name) => this.listeners.find((l) => l.config.name === name)?.setPaused(this.gate.pausedFor(name)),
    );
    this.budget = new ByteBudget(config.maxBufferedBytes, config.resumeBufferedBytes, (paused) => this.gate.set('buffer_full', paused));
    this.metrics.readBufferedBytes(() => this.budget.heldBytes);
    this.engine = config.workers.engine === 'auto' ? detectEngine() : config.workers.engine;
    // Free buffers kept: the byte budget's worth (at least 8 MiB'). Buffers free and in use never add up to
    // more than the most ever in use at once, so a longer list costs no peak memory, only what an idle relay
    // keeps. With 8 MiB' worth at full speed the list overflowed whenever a delivered body released its
    // batches at once and then ran dry: about half the batches got a fresh buffer (bench, zstd, 4
    // connections: 250 a second), and that churn of new external memory set off most of the main thread's
    // full collections (48-65 in a 15 s step; 19-31 with this list, and 1.12x the MB/s at the median of ten
    // alternating pairs, 0.76-1.35x on a noisy machine).
    const capacity = config.batch.maxBytes + BATCH_SLACK_BYTES;
    this.buffers = new BatchBuffers(capacity, Math.max(2, Math.ceil(Math.max(8 * 1024 * 1024, config.maxBufferedBytes) / capacity)));
    this.spool = config.spool.path
      ? new Spool(config.spool, {
          sizeChanged: (bytes, segments) => {
            this.metrics.spoolBytes.set(bytes);
            this.metrics.spoolSegments.set(segments);
          },
          corrupt: (segment, reason, bytes, movedTo) => {
            this.metrics.spoolCorrupt.inc({ reason });
            this.log.error({ segment, reason, bytes, movedTo }, 'spool: torn or corrupt tail moved aside');
          },
          fullChanged: (full) => this.gate.set('spool_full', full),
        })
      : null;
    this.deadLetters = new DeadLetterStore(config.deadLetter, {
      written: (byReason) => {
        for (const [reason, n] of byReason) this.metrics.deadLetterRecords.inc({ reason }, n);
      },
      evicted: (file, bytes) => {
        this.metrics.deadLetterEvicted.inc();
        this.log.error({ file, bytes, maxBytes: config.deadLetter.maxBytes }, 'dead-letter store full: oldest file evicted');
      },
      sizeChanged: (bytes) => this.metrics.deadLetterBytes.set(bytes),
      fullChanged: (full, listeners) => this.deadLetterPause.fullChanged(full, listeners),
      blocked: (listener) => this.deadLetterPause.blocked(listener),
    });
    this.deadLetterPause = new DeadLetterPause(this.gate, this.metrics, this.log, { path: config.deadLetter.path, maxBytes: config.deadLetter.maxBytes, totalBytes: () => this.deadLetters.totalBytes() });
    this.unknownSample = new UnknownFieldSample(config.deadLetter.path, (msg, err) => this.log.warn({ err: err.message }, msg));
    this.router = new ResultRouter({
      metrics: this.metrics,
      log: this.log,
      budget: this.budget,
      deadLetters: this.deadLetters,
      rejects: this.rejects,
      mismatches: this.mismatches,
      refusals: new RefusalLog(this.log, (reason) => new RejectPolicy(this.config.onReject).actionFor(reason), opts.configFile),
      unknownSample: this.unknownSample,
      sink: () => this.sink!,
    });
  }

  /** Starts every part; /readyz turns 200 once every listener is bound. */
  static async start(config: RelayConfig, opts: RelayOptions): Promise<Relay> {
    const relay = new Relay(config, opts);
    await relay.startParts();
    return relay;
  }

  private async startParts(): Promise<void> {
    const cfg = this.config;
    this.adminPort = await this.admin.listen(cfg.admin.host, cfg.admin.port);
    // The schemas must load before any listener opens (the workers load their own copy of them).
    if (!this.opts.engine) await SchemaEngine.load(cfg.schemas);
    await this.deadLetters.open();
    await this.openUnknownSample();
    void this.logStoredDrift();
    const replay = this.spool ? await this.spool.open() : [];
    this.sink = await this.newSink(cfg);
    this.sinkConfig = cfg.output;
    const threads = cfg.workers.threads || availableParallelism();
    // Niced workers (workers.niceIncrement, 10 by default): a core the main thread needs is its at once, so
    // hand-overs do not wait behind a batch being checked, and the workers still take every cycle it leaves.
    // perf sched at full speed showed the main thread runnable but not running a quarter of the time while
    // both workers waited for their next batch. Measured in alternating 20 s bench steps (README "Using
    // every core"): nice 19 gave accepted traffic 1.06-1.10x but refused traffic about 0.9x (the workers are
    // its bottleneck); 10 gave both at least what 0 gave, and refused steps 288-297 MB peak RSS against 299-311.
    this.pool = new Piscina({ filename: WORKER_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 60_000, concurrentTasksPerWorker: TASKS_PER_WORKER, niceIncrement: cfg.workers.niceIncrement, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.metrics.engineInfo.set({ engine: this.engine }, 1);
    if (cfg.workers.engine === 'auto' && this.engine === 'reference') {
      this.log.warn({ reason: simdjsonUnavailableReason() }, 'the simdjson engine is not available: running the reference engine (same verdicts, slower)');
    }
    await this.warmWorkers(threads);
    // Replayed batches go to the pool before any listener is bound, so they are sent before new traffic.
    this.replay(replay);
    for (const lc of cfg.listeners) {
      // The log type is read at each batch, not captured: SIGHUP may move a listener to another schema (a
      // custom one derived for its traffic) while its connections stay open.
      this.batchers.set(lc.name, new LineBatcher(cfg.batch, (data, length) => this.ingest(lc.name, this.logTypeOf(lc.name, lc.logType), lc.maxLineBytes, data, length), undefined, this.buffers));
      const listener = new TcpListener(lc, {
        block: (name, data) => {
          this.budget.adjust(data.length);
          this.batchers.get(name)!.add(data);
        },
        tooLong: (name, head, length) => this.router.tooLong(name, this.logTypeOf(name, lc.logType), lc.maxLineBytes, head, length),
        bytesRead: (name, n) => this.bytesRead.set(name, (this.bytesRead.get(name) ?? 0) + n),
        connectionOpened: (name) => {
          this.metrics.connectionsOpen.inc({ listener: name });
          this.metrics.connectionsTotal.inc({ listener: name });
        },
        connectionClosed: (name) => this.metrics.connectionsOpen.dec({ listener: name }),
        refused: (name, reason, remote, detail) => {
          this.metrics.connectionsRefused.inc({ listener: name, reason });
          this.admissions.add(`${name}/${reason}`);
          this.log.debug({ listener: name, remote, reason, detail }, 'connection refused');
        },
        tlsHandshakeFailed: (name, reason, remote) => {
          this.metrics.tlsHandshakeFailures.inc({ listener: name, reason });
          this.admissions.add(`${name}/tls_${reason}`);
          this.log.debug({ listener: name, remote, reason }, 'TLS handshake failed');
        },
        closedByRelay: (name, reason, remote) => {
          this.metrics.connectionsClosedByRelay.inc({ listener: name, reason });
          this.log.debug({ listener: name, remote, reason }, 'closing connection at a record boundary');
        },
      });
      this.listeners.push(listener);
      this.metrics.connectionsOpen.set({ listener: lc.name }, 0);
      this.ports[lc.name] = await listener.listen();
    }
    this.admin.ready = true;
    this.log.info({ listeners: this.ports, admin: this.adminPort, output: this.sink.kind, compression: describeCompression(this.sink.precompression), engine: this.engine, workerThreads: threads, workerNice: cfg.workers.niceIncrement }, 'zpa-relay ready');
  }

  /**
   * Has every worker build its engine (load the schemas, compile the native plans) before the listeners
   * open, with an empty batch each: otherwise the first batches wait for it (about a second here), and
   * with them the operator's first word that records are refused.
   */
  private async warmWorkers(threads: number): Promise<void> {
    const lc = this.config.listeners[0];
    if (lc === undefined) return;
    // The same engine key as real batches (engineTask), so the engine built here is the one they use.
    const task = (): BatchTask => ({ ...this.engineTask(lc.name, lc.logType, lc.maxLineBytes), data: new ArrayBuffer(0), dataLength: 0 });
    await Promise.all(Array.from({ length: threads * TASKS_PER_WORKER }, () => this.pool!.run(task())));
  }

  /** What a batch task says about the engine a worker checks it with (the worker caches one engine per distinct value). */
  private engineTask(listener: string, logType: string, maxLineBytes: number): Omit<BatchTask, 'data' | 'dataLength'> {
    const { schemas, repairs } = this.config;
    return { listener, logType, maxLineBytes, schemasPath: schemas.path, schemasInclude: schemas.include, stripSyslogPri: repairs.stripSyslogPri, emptyListToArray: repairs.emptyListToArray, generation: this.generation, engine: this.engine };
  }

  /** The listener's log type in the config in force (reloads change it in place). */
  private logTypeOf(listener: string, fallback: string): string {
    return this.config.listeners.find((l) => l.name === listener)?.logType ?? fallback;
  }

  /** A batch framed from a listener (the first `length` bytes of `data`): spooled first (when the spool is on), then handed to the pool. */

  private ingest(listener: string, logType: string, maxLineBytes: number, data: ArrayBuffer, length: number): void {
    const read = this.bytesRead.get(listener) ?? 0;
    if (read > 0) {
      this.metrics.receivedBytes.inc({ listener }, read);
      this.bytesRead.set(listener, 0);
    }
    let acknowledge: (() => void) | undefined;
    if (this.spool) {
      try {
        const id = this.spool.append({ listener, logType, time: Date.now() }, Buffer.from(data, 0, length));
        const spool = this.spool;
        acknowledge = () => spool.ack(id);
      } catch (err) {
        // Disk full or an I/O error: this batch goes on in memory only; ingestion pauses until the volume takes writes.
        this.metrics.spoolWriteErrors.inc();
        this.onSpoolUnwritable(err as NodeJS.ErrnoException);
      }
    }
    this.submit(listener, logType, maxLineBytes, data, length, acknowledge, false);
  }

  private onSpoolUnwritable(err: NodeJS.ErrnoException): void {
    if (this.spoolProbe) return;
    this.log.error({ code: err.code, path: this.config.spool.path }, 'spool: write failed; ingestion paused until the volume takes writes again');
    this.gate.set('spool_unwritable', true);
    this.spoolProbe = setInterval(() => {
      if (!this.spool!.probe()) return;
      clearInterval(this.spoolProbe!);
      this.spoolProbe = null;
      this.log.info({ path: this.config.spool.path }, 'spool: volume writable again; ingestion resumes');
      this.gate.set('spool_unwritable', false);
    }, 1000);
    this.spoolProbe.unref();
  }

  /** Resubmits the batches a previous run left in the spool. */
  private replay(batches: ReplayBatch[]): void {
    if (batches.length === 0) return;
    const bytes = batches.reduce((n, b) => n + b.data.length, 0);
    this.log.warn({ batches: batches.length, bytes }, 'spool: replaying batches left by the previous run');
    for (const b of batches) {
      const lc = this.config.listeners.find((l) => l.name === b.meta.listener);
      const spool = this.spool!;
      const ab = new ArrayBuffer(b.data.length);
      Buffer.from(ab).set(b.data);
      this.budget.adjust(ab.byteLength);
      this.submit(b.meta.listener, lc?.logType ?? b.meta.logType, lc?.maxLineBytes ?? 1024 * 1024, ab, ab.byteLength, () => spool.ack(b.id), true);
    }
  }

  /** The sample is a help for `schema derive`, not a duty: a directory it cannot read or create is logged, and the relay runs without it. */
  private async openUnknownSample(): Promise<void> {
    try {
      await this.unknownSample.open();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'the unknown-field sample cannot be opened: records with unknown fields are counted but not sampled');
    }
  }

  /**
   * At start, one log line with the top schema mismatches kept in the dead-letter store (then hourly from
   * live counts, see MismatchLog): an operator sees at once that traffic and schema disagree. It runs in
   * the background; the store is bounded by deadLetter.maxBytes.
   */
  private async logStoredDrift(): Promise<void> {
    try {
      const builder = new DriftReportBuilder();
      await scanStore(await listStoreFiles(this.config.deadLetter.path), (_file, line) => {
        if (line.record) builder.add(line.record);
      });
      const report = builder.build();
      const top = report.logTypes
        .flatMap((t) => t.rows.filter((r) => r.reason !== 'sink_rejected' && r.reason !== 'undelivered').map((r) => ({ logType: t.logType, reason: r.reason, field: r.field, count: r.count })))
        .sort((a, b) => b.count - a.count)
        .slice(0, 5);
      if (top.length > 0) this.log.warn({ top, storedRecords: report.records }, 'schema mismatches kept in the dead-letter store (zpa-relay dead-letter report for details)');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not summarise the dead-letter store at start');
    }
  }

  /**
   * Hands one batch (the first `length` bytes of `data`) to the pool; its buffer is moved, not copied.
   * `acknowledge` (the spool's) runs once every record of the batch is settled; so does the return of its
   * buffers for reuse: nothing refers to them after that.
   */
  private submit(listener: string, logType: string, maxLineBytes: number, data: ArrayBuffer, length: number, acknowledge: (() => void) | undefined, replayed: boolean): void {
    let accepted: ArrayBuffer | undefined;
    const ticket = new BatchTicket(() => {
      acknowledge?.();
      if (accepted !== undefined) this.buffers.give(accepted);
    });
    const task: BatchTask = { ...this.engineTask(listener, logType, maxLineBytes), data, dataLength: length, compress: this.sink?.precompression, onReject: this.config.onReject };
    const p = this.pool!.run(task, { transferList: [data] })
      .then((res: BatchResult) => {
        accepted = res.accepted.buffer as ArrayBuffer;
        // The input, when the accepted records went elsewhere: the worker copied out all it needed from it.
        if (res.spare !== undefined) this.buffers.give(res.spare);
        return this.router.route(listener, res, ticket, replayed);
      })
      .catch((err: Error) => {
        // Only a dead worker gets here (the engine never throws for bad input). The batch stays unacknowledged
        // in the spool (when on), so the next start replays it.
        this.budget.adjust(-length);
        this.metrics.workerErrors.inc();
        this.log.error({ err: err.message, listener, bytes: length, spooled: acknowledge !== undefined }, 'worker failed on a batch');
      })
      .finally(() => this.tasks.delete(p));
    this.tasks.add(p);
  }

  /**
   * Applies a new config without dropping connections (SIGHUP): schemas (workers build a fresh engine),
   * listeners' log types (the next batch is checked against the new one), output settings (a new sink takes new records; the old one delivers what it holds, then closes) and TLS
   * certificates (re-read by each listener). Changes that need new sockets (listeners, ports, spool,
   * admin) are reported and left for a restart. A config whose schemas do not load is refused whole.
   */
  async reload(next: RelayConfig, loaded?: SchemaEngine): Promise<{ applied: string[]; needsRestart: string[] }> {
    const applied: string[] = [];
    const needsRestart: string[] = [];
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    // A config whose schemas do not load is refused whole, before anything changes.
    if (!loaded) await SchemaEngine.load(next.schemas);
    for (const key of ['listeners', 'spool', 'admin', 'deadLetter', 'workers', 'batch', 'maxBufferedBytes', 'resumeBufferedBytes'] as const) {
      if (key === 'listeners') {
        // Certificate and key paths reload in place; anything else about a listener (TLS on/off, client
        // certificates required or not, ports, limits) needs new sockets.
        // So does the log type (the next batch is checked against the new schema).
        const shape = (c: RelayConfig) => c.listeners.map((l) => ({ ...l, logType: '', tls: { ...l.tls, certFile: '', keyFile: '', caFile: l.tls.caFile !== '' } }));
        if (!same(shape(this.config), shape(next))) needsRestart.push(key);
      } else if (!same(this.config[key], next[key])) needsRestart.push(key);
    }
    // Certificates first: a file that fails to load refuses the whole reload before anything else changes.
    let tls = 0;
    for (const l of this.listeners) {
      const lc = next.listeners.find((x) => x.name === l.config.name);
      if (lc && l.reloadTls(lc.tls)) tls++;
    }
    this.generation++;
    const listeners = this.config.listeners.map((l) => {
      const logType = next.listeners.find((x) => x.name === l.name)?.logType ?? l.logType;
      if (logType !== l.logType) applied.push(`listeners.${l.name}.logType`);
      return logType === l.logType ? l : { ...l, logType };
    });
    (this as { config: RelayConfig }).config = { ...this.config, listeners, schemas: next.schemas, repairs: next.repairs, onReject: next.onReject, output: next.output };
    applied.push('schemas', 'repairs', 'onReject');
    if (!same(this.config.output, this.sink && this.sinkConfig)) {
      const old = this.sink!;
      this.sink = await this.newSink(this.config);
      this.sinkConfig = this.config.output;
      applied.push('output');
      const closing = old
        .close()
        .catch((err: Error) => this.log.error({ err: err.message }, 'previous output failed to close after reload'))
        .finally(() => this.retiring.delete(closing));
      this.retiring.add(closing);
    }
    if (tls > 0) applied.push(`tls (${tls} listeners)`);
    // The records refused so far become replayable at once (replay works on closed files): a reload is
    // usually the schema fix they were waiting for.
    await this.deadLetters.rotate().catch((err: Error) => this.log.error({ err: err.message }, 'could not close the dead-letter file at reload'));
    this.log.info({ applied, needsRestart }, 'config reloaded');
    return { applied, needsRestart };
  }

  private async newSink(cfg: RelayConfig): Promise<Sink> {
    const sink: Sink = await createSink(
      cfg,
      settlementHooks({ metrics: this.metrics, log: this.log, budget: this.budget, deadLetters: this.deadLetters }, () => sink.kind),
      this.metrics,
      this.log,
      this.opts.env ?? process.env,
    );
    this.metrics.compressionInfo.reset(); // a reload may change the output
    const p = sink.precompression;
    if (p !== undefined) this.metrics.compressionInfo.set({ output: sink.kind, format: p.format, library: compressionLibrary(p) }, 1);
    return sink;
  }

  /** Bytes currently held (read, not yet settled). */
  get heldBytes(): number {
    return this.budget.heldBytes;
  }

  /**
   * Drains and stops: /readyz turns 503, listeners stop accepting, what clients already sent is read and
   * checked, every batch is delivered; records still undelivered when drainTimeoutMs runs out are kept in
   * the dead-letter store (reason `undelivered`). Resolves when everything is closed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.config.drainTimeoutMs;
    this.admin.ready = false;
    this.log.info({ drainTimeoutMs: this.config.drainTimeoutMs }, 'draining');
    for (const l of this.listeners) l.stopAccepting();
    // What is read from now on, and what waits for room in a full dead-letter store, is written past
    // deadLetter.maxBytes rather than lost when the process exits.
    this.deadLetters.stopWaiting();
    const readWindow = Math.min(5_000, Math.floor(this.config.drainTimeoutMs / 3));
    await Promise.all(this.listeners.map((l) => l.drainConnections(250, readWindow)));
    for (const b of this.batchers.values()) b.flush();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    const sink = this.sink!;
    const remaining = Math.max(0, deadline - Date.now());
    // Sinks retired by a reload are still delivering what they hold: the drain waits for them too.
    const everything = Promise.all([sink.flush(), ...this.retiring]).then(() => true);
    const flushed = await Promise.race([everything, new Promise<boolean>((r) => setTimeout(() => r(false), remaining).unref())]);
    if (flushed) await sink.close();
    else {
      this.log.error({ heldBytes: this.budget.heldBytes }, 'drain timeout reached: undelivered records go to the dead-letter store');
      await sink.close({ abort: true });
    }
    this.rejects.stop();
    this.admissions.stop();
    this.pauses.stop();
    this.mismatches.stop();
    this.deadLetterPause.stop();
    if (this.spoolProbe) clearInterval(this.spoolProbe);
    await this.deadLetters.close();
    await this.unknownSample.flush();
    await this.spool?.close();
    await this.pool!.destroy();
    await this.admin.close();
    this.log.info({ ms: Date.now() - started, delivered: flushed }, 'stopped');
  }
}
