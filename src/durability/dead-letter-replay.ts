/**
 * `dead-letter replay`: re-sends stored records through the normal path, one closed file at a time:
 *   select -> check again (the schema gate, unless forced) -> write to the configured output -> wait until
 *   every record is settled -> rewrite the file (delivered records removed, the others updated).
 *
 * Outcomes per selected record, as data (the summary adds them up; the exit status follows from it):
 *   delivered       the output confirmed it; removed from the store
 *   stillRejected   the check refuses it again; kept with reason/field/message of the new verdict
 *   refused         the output refused it for good; kept as sink_rejected with the new status
 *   skipped         never sent: only the head of an over-long line is stored, or a forced record Panther
 *                   cannot parse (invalid_json, not_an_object, line_too_long); kept unchanged
 *   interrupted     not settled because the replay was interrupted (SIGINT/SIGTERM); kept unchanged
 * The bytes sent are the stored bytes (decoded from base64 when stored so), or the repaired text when an
 * LSS repair applied, exactly as the relay would forward them; a record is never re-serialised.
 */
import type { SchemaEngine } from '../schema/engine.js';
import { lineTooLong } from '../schema/engine.js';
import type { Verdict } from '../schema/verdict.js';
import type { AcceptedChunk, OutRecord, Sink, SinkHooks } from '../sink/sink.js';
import { UNFORWARDABLE } from './reject-policy.js';
import { isTruncated, readStoreFile, recordBytes, rewriteStoreFile, selects, type Selection, type StoreFiles, type StoredRecord } from './dead-letter-reader.js';

/** What a replay needs to know about each configured listener. */
export interface ListenerInfo {
  logType: string;
  maxLineBytes: number;
}

/** What to replay and how. */
export interface ReplayOptions {
  selection: Selection;
  /** Send records that fail the check anyway (never the ones Panther cannot parse). */
  force: boolean;
  /** Check and count only: nothing is sent and the store is not changed. */
  dryRun: boolean;
  engine: SchemaEngine;
  /** Configured listeners by name: their logType is used when a record has none, their maxLineBytes still applies. */
  listeners: ReadonlyMap<string, ListenerInfo>;
  /** Line limit for records of listeners no longer configured. */
  defaultMaxLineBytes: number;
}

/** Counts of a replay; `kept` maps "reason field" (or "status N") to counts for the summary. */
export interface ReplaySummary {
  selected: number;
  delivered: number;
  stillRejected: number;
  refused: number;
  skipped: number;
  interrupted: number;
  /** Lines of the store that are not records (never selected, kept as they are). */
  unreadable: number;
  filesRewritten: number;
  filesDeleted: number;
  stillRejectedBy: Record<string, number>;
  refusedBy: Record<string, number>;
  skippedBy: Record<string, number>;
}

/** A record ready to be sent. */
interface Outgoing {
  line: number;
  bytes: Buffer;
  logType: string;
  eventTime: number;
  record: StoredRecord;
}

/** A record on its way out and what became of it. */
interface Pending {
  line: number;
  record: StoredRecord;
  logType: string;
  outcome?: 'delivered' | 'refused' | 'interrupted';
  status?: number;
  message?: string;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** One replay run. Build the output with `hooks`, then call `run(sink)` (`run(null)` for a dry run). */
export class DeadLetterReplay {
  readonly summary: ReplaySummary = {
    selected: 0, delivered: 0, stillRejected: 0, refused: 0, skipped: 0, interrupted: 0, unreadable: 0,
    filesRewritten: 0, filesDeleted: 0, stillRejectedBy: {}, refusedBy: {}, skippedBy: {},
  };
  /** Records in flight, by the chunk buffer that carries them and their offset in it (the sinks hand back subarrays of it). */
  private readonly inFlight = new Map<ArrayBufferLike, Map<number, Pending>>();
  private stopping = false;
  private sink: Sink | null = null;

  constructor(private readonly opts: ReplayOptions) {}

