/**
 * One log line per interval (hourly by default) summarising the top schema mismatches since the last one:
 * the operator sees schema drift without one log line per record.
 */
import type { Logger } from '../log.js';

export class MismatchLog {
  private counts = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    intervalMs = 3_600_000,
    private readonly top = 5,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  add(logType: string, field: string, reason: string, n: number): void {
    const key = `${logType} ${field || '-'} ${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  flush(): void {
    if (this.counts.size === 0) return;
    const top = [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, this.top).map(([k, n]) => `${k}: ${n}`);
    this.log.warn({ top, kinds: this.counts.size }, 'schema mismatches since the last report (log type, field, reason: count)');
    this.counts = new Map();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
