/**
 * The one bound on record bytes held in the relay, from the moment a block of lines is framed until it
 * is delivered or dead-lettered. Crossing `highBytes` asks every socket to pause; falling below `lowBytes`
 * lets them resume. Hysteresis keeps sockets from flapping on every batch.
 */
export class ByteBudget {
  private held = 0;
  private paused = false;

  constructor(
    private readonly highBytes: number,
    private readonly lowBytes: number,
    private readonly onChange: (paused: boolean, heldBytes: number) => void,
  ) {}

  get heldBytes(): number {
    return this.held;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Adds (positive) or releases (negative) held bytes. */
  adjust(delta: number): void {
    this.held += delta;
    if (this.held < 0) this.held = 0; // defensive: accounting must never drive the level negative
    if (!this.paused && this.held >= this.highBytes) {
      this.paused = true;
      this.onChange(true, this.held);
    } else if (this.paused && this.held < this.lowBytes) {
      this.paused = false;
      this.onChange(false, this.held);
    }
  }
}
