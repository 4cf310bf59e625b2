/**
 * Aggregates per-record incidents (rejections, over-long lines, refusals) and logs them as one line per
 * interval with counts, so a flood of bad records never turns into a flood of log lines.
 */
import type { Logger } from '../log.js';

export class IncidentLog {
  private counts = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    intervalMs = 10_000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  flush(): void {
    if (this.counts.size === 0) return;
    const counts = Object.fromEntries(this.counts);
    this.counts = new Map();
    this.log.warn({ counts }, this.message);
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
