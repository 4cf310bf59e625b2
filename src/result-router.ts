/**
 * Where a worker's verdicts go: counts into metrics (once per batch), accepted records to the sink,
 * refused ones to the dead-letter store or, by `onReject`, to the sink anyway; and the byte budget and the
 * spool ticket follow each part until it is settled.
 */
import { unpack } from 'msgpackr';
import type { Logger } from './log.js';
import type { RelayMetrics } from './metrics/metrics.js';
import type { ByteBudget } from './ingest/byte-budget.js';
import type { IncidentLog } from './ingest/incident-log.js';
import type { MismatchLog } from './ingest/mismatch-log.js';
import type { DeadLetterStore } from './durability/dead-letter-store.js';
import type { BatchTicket } from './durability/batch-ticket.js';
import type { RejectPolicy } from './durability/reject-policy.js';
import type { Sink } from './sink/sink.js';
import type { BatchResult, RejectedRecord } from '../workers/batch-types.js';

const NEWLINE = Buffer.from('\n');

export interface RouterDeps {
  metrics: RelayMetrics;
  log: Logger;
  budget: ByteBudget;
  deadLetters: DeadLetterStore;
  rejects: IncidentLog;
  mismatches: MismatchLog;
  /** The current sink, policy and schema fields (all replaced by a reload). */
  sink(): Sink;
  policy(): RejectPolicy;
  schemaFields(): ReadonlyMap<string, ReadonlySet<string>>;
}

export class ResultRouter {
  constructor(private readonly d: RouterDeps) {}

  /** Distributes one worker result; resolves once its dead-letter write (if any) is durable. */
  async route(listener: string, res: BatchResult, ticket: BatchTicket | undefined, replayed: boolean): Promise<void> {
    const m = this.d.metrics;
    if (replayed) m.spoolReplayed.inc(res.ends.length + res.rejectedCounts.reduce((n, c) => n + c[2], 0));
    ticket?.add(res.ends.length + (res.rejected.byteLength > 0 ? 1 : 0));
    for (const [lt, n] of Object.entries(res.received)) m.recordsReceived.inc({ listener, log_type: lt }, n);
    for (const [lt, reason, n] of res.rejectedCounts) {
      m.recordsRejected.inc({ listener, log_type: lt, reason }, n);
      this.d.rejects.add(`${listener}/${lt}/${reason}`, n);
    }
    for (const [repair, n] of Object.entries(res.repairs)) m.recordsRepaired.inc({ listener, repair }, n);
    if (res.ends.length > 0) {
      const precompressed = res.compressed && res.compression ? { ...res.compression, bytes: res.compressed, runs: res.compressedRuns } : undefined;
      this.d.sink().write({ listener, ticket, data: res.accepted, ends: res.ends, typeIndex: res.typeIndex, eventTimes: res.eventTimes, typeNames: res.typeNames, precompressed });
    }
    // The budget now holds the accepted (and forwarded) bytes, which the sink settles, instead of the whole input.
    let releasable = res.inputBytes - res.accepted.byteLength;
    if (res.rejected.byteLength > 0) {
      const rejected = unpack(res.rejected) as RejectedRecord[];
      this.countMismatches(rejected);
      const keep: RejectedRecord[] = [];
      const forward: RejectedRecord[] = [];
      const policy = this.d.policy();
      for (const r of rejected) {
        const action = policy.actionFor(r.reason);
        if (action !== 'dead-letter') forward.push(r);
        if (action !== 'forward') keep.push(r);
      }
      if (forward.length > 0) releasable -= this.forward(listener, forward, ticket);
      try {
        await this.d.deadLetters.write(keep.map((r) => ({ listener, logType: r.logType, reason: r.reason, field: r.field, message: r.message, line: r.line, length: r.length })));
        ticket?.settle();
      } catch (err) {
        // Not acknowledged: with a spool the batch is replayed at the next start rather than lost.
        this.d.log.error({ err: (err as Error).message, records: keep.length }, 'dead-letter write failed');
      }
    }
    this.d.budget.adjust(-releasable);
    ticket?.settle();
  }

  /** A line the framer discarded as it streamed (longer than maxLineBytes): counted and dead-lettered. */
  tooLong(listener: string, logType: string, maxLineBytes: number, head: Buffer, length: number): void {
    const lt = logType === 'auto' ? 'unknown' : logType;
    this.d.metrics.recordsReceived.inc({ listener, log_type: lt });
    this.d.metrics.recordsRejected.inc({ listener, log_type: lt, reason: 'line_too_long' });
    this.d.rejects.add(`${listener}/${lt}/line_too_long`);
    void this.d.deadLetters
      .write([{ listener, logType: logType === 'auto' ? null : logType, reason: 'line_too_long', message: `line of ${length} bytes exceeds maxLineBytes ${maxLineBytes}`, line: head, length }])
      .catch((err: Error) => this.d.log.error({ err: err.message }, 'dead-letter write failed'));
  }

  /** Counts schema failures by log type, top-level schema field and reason (labels from the schemas only). */
  private countMismatches(rejected: readonly RejectedRecord[]): void {
    const counts = new Map<string, [string, string, string, number]>();
    const fields = this.d.schemaFields();
    for (const r of rejected) {
      const lt = r.logType ?? 'unknown';
      const top = r.field ? r.field.split(/[.[]/, 1)[0] : '';
      const field = fields.get(lt)?.has(top) ? top : '';
      const key = `${lt}\0${field}\0${r.reason}`;
      const c = counts.get(key);
      if (c) c[3]++;
      else counts.set(key, [lt, field, r.reason, 1]);
    }
    for (const [lt, field, reason, n] of counts.values()) {
      this.d.metrics.schemaMismatch.inc({ log_type: lt, field, reason }, n);
      this.d.mismatches.add(lt, field, reason, n);
    }
  }

  /** Sends refused records anyway (onReject forward / forward-and-keep); returns the bytes now held by the sink. */
  private forward(listener: string, records: readonly RejectedRecord[], ticket: BatchTicket | undefined): number {
    const typeNames: string[] = [];
    const typeIndex = new Uint8Array(records.length);
    const ends = new Uint32Array(records.length);
    const parts: Buffer[] = [];
    let at = 0;
    const counted = new Map<string, [string, string, number]>();
    records.forEach((r, i) => {
      const lt = r.logType ?? 'unknown';
      const key = `${lt}\0${r.reason}`;
      const c = counted.get(key);
      if (c) c[2]++;
      else counted.set(key, [lt, r.reason, 1]);
      let ti = typeNames.indexOf(lt);
      if (ti < 0) ti = typeNames.push(lt) - 1;
      typeIndex[i] = ti;
      parts.push(Buffer.from(r.line.buffer, r.line.byteOffset, r.line.byteLength), NEWLINE);
      at += r.line.byteLength + 1;
      ends[i] = at;
    });
    for (const [lt, reason, n] of counted.values()) this.d.metrics.rejectedForwarded.inc({ listener, log_type: lt, reason }, n);
    ticket?.add(records.length);
    const data = Buffer.concat(parts, at);
    // Their event time is unknown (the check failed): the time they were forwarded stands in for it.
    this.d.sink().write({ listener, ticket, data, ends, typeIndex, eventTimes: new Float64Array(records.length).fill(Date.now()), typeNames });
    return at;
  }
}
