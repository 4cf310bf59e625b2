/**
 * Tells the operator at once that records are refused. The first time a listener sees a (log type, reason,
 * field) refusal, one warn line goes out as the batch is routed (within a second of the record being read),
 * then at most one per hour for that combination, each with the share of the listener's records refused so
 * far and the command to run next: until a custom schema is derived and loaded, refused records are
 * dead-lettered, not sent. The hourly MismatchLog summarises all of them; this one is about news.
 */
import type { Logger } from '../log.js';
import type { MismatchCount } from '../durability/mismatch-counts.js';
import type { RejectAction } from '../durability/reject-policy.js';
import type { RejectReason } from '../schema/verdict.js';

/** What became of the refused records, by onReject's action for their reason. */
const FATE: Readonly<Record<RejectAction, string>> = {
  'dead-letter': 'kept in the dead-letter store, not sent to Panther',
  forward: 'sent to Panther anyway (onReject: forward)',
  'forward-and-keep': 'sent to Panther anyway and kept in the dead-letter store (onReject: forward-and-keep)',
};

/** Reasons a schema derived for the log type cannot fix: not a JSON object Panther could parse, or no log type known. */
const NOT_SCHEMA_REASONS: ReadonlySet<string> = new Set(['invalid_json', 'not_an_object', 'line_too_long', 'unknown_log_type']);

interface Seen {
  /** When this combination was last logged. */
  loggedAt: number;
  /** Refused since then. */
  since: number;
  total: number;
}

export class RefusalLog {
  private readonly seen = new Map<string, Seen>();
  private readonly received = new Map<string, number>();
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    /** onReject's action for a reason (the config may change on reload). */
    private readonly actionFor: (reason: RejectReason) => RejectAction,
    /** `--config FILE` for the commands the lines name, when the relay runs from a file. */
    private readonly configFile?: string,
    private readonly intervalMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** One routed batch of `listener`: `received` records, of which the `mismatches` were refused. */
  add(listener: string, received: number, mismatches: readonly MismatchCount[]): void {
    const refusedNow = mismatches.reduce((n, m) => n + m[3], 0);
    const rec = (this.received.get(listener) ?? 0) + received;
    const ref = (this.refused.get(listener) ?? 0) + refusedNow;
    this.received.set(listener, rec);
    this.refused.set(listener, ref);
    if (refusedNow === 0) return;
    const t = this.now();
    for (const [logType, field, reason, n] of mismatches) {
      const key = `${listener}\0${logType}\0${reason}\0${field}`;
      let s = this.seen.get(key);
      const first = s === undefined;
      if (s === undefined) this.seen.set(key, (s = { loggedAt: t, since: 0, total: 0 }));
      s.since += n;
      s.total += n;
      if (!first && t - s.loggedAt < this.intervalMs) continue;
      this.log.warn(
        {
          listener,
          logType,
          reason,
          field: field || null,
          refused: s.total,
          ...(first ? {} : { refusedSinceLastLine: s.since }),
          listenerRefusedShare: `${((ref / Math.max(1, rec)) * 100).toFixed(1)}% (${ref} of ${rec} records since start)`,
          next: this.next(logType, reason),
        },
        `${first ? 'records refused by the schema' : 'records still refused by the schema'}: ${FATE[this.actionFor(reason)]} ` +
          `(${first ? 'the first of this log type, reason and field on this listener' : 'hourly for this log type, reason and field'})`,
      );
      s.loggedAt = t;
      s.since = 0;
    }
  }

  /** The command to run next: derive a schema from the refused records, or look at records no schema can fix. */
  private next(logType: string, reason: string): string {
    const config = this.configFile !== undefined ? ` --config ${this.configFile}` : '';
    if (NOT_SCHEMA_REASONS.has(reason) || logType === 'unknown') return `zpa-relay dead-letter list --reason ${reason}${config}`;
    return `zpa-relay schema derive --log-type ${logType}${config}`;
  }
}
