/**
 * The pending records of an output: gathered until they reach a size, or until `flushIntervalMs` after the
 * first of them arrived, then handed over as one group. Shared by the HTTP and directory outputs.
 */
import { recordsOf, type AcceptedChunk, type OutRecord } from './sink.js';

export class RecordAccumulator {
  private pending: OutRecord[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushIntervalMs: number,
    /** Raw bytes at which the group is handed over at once (may change as an estimate improves). */
    private readonly thresholdBytes: () => number,
    private readonly emit: (records: OutRecord[]) => void,
  ) {}

  add(chunk: AcceptedChunk): void {
    if (chunk.ends.length === 0) return;
    for (const r of recordsOf(chunk)) this.pending.push(r);
    this.pendingBytes += chunk.data.byteLength;
    if (this.pendingBytes >= this.thresholdBytes()) this.cut();
    else if (this.timer === null) this.timer = setTimeout(() => this.cut(), this.flushIntervalMs);
  }

  /** Hands over whatever is pending now. */
  cut(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(records);
  }
}
