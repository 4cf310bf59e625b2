/**
 * Counts what is still outstanding from one spooled batch (the worker's check, its accepted records, its
 * dead-letter write) and acknowledges the batch to the spool when the count reaches zero.
 */
export class BatchTicket {
  private remaining = 1; // the worker's hold, released when its result has been distributed

  constructor(private readonly done: () => void) {}

  /** More parts to settle (accepted records, a pending dead-letter write). */
  add(n: number): void {
    this.remaining += n;
  }

  settle(n = 1): void {
    this.remaining -= n;
    if (this.remaining === 0) this.done();
  }
}
