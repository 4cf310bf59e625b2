/**
 * What happens when an output settles records: the byte budget is released, spool tickets are settled,
 * delivered records are counted (with their event lag), refused ones are kept in the dead-letter store.
 */
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import type { ByteBudget } from '../ingest/byte-budget.js';
import type { DeadLetterStore } from '../durability/dead-letter-store.js';
import type { DeadLetterInput } from '../durability/dead-letter-entry.js';
import type { BatchTicket } from '../durability/batch-ticket.js';
import type { OutRecord, SinkHooks } from './sink.js';

export interface SettlementDeps {
  metrics: RelayMetrics;
  log: Logger;
  budget: ByteBudget;
  deadLetters: DeadLetterStore;
}

/** Hooks for one sink; `output` is that sink's metric label. */
export function settlementHooks(d: SettlementDeps, output: () => string): SinkHooks {
  return {
    delivered: (records, rawBytes) => {
      d.budget.adjust(-rawBytes);
      settleRecords(records);
      const now = Date.now();
      const byType = new Map<string, { n: number; timeSum: number }>();
      for (const r of records) {
        const t = byType.get(r.logType);
        if (t) {
          t.n++;
          t.timeSum += r.eventTime;
        } else byType.set(r.logType, { n: 1, timeSum: r.eventTime });
      }
      for (const [lt, t] of byType) {
        d.metrics.recordsDelivered.inc({ output: output(), log_type: lt }, t.n);
        d.metrics.eventLag.observe({ log_type: lt }, Math.max(0, (now - t.timeSum / t.n) / 1000));
      }
    },
    refused: (records, reason, status, message, rawBytes) => {
      d.metrics.sinkRejected.inc({ output: output(), status: String(status) });
      d.log.error({ records: records.length, status, reason, message }, reason === 'undelivered' ? 'records left undelivered at shutdown: kept in the dead-letter store' : 'output refused a batch: records kept in the dead-letter store');
      const entries: DeadLetterInput[] = records.map((r: OutRecord) => ({ listener: r.listener, logType: r.logType, reason, message, line: r.bytes, status }));
      d.deadLetters.write(entries).then(
        () => {
          d.budget.adjust(-rawBytes);
          settleRecords(records);
        },
        (err: Error) => {
          d.budget.adjust(-rawBytes);
          d.log.fatal({ err: err.message, records: records.length, spooled: records[0]?.ticket !== undefined }, 'dead-letter write failed: records not kept (still in the spool when it is on)');
        },
      );
    },
  };
}

/** Settles each record's spool ticket, once per ticket per call (records of one batch are adjacent). */
export function settleRecords(records: readonly OutRecord[]): void {
  let t: BatchTicket | undefined;
  let n = 0;
  for (const r of records) {
    if (r.ticket !== t) {
      if (t && n > 0) t.settle(n);
      t = r.ticket;
      n = 0;
    }
    n++;
  }
  if (t && n > 0) t.settle(n);
}
