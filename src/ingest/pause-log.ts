/**
 * Reports the ingest gate's pauses. A pause because the byte budget is full is ordinary backpressure: at
 * full speed the relay reaches maxBufferedBytes and resumes dozens of times a second (bench: about 30
 * pause/resume pairs a second), so those are summed into one line per interval, with the time spent paused,
 * and the time goes to zpa_relay_ingest_paused_seconds_total, whose rate is the share of time ingestion
 * waits. A pause the spool causes (full, or its volume refusing writes) needs an operator and is logged at
 * once, as is its end.
 */
import type { Logger } from '../log.js';
import type { Counter } from 'prom-client';
import type { PauseReason } from './ingest-gate.js';

export class PauseLog {
  private pausedAt: number | null = null;
  /** Whether the current pause was logged as it began (a spool reason), so its end is logged too. */
  private announced = false;
  private count = 0;
  private pausedMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly pausedSeconds: Counter,
    private readonly details: () => Record<string, unknown>,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  change(paused: boolean, reasons: readonly PauseReason[]): void {
    const t = this.now();
    if (paused) {
      this.pausedAt = t;
      this.count++;
      this.announced = reasons.some((r) => r !== 'buffer_full');
      if (this.announced) this.log.warn({ reasons, ...this.details() }, 'ingest paused');
      return;
    }
    if (this.pausedAt === null) return;
    const ms = t - this.pausedAt;
    this.pausedAt = null;
    this.pausedMs += ms;
    this.pausedSeconds.inc(ms / 1000);
    if (this.announced) this.log.warn({ pausedMs: ms, ...this.details() }, 'ingest resumed');
    this.announced = false;
  }

  /** Logs the pauses since the last report, if any. */
  flush(): void {
    const t = this.now();
    // A pause still going on counts up to now (and the rest of it in the next report).
    let ms = this.pausedMs;
    if (this.pausedAt !== null) {
      ms += t - this.pausedAt;
      this.pausedSeconds.inc((t - this.pausedAt) / 1000);
      this.pausedAt = t;
    }
    if (this.count === 0 && ms === 0) return;
    this.log.info({ pauses: this.count, pausedMs: ms, intervalMs: this.intervalMs, ...this.details() }, 'ingest paused by backpressure (counts since the last report)');
    this.count = 0;
    this.pausedMs = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
