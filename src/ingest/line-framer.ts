/**
 * Newline framing of one connection's byte stream. Knows nothing of JSON.
 *
 * Hot path: the main thread does one `lastIndexOf(0x0a)` per read (and an `indexOf` when a line straddles
 * two reads) and hands whole blocks of complete lines on; splitting a block into lines happens in the worker threads. Only the unterminated tail of a
 * connection (the carry) is kept here, and it is never allowed to grow past `maxLineBytes`: past that the
 * line is discarded as it streams in, keeping its first 64 KiB for the dead-letter record and its length.
 */

/** How much of an over-long line is kept for the dead-letter store. */
export const TOO_LONG_HEAD_BYTES = 64 * 1024;

export interface FramerOutput {
  /** One or more complete lines, each ending in `\n` (a CR before it is left for the checker to strip). */
  block(data: Buffer): void;
  /** A line longer than maxLineBytes was dropped from the stream; `head` is its first bytes. */
  tooLong(head: Buffer, length: number): void;
}

/** The line terminator, as a byte. */
export const NL = 0x0a;
const NEWLINE = Buffer.from('\n');

export class LineFramer {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** While > 0 we are inside an over-long line: its length so far. */
  private discardBytes = 0;
  private discardHead: Buffer | null = null;

  constructor(
    private readonly maxLineBytes: number,
    private readonly out: FramerOutput,
  ) {}

  /** Bytes of an unterminated line held for this connection (bounded by maxLineBytes). */
  get heldBytes(): number {
    return this.carryBytes;
  }

  push(chunk: Buffer): void {
    if (this.discardHead !== null) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        this.discardBytes += chunk.length;
        return;
      }
      this.finishDiscard(nl);
      chunk = chunk.subarray(nl + 1);
      if (chunk.length === 0) return;
    }
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.hold(chunk);
      return;
    }
    let from = 0;
    if (this.carryBytes > 0) {
      // Only the line that straddles the reads is joined; the rest of the read goes on as it is. (Joining
      // the carry with the whole read copied nearly every byte once more: LSS lines rarely end a read.)
      const first = chunk.indexOf(NL);
      this.carry.push(chunk.subarray(0, first + 1));
      this.out.block(Buffer.concat(this.carry, this.carryBytes + first + 1));
      this.carry = [];
      this.carryBytes = 0;
      from = first + 1;
    }
    if (from <= last) this.out.block(chunk.subarray(from, last + 1));
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
  }

  /** The connection closed: its last unterminated bytes are checked like a line. */
  end(): void {
    if (this.discardHead !== null) this.finishDiscard(0);
    if (this.carryBytes > 0) {
      this.carry.push(NEWLINE);
      this.out.block(Buffer.concat(this.carry, this.carryBytes + 1));
      this.carry = [];
      this.carryBytes = 0;
    }
  }

  private hold(part: Buffer): void {
    if (this.carryBytes + part.length > this.maxLineBytes) {
      // Switch to discarding: keep only the head for the dead-letter record.
      const all = Buffer.concat([...this.carry, part]);
      this.discardHead = Buffer.from(all.subarray(0, TOO_LONG_HEAD_BYTES));
      this.discardBytes = all.length;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    // Copy: a small tail must not pin the whole 64 KiB read buffer it came from.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
  }

  private finishDiscard(extra: number): void {
    this.out.tooLong(this.discardHead as Buffer, this.discardBytes + extra);
    this.discardHead = null;
    this.discardBytes = 0;
  }
}