  /** Settles records by the output's word. */
  readonly hooks: SinkHooks = {
    delivered: (records) => {
      for (const r of records) {
        const p = this.lookup(r);
        if (p) p.outcome = 'delivered';
      }
    },
    refused: (records, reason, status, message) => {
      for (const r of records) {
        const p = this.lookup(r);
        if (!p) continue;
        // 'undelivered' only happens when we abort on a signal: the output never gave a verdict, so the record stays as it was.
        p.outcome = reason === 'undelivered' ? 'interrupted' : 'refused';
        p.status = status;
        p.message = message;
      }
    },
  };

  /** Stops after the file in progress; records not yet settled stay in the store unchanged. */
  async interrupt(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.sink?.close({ abort: true });
  }

  /** True once `interrupt` was called. */
  get interrupted(): boolean {
    return this.stopping;
  }

  /** Replays every selected record of the store's closed files. */
  async run(files: StoreFiles, sink: Sink | null): Promise<ReplaySummary> {
    this.sink = sink;
    for (const name of files.closed) {
      if (this.stopping) break;
      await this.replayFile(files.dir, name);
    }
    return this.summary;
  }

  private lookup(r: OutRecord): Pending | undefined {
    return this.inFlight.get(r.bytes.buffer)?.get(r.bytes.byteOffset);
  }

  private async replayFile(dir: string, name: string): Promise<void> {
    const lines = await readStoreFile(dir, name);
    if (lines === undefined) return; // evicted by the relay since the listing
    const s = this.summary;
    const out: Outgoing[] = [];
    const updated = new Map<number, StoredRecord>();
    lines.forEach((l, i) => {
      const r = l.record;
      if (r === undefined) {
        s.unreadable++;
        return;
      }
      if (!selects(this.opts.selection, r)) return;
      s.selected++;
      const bytes = recordBytes(r);
      if (isTruncated(r, bytes.length)) {
        s.skipped++;
        bump(s.skippedBy, `${r.reason} (only the head of the line is stored)`);
        return;
      }
      if (this.opts.force && (UNFORWARDABLE as readonly string[]).includes(r.reason)) {
        s.skipped++;
        bump(s.skippedBy, `${r.reason} (cannot be forced: Panther cannot parse it)`);
        return;
      }
      const { verdict, sendBytes } = this.check(r, bytes);
      if (verdict.status === 'accepted') {
        out.push({ line: i, bytes: sendBytes, logType: verdict.logType, eventTime: verdict.eventTime, record: r });
        return;
      }
      if (this.opts.force && !UNFORWARDABLE.includes(verdict.reason)) {
        // Their event time is unknown (the check failed): now stands in for it, as for onReject forward.
        out.push({ line: i, bytes, logType: r.logType ?? verdict.logType ?? 'unknown', eventTime: Date.now(), record: r });
        return;
      }
      if (this.opts.force) {
        s.skipped++;
        bump(s.skippedBy, `${verdict.reason} (cannot be forced: Panther cannot parse it)`);
        return;
      }
      s.stillRejected++;
      bump(s.stillRejectedBy, verdict.field ? `${verdict.reason} ${verdict.field}` : verdict.reason);
      const next: StoredRecord = { ...r, logType: verdict.logType ?? r.logType, reason: verdict.reason, field: verdict.field ?? null, message: verdict.message };
      delete next.status;
      updated.set(i, next);
    });

    const removed = new Set<number>();
    if (out.length > 0 && this.opts.dryRun) {
      s.delivered += out.length; // "would be sent": the dry-run summary words it so
    } else if (out.length > 0 && this.sink !== null && !this.stopping) {
      const pending = await this.send(out);
      for (const p of pending) {
        if (p.outcome === 'delivered') {
          s.delivered++;
          removed.add(p.line);
        } else if (p.outcome === 'refused') {
          s.refused++;
          bump(s.refusedBy, `status ${p.status}`);
          updated.set(p.line, { ...p.record, logType: p.logType, reason: 'sink_rejected', field: null, message: p.message ?? '', status: p.status });
        } else s.interrupted++;
      }
    } else s.interrupted += out.length;
    if (this.opts.dryRun || (removed.size === 0 && updated.size === 0)) return;

    const keep: Array<string | Uint8Array> = [];
    lines.forEach((l, i) => {
      if (removed.has(i)) return;
      const u = updated.get(i);
      // Bytes of a compressed file that do not decode are kept as they are (dead-letter-reader.ts).
      keep.push(l.raw ?? (u === undefined ? l.text : JSON.stringify(u)));
    });
    const result = await rewriteStoreFile(dir, name, keep);
    if (result === 'rewritten') s.filesRewritten++;
    else if (result === 'deleted') s.filesDeleted++;
  }

