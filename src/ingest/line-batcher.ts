/**
 * Groups a listener's line blocks into batches for the worker pool, by bytes and by time. Each block is
 * copied into the batch's buffer as it arrives (so the socket's read buffer is free at once), a buffer from
 * BatchBuffers that can be moved (transferred) to a worker without a copy on the other side.
 */
import { BATCH_SLACK_BYTES, BatchBuffers } from './batch-buffers.js';

export interface BatchLimits {
  maxBytes: number;
  maxRecords: number;
  maxWaitMs: number;
}

export class LineBatcher {
  private buffer: Buffer | null = null;
  private bytes = 0;
  private approxRecords = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly limits: BatchLimits,
    /** Receives a batch of complete lines: the first `length` bytes of a transferable buffer. */
    private readonly emit: (data: ArrayBuffer, length: number) => void,
    /** Used to estimate records per block without scanning; refined by the workers' counts. */
    private readonly avgRecordBytes: () => number = () => 1024,
    private readonly buffers: BatchBuffers = new BatchBuffers(limits.maxBytes + BATCH_SLACK_BYTES, 0),
  ) {}

  get pendingBytes(): number {
    return this.bytes;
  }

  add(block: Buffer): void {
    if (this.bytes + block.length > this.buffers.capacity) {
      // A block longer than the room left (a long line that straddled reads): the batch so far goes first,
      // and a block longer than a whole buffer is a batch of its own, in a buffer of its size.
      this.flush();
      if (block.length > this.buffers.capacity) {
        const own = Buffer.allocUnsafeSlow(block.length);
        block.copy(own);
        this.emit(own.buffer, own.length);
        return;
      }
    }
    this.buffer ??= Buffer.from(this.buffers.take());
    block.copy(this.buffer, this.bytes);
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
    const out = this.buffer!;
    const length = this.bytes;
    this.buffer = null;
    this.bytes = 0;
    this.approxRecords = 0;
    this.emit(out.buffer as ArrayBuffer, length);
  }
}
