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
import type { RefusalLog } from './ingest/refusal-log.js';
import type { DeadLetterStore } from './durability/dead-letter-store.js';
import type { BatchTicket } from './durability/batch-ticket.js';
import type { UnknownFieldSample } from './durability/unknown-field-sample.js';
import { UnknownFieldLabels } from './metrics/unknown-field-labels.js';
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
  refusals: RefusalLog;
  /** Where accepted records with unknown fields are sampled for `schema derive`. */
  unknownSample: UnknownFieldSample;
  /** The current sink (replaced by a reload). */
  sink(): Sink;
}

export class ResultRouter {
  private readonly unknownLabels = new UnknownFieldLabels();

  constructor(private readonly d: RouterDeps) {}

  /** Distributes one worker result; resolves once its dead-letter write (if any) is durable. */
  async route(listener: string, res: BatchResult, ticket: BatchTicket | undefined, replayed: boolean): Promise<void> {
    const m = this.d.metrics;
    if (replayed) m.spoolReplayed.inc(res.ends.length + res.rejectedCounts.reduce((n, c) => n + c[2], 0));
    ticket?.add(res.ends.length + (res.deadLetters !== undefined ? 1 : 0));
    for (const [lt, n] of Object.entries(res.received)) m.recordsReceived.inc({ listener, log_type: lt }, n);
    for (const [lt, reason, n] of res.rejectedCounts) {
      m.recordsRejected.inc({ listener, log_type: lt, reason }, n);
      this.d.rejects.add(`${listener}/${lt}/${reason}`, n);
    }
    for (const [lt, field, reason, n] of res.mismatches) {
      m.schemaMismatch.inc({ log_type: lt, field, reason }, n);
      this.d.mismatches.add(lt, field, reason, n);
    }
    for (const [repair, n] of Object.entries(res.repairs)) m.recordsRepaired.inc({ listener, repair }, n);
    let received = 0;
    for (const n of Object.values(res.received)) received += n;
    this.d.refusals.add(listener, received, res.mismatches);
    for (const [lt, field, n] of res.unknownFields) m.unknownFields.inc({ log_type: lt, field: this.unknownLabels.label(lt, field) }, n);
    if (res.unknownSample !== undefined) this.d.unknownSample.offer(listener, res.unknownSample);
    if (res.ends.length > 0) {
      const precompressed = res.compressed && res.compression ? { ...res.compression, bytes: res.compressed, runs: res.compressedRuns, crcs: res.compressedCrcs } : undefined;
      this.d.sink().write({ listener, ticket, data: res.accepted, ends: res.ends, typeIndex: res.typeIndex, eventTimes: res.eventTimes, typeNames: res.typeNames, precompressed });
    }
    // The budget now holds the accepted (and forwarded) bytes, which the sink settles, instead of the whole input.
    let releasable = res.inputBytes - res.accepted.byteLength;
    // Refused records onReject forwards; the worker has encoded the ones to keep (res.deadLetters).
    if (res.rejected.byteLength > 0) releasable -= this.forward(listener, unpack(res.rejected) as RejectedRecord[], ticket);
    if (res.deadLetters !== undefined) {
      // The refused records' input went back for reuse (res.spare): what the relay holds of them until the
      // frame is on disk is the compressed frame, so the budget holds that instead of their raw bytes. Raw
      // bytes held through each fsync throttled refused traffic far below accepted traffic, for memory
      // the relay did not hold; and when the store is full (whenFull: pause) the frames of a paused listener
      // would otherwise keep the budget full and stop every listener, the accepted ones too.
      const frameBytes = res.deadLetters.byteLength;
      this.d.budget.adjust(-(releasable - frameBytes));
      releasable = frameBytes;
      try {
        await this.d.deadLetters.writeFrames(res.deadLetters, res.deadLetterCounts, listener);
        ticket?.settle();
      } catch (err) {
        // Not acknowledged: with a spool the batch is replayed at the next start rather than lost.
        this.d.log.error({ err: (err as Error).message, records: res.deadLetterCounts.reduce((n, c) => n + c[1], 0) }, 'dead-letter write failed');
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
    this.d.refusals.add(listener, 1, [[lt, '', 'line_too_long', 1]]);
    void this.d.deadLetters
      .write([{ listener, logType: logType === 'auto' ? null : logType, reason: 'line_too_long', message: `line of ${length} bytes exceeds maxLineBytes ${maxLineBytes}`, line: head, length }])
      .catch((err: Error) => this.d.log.error({ err: err.message }, 'dead-letter write failed'));
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
