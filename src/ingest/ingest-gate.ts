/**
 * Whether sockets may be read. Several stages can hold the gate shut: for every listener (the byte budget,
 * a full spool, a spool volume that refuses writes), or for some listeners only (a full dead-letter store
 * with deadLetter.whenFull: pause stops the listeners whose records wait for it, while the others flow).
 * A listener is read only when no reason holds it, of either kind.
 */
export type PauseReason = 'buffer_full' | 'spool_full' | 'spool_unwritable' | 'dead_letter_full';

export class IngestGate {
  private readonly reasons = new Set<PauseReason>();
  private readonly byListener = new Map<string, Set<PauseReason>>();

  /**
   * `onChange`: every listener paused or resumed together (the reasons that hold all of them).
   * `onListenerChange`: one listener's own reasons changed whether it is paused.
   */
  constructor(
    private readonly onChange: (paused: boolean, reasons: readonly PauseReason[]) => void,
    private readonly onListenerChange: (listener: string, paused: boolean) => void = () => undefined,
  ) {}

  /** True while a reason holds every listener. */
  get paused(): boolean {
    return this.reasons.size > 0;
  }

  /** True while `listener` may not be read, for any reason. */
  pausedFor(listener: string): boolean {
    return this.paused || (this.byListener.get(listener)?.size ?? 0) > 0;
  }

  /** Listeners held by reasons of their own. */
  get pausedListeners(): string[] {
    return [...this.byListener].filter(([, r]) => r.size > 0).map(([l]) => l);
  }

  set(reason: PauseReason, closed: boolean): void {
    const was = this.paused;
    if (closed) this.reasons.add(reason);
    else this.reasons.delete(reason);
    if (was !== this.paused) this.onChange(this.paused, [...this.reasons]);
  }

  /** Holds (or releases) one listener for `reason`. */
  setFor(listener: string, reason: PauseReason, closed: boolean): void {
    let reasons = this.byListener.get(listener);
    if (reasons === undefined) this.byListener.set(listener, (reasons = new Set()));
    const was = reasons.size > 0;
    if (closed) reasons.add(reason);
    else reasons.delete(reason);
    if (was !== reasons.size > 0) this.onListenerChange(listener, reasons.size > 0);
  }
}
