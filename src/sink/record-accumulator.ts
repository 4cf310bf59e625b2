/**
 * The pending records of an output: gathered until they reach a size, or until `flushIntervalMs` after the
 * first of them arrived, then handed over as one group. Shared by the HTTP and directory outputs.
 */
import { recordsOf, type AcceptedChunk, type OutRecord } from './sink.js';
import type { Precompressed } from './gzip-body.js';

export class RecordAccumulator {
  private pending: OutRecord[] = [];
  private pieces: Precompressed[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushIntervalMs: number,
    /** Raw bytes at which the group is handed over at once (may change as an estimate improves). */
    private readonly thresholdBytes: () => number,
    /** The group, with the ranges of it that a worker compressed already (kept when `keepPrecompressed` says so). */
    private readonly emit: (records: OutRecord[], precompressed: Precompressed[]) => void,
    private readonly keepPrecompressed: (chunk: AcceptedChunk) => boolean = () => false,
  ) {}

  add(chunk: AcceptedChunk): void {
    if (chunk.ends.length === 0) return;
    const start = this.pending.length;
    for (const r of recordsOf(chunk)) this.pending.push(r);
    const pc = chunk.precompressed;
    if (pc !== undefined && this.keepPrecompressed(chunk)) {
      const raw = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
      const compressed = Buffer.from(pc.bytes.buffer, pc.bytes.byteOffset, pc.bytes.byteLength);
      const runs = pc.runs ?? Uint32Array.of(chunk.ends.length, compressed.length);
      let record = 0;
      let byte = 0;
      for (let k = 0; k < runs.length; k += 2) {
        const end = runs[k]!;
        const rawFrom = record === 0 ? 0 : chunk.ends[record - 1]!;
        this.pieces.push({ start: start + record, end: start + end, raw: raw.subarray(rawFrom, chunk.ends[end - 1]), compressed: compressed.subarray(byte, runs[k + 1]), crc: pc.crcs?.[k / 2] });
        record = end;
        byte = runs[k + 1]!;
      }
    }
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
    const pieces = this.pieces;
    this.pending = [];
    this.pieces = [];
    this.pendingBytes = 0;
    this.emit(records, pieces);
  }
}
