/**
 * Groups a listener's line blocks into batches for the worker pool, by bytes and by time.
 * A batch is one freshly allocated ArrayBuffer so that it can be moved (transferred) to a worker
 * without a copy on the other side.
 */

export interface BatchLimits {
  maxBytes: number;
  maxRecords: number;
  maxWaitMs: number;
}

export class LineBatcher {
  private blocks: Buffer[] = [];
  private bytes = 0;
  private approxRecords = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly limits: BatchLimits,
    /** Receives a batch of complete lines in a transferable buffer. */
    private readonly emit: (data: ArrayBuffer) => void,
    /** Used to estimate records per block without scanning; refined by the workers' counts. */
    private readonly avgRecordBytes: () => number = () => 1024,
  ) {}

  get pendingBytes(): number {
    return this.bytes;
  }

  add(block: Buffer): void {
    this.blocks.push(block);
    this.bytes += block.length;
    this.approxRecords += Math.max(1, Math.round(block.length / this.avgRecordBytes()));
    if (this.bytes >= this.limits.maxBytes || this.approxRecords >= this.limits.maxRecords) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.limits.maxWaitMs);
    }
  }

  /** Hands over whatever is pending now. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.bytes === 0) return;
    // allocUnsafeSlow: an ArrayBuffer of our own, not a slice of Node's shared pool, so it can be transferred.
    const out = Buffer.allocUnsafeSlow(this.bytes);
    let at = 0;
    for (const b of this.blocks) {
      b.copy(out, at);
      at += b.length;
    }
    this.blocks = [];
    this.bytes = 0;
    this.approxRecords = 0;
    this.emit(out.buffer as ArrayBuffer);
  }
}
