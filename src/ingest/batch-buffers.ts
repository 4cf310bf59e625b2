/**
 * The buffers line batches are built in, recycled. A batch's buffer is moved to a worker, comes back holding
 * the accepted records (written over the input in place), and is free again once every record in it is
 * settled (delivered or dead-lettered; BatchTicket says when). Reusing it saves what a fresh buffer per batch
 * costs: the kernel faulting in and zeroing its pages, and V8 counting it as new external memory, which at
 * hundreds of MB/s starts a full garbage collection several times a second. Measured with a Piscina pool
 * moving 512 KiB buffers through two workers: 0.25 ms of CPU per batch with fresh buffers, 0.11 ms reused.
 */

/**
 * Room past batch.maxBytes: a batch is handed over once a line brings it to maxBytes, so that line must
 * still fit. A block longer than that is split at line ends (LineBatcher.add): a plain TCP read of up to
 * 256 KiB (shared-read-buffer.ts) fills one batch and goes on in the next, so the slack only has to hold
 * the line that crosses maxBytes.
 */
export const BATCH_SLACK_BYTES = 64 * 1024;

export class BatchBuffers {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers handed out again after use, since start. */
  reused = 0;
  /** Buffers made new, since start. */
  allocated = 0;

  /**
   * @param capacity bytes of every pooled buffer
   * @param maxFree buffers kept for reuse at most; more are left to the garbage collector (the free list must
   *   not hold memory the byte budget no longer accounts for)
   */
  constructor(
    readonly capacity: number,
    private readonly maxFree: number,
  ) {}

  /** A buffer of `capacity` bytes, recycled when one is free. Its content is undefined. */
  take(): ArrayBuffer {
    // allocUnsafeSlow: an ArrayBuffer of its own, not a slice of Node's shared pool, so that it can be moved.
    const again = this.free.pop();
    if (again === undefined) {
      this.allocated++;
      return Buffer.allocUnsafeSlow(this.capacity).buffer;
    }
    this.reused++;
    return again;
  }

  /**
   * Returns a buffer nothing refers to any more. Only buffers of this pool's size are kept (any buffer of that
   * size will do); a detached one (moved away) has length 0 and is not.
   */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.capacity && this.free.length < this.maxFree) this.free.push(buffer);
  }

  /** Buffers waiting for reuse. */
  get freeCount(): number {
    return this.free.length;
  }
}
