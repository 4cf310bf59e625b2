/**
 * Groups a listener's line blocks into batches for the worker pool, by bytes and by time. Each block is
 * copied into the batch's buffer as it arrives (so the socket's read buffer is free at once), a buffer from
 * BatchBuffers that can be moved (transferred) to a worker without a copy on the other side.
 */
import { BATCH_SLACK_BYTES, BatchBuffers } from './batch-buffers.js';
import { NL } from './line-framer.js';

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
    // Lines go into this batch up to the one that brings it to maxBytes; the rest of the block goes on in the
    // next batch. One read is usually one block, and a plain TCP read is up to 256 KiB (shared-read-buffer.ts):
    // splitting keeps batches near maxBytes whatever the read size. A line that does not fit the room left
    // (the slack past maxBytes) ends the batch before it; a line longer than a whole buffer is a batch of its
    // own, in a buffer of its size.
    while (block.length > 0) {
      const short = this.limits.maxBytes - this.bytes;
      const nl = block.length > short ? block.indexOf(NL, Math.max(0, short - 1)) : -1;
      let end = nl < 0 ? block.length : nl + 1;
      if (this.bytes + end > this.buffers.capacity) {
        const cut = block.lastIndexOf(NL, this.buffers.capacity - this.bytes - 1);
        if (cut >= 0) {
          end = cut + 1;
        } else if (this.bytes > 0) {
          this.flush();
          continue;
        } else {
          // Blocks are whole lines, so the first line ends within the block (else all of it goes: no endless loop).
          end = block.indexOf(NL) + 1 || block.length;
          const own = Buffer.allocUnsafeSlow(end);
          block.copy(own, 0, 0, end);
          this.emit(own.buffer, own.length);
          block = block.subarray(end);
          continue;
        }
      }
      this.append(block.subarray(0, end));
      block = block.subarray(end);
    }
  }

  /** Copies lines that fit into the current batch, which goes once it is full enough (or its time is up). */
  private append(block: Buffer): void {
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
