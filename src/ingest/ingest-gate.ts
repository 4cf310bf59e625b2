/**
 * Whether sockets may be read. Several stages can hold the gate shut (the byte budget, a full spool, a
 * spool volume that refuses writes); reading resumes only when none does.
 */
export type PauseReason = 'buffer_full' | 'spool_full' | 'spool_unwritable';

export class IngestGate {
  private readonly reasons = new Set<PauseReason>();

  constructor(private readonly onChange: (paused: boolean, reasons: readonly PauseReason[]) => void) {}

  get paused(): boolean {
    return this.reasons.size > 0;
  }

  set(reason: PauseReason, closed: boolean): void {
    const was = this.paused;
    if (closed) this.reasons.add(reason);
    else this.reasons.delete(reason);
    if (was !== this.paused) this.onChange(this.paused, [...this.reasons]);
  }
}
