/**
 * Ingestion paused because the dead-letter store is full (deadLetter.whenFull: pause). The store reports the
 * listeners whose records wait for room; they are held shut at the ingest gate (TCP then pushes back on
 * their App Connectors, which keep the data, as with a full spool), while listeners whose records are
 * accepted keep flowing. One warn line when an episode begins (and one when a listener joins it), one when
 * it ends; zpa_relay_dead_letter_full is 1 during it, and every paused listener's time is added to
 * zpa_relay_dead_letter_paused_seconds_total every 10 s and when it resumes.
 */
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import type { IngestGate } from './ingest-gate.js';

export class DeadLetterPause {
  /** Paused listeners, with the time their paused seconds were last counted up to. */
  private readonly paused = new Map<string, number>();
  private since = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly gate: IngestGate,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
    private readonly where: { path: string; maxBytes: number; totalBytes(): number },
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.count(), 10_000);
    this.timer.unref();
  }

  /** The store is full (true) with records of `listeners` waiting, or has room again (false). */
  fullChanged(full: boolean, listeners: readonly string[]): void {
    if (full) {
      this.since = this.now();
      this.metrics.deadLetterFull.set(1);
      for (const l of listeners) this.hold(l);
      this.log.warn(
        { listeners: [...this.paused.keys()], storeBytes: this.where.totalBytes(), maxBytes: this.where.maxBytes, path: this.where.path },
        'dead-letter store full: ingestion paused on the listeners whose records wait for it, nothing is evicted (deadLetter.whenFull: pause); move files out of deadLetter.path, or replay them, to resume',
      );
      return;
    }
    this.count();
    const resumed = [...this.paused.keys()];
    for (const l of resumed) this.gate.setFor(l, 'dead_letter_full', false);
    this.paused.clear();
    this.metrics.deadLetterFull.set(0);
    this.log.warn({ listeners: resumed, pausedMs: this.now() - this.since, storeBytes: this.where.totalBytes() }, 'dead-letter store has room again: ingestion resumed');
  }

  /** Records of `listener` now wait for room too (the episode is under way). */
  blocked(listener: string): void {
    if (this.paused.has(listener)) return;
    this.hold(listener);
    this.log.warn({ listener }, 'dead-letter store full: ingestion paused on this listener too (its records wait for room)');
  }

  private hold(listener: string): void {
    if (this.paused.has(listener)) return;
    this.paused.set(listener, this.now());
    this.gate.setFor(listener, 'dead_letter_full', true);
  }

  /** Adds the paused listeners' time up to now to the counter. */
  private count(): void {
    const t = this.now();
    for (const [l, from] of this.paused) {
      this.metrics.deadLetterPausedSeconds.inc({ listener: l }, (t - from) / 1000);
      this.paused.set(l, t);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.count();
  }
}