  /**
   * The check the relay's worker would make now: against its listener's log type as configured now (after a
   * listener moved to a custom schema, e.g. Custom.ZPA.UserActivity, its stored records are checked against
   * that), else the record's own log type, else auto-detection.
   */
  private check(r: StoredRecord, bytes: Buffer): { verdict: Verdict; sendBytes: Buffer } {
    const { engine, listeners } = this.opts;
    const listener = listeners.get(r.listener);
    const logType =
      listener !== undefined && listener.logType !== 'auto' && engine.has(listener.logType)
        ? listener.logType
        : listener !== undefined && listener.logType === 'auto'
          ? 'auto'
          : r.logType !== null && engine.has(r.logType)
            ? r.logType
            : 'auto';
    const max = listener?.maxLineBytes ?? this.opts.defaultMaxLineBytes;
    if (bytes.length > max) return { verdict: lineTooLong(logType === 'auto' ? null : logType, bytes.length, max), sendBytes: bytes };
    const { verdict, repairedLine } = engine.checkLine(bytes.toString('utf8'), logType);
    return { verdict, sendBytes: repairedLine === undefined ? bytes : Buffer.from(repairedLine, 'utf8') };
  }

  /** Writes the file's records (one chunk per listener) and waits until the output settled each of them. */
  private async send(out: readonly Outgoing[]): Promise<Pending[]> {
    const byListener = new Map<string, Outgoing[]>();
    for (const o of out) {
      const list = byListener.get(o.record.listener);
      if (list) list.push(o);
      else byListener.set(o.record.listener, [o]);
    }
    const pending: Pending[] = [];
    const buffers: ArrayBufferLike[] = [];
    try {
      for (const [listener, list] of byListener) {
        const chunk = this.chunkOf(listener, list, pending);
        buffers.push(chunk.data.buffer);
        this.sink!.write(chunk);
      }
      await this.sink!.flush();
    } finally {
      for (const b of buffers) this.inFlight.delete(b);
    }
    return pending;
  }

  /** Packs records as the workers do: each followed by '\n', with their ends, log types and event times. */
  private chunkOf(listener: string, list: readonly Outgoing[], pending: Pending[]): AcceptedChunk {
    const total = list.reduce((n, o) => n + o.bytes.length + 1, 0);
    // Buffer.alloc never comes from the shared pool, so this chunk's ArrayBuffer identifies its records.
    const data = Buffer.alloc(total);
    const ends = new Uint32Array(list.length);
    const typeIndex = new Uint8Array(list.length);
    const eventTimes = new Float64Array(list.length);
    const typeNames: string[] = [];
    const byOffset = new Map<number, Pending>();
    let at = 0;
    list.forEach((o, i) => {
      let ti = typeNames.indexOf(o.logType);
      if (ti < 0) ti = typeNames.push(o.logType) - 1;
      typeIndex[i] = ti;
      eventTimes[i] = o.eventTime;
      const p: Pending = { line: o.line, record: o.record, logType: o.logType };
      byOffset.set(data.byteOffset + at, p);
      pending.push(p);
      o.bytes.copy(data, at);
      at += o.bytes.length;
      data[at++] = 0x0a;
      ends[i] = at;
    });
    this.inFlight.set(data.buffer, byOffset);
    return { listener, data, ends, typeIndex, eventTimes, typeNames };
  }
}
