/**
 * One admitted connection (plain TCP, or TLS after a verified handshake): its bytes go through a line
 * framer; the relay may close it on its own (idle timeout, maximum age) but only gracefully.
 *
 * Graceful means no record the client sent is lost: the relay ends its side (FIN, or TLS close_notify
 * then FIN) at a record boundary and keeps reading until the client closes, so everything the client
 * wrote before it saw our FIN is framed and checked. A client that neither closes nor sends anything for
 * CLOSE_GRACE_MS after that is destroyed; one the relay itself is not reading (ingestion paused by
 * backpressure) is never destroyed, since unread bytes would then be lost.
 */
import type { Socket } from 'node:net';
import { LineFramer } from './line-framer.js';
import { readIntoSharedBuffer } from './shared-read-buffer.js';

/** Why the relay closed a connection on its own (label values of zpa_relay_connections_closed_by_relay_total). */
export type RelayCloseReason = 'idle_timeout' | 'max_age';

/** How long a half-closed connection may stay silent before it is destroyed. */
export const CLOSE_GRACE_MS = 30_000;

/** Timing limits of one connection (from the listener config). */
export interface ConnectionLimits {
  readonly maxLineBytes: number;
  /** 0 = never. */
  readonly idleTimeoutMs: number;
  /** 0 = never. */
  readonly maxConnectionAgeMs: number;
}

/** Where an open connection reports. */
export interface OpenConnectionOutput {
  block(data: Buffer): void;
  tooLong(head: Buffer, length: number): void;
  bytesRead(n: number): void;
  /** The relay is ending this connection on its own (reported once, before the FIN is sent). */
  closingByRelay(reason: RelayCloseReason): void;
  /** The connection is fully closed; its framer has flushed. */
  closed(): void;
}

/** An admitted connection: framing, pause/resume, and the relay's own graceful closes. */
export class OpenConnection {
  /** When the last byte arrived (ms since the epoch); drain uses it to wait for quiet. */
  lastDataAt = Date.now();
  private readonly framer: LineFramer;
  private paused = false;
  /** Set once the relay wants this connection gone; the FIN waits for a record boundary. */
  private closeReason: RelayCloseReason | null = null;
  private ending = false;
  private ageTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly stream: Socket,
    private readonly limits: ConnectionLimits,
    private readonly out: OpenConnectionOutput,
    /** Bytes that arrived with the PROXY header, before the stream was handed over. */
    first: Buffer = Buffer.alloc(0),
  ) {
    this.framer = new LineFramer(limits.maxLineBytes, { block: (d) => out.block(d), tooLong: (h, n) => out.tooLong(h, n) });
    stream.on('end', () => {
      this.framer.end();
      // Half-closed by the client: we have nothing to send, so close our side too.
      stream.end();
    });
    stream.on('error', () => {
      // 'close' always follows an error and settles the connection; nothing is lost that was read.
    });
    stream.once('close', () => {
      if (this.ageTimer) clearTimeout(this.ageTimer);
      if (this.graceTimer) clearTimeout(this.graceTimer);
      // After an error or a destroy the last unterminated bytes are still checked (and dead-lettered if bad).
      this.framer.end();
      out.closed();
    });
    if (limits.idleTimeoutMs > 0) {
      stream.setTimeout(limits.idleTimeoutMs);
      stream.on('timeout', () => this.onIdle());
    }
    if (limits.maxConnectionAgeMs > 0) {
      // Up to 10% earlier, so connections opened together (after a deploy) do not all reconnect at once.
      const age = limits.maxConnectionAgeMs * (0.9 + 0.1 * Math.random());
      this.ageTimer = setTimeout(() => this.requestClose('max_age'), age);
      this.ageTimer.unref();
    }
    if (first.length > 0) this.onData(first);
    // After `first`: bytes still queued in the stream come after it, and new reads after those.
    if (!readIntoSharedBuffer(stream, (chunk) => this.onData(chunk))) stream.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Pauses or resumes reading (backpressure from the relay's byte budget). */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.stream.pause();
    else this.stream.resume();
  }

  /** Ends our side now (shutdown drain); reading goes on until the client closes. */
  end(): void {
    this.ending = true;
    this.stream.end();
  }

  private onData(chunk: Buffer): void {
    this.lastDataAt = Date.now();
    this.out.bytesRead(chunk.length);
    this.framer.push(chunk);
    if (this.closeReason !== null && !this.ending && this.framer.heldBytes === 0) this.beginEnd();
  }

  private onIdle(): void {
    if (this.ending) return;
    if (this.paused) {
      // Quiet because we are not reading, not because the client is idle: re-arm and wait.
      this.stream.setTimeout(this.limits.idleTimeoutMs);
      return;
    }
    // Idle with a partial line means the client stalled mid-record: it is closed anyway, and the partial
    // line is checked (and dead-lettered) when the connection closes.
    this.closeReason = 'idle_timeout';
    this.beginEnd();
  }

  private requestClose(reason: RelayCloseReason): void {
    this.ageTimer = null;
    if (this.ending || this.closeReason !== null) return;
    this.closeReason = reason;
    // At a record boundary now? Otherwise the next read that completes the line triggers the end.
    if (this.framer.heldBytes === 0) this.beginEnd();
  }

  private beginEnd(): void {
    this.ending = true;
    this.out.closingByRelay(this.closeReason as RelayCloseReason);
    this.stream.setTimeout(0);
    this.stream.end();
    this.armGrace();
  }

  private armGrace(): void {
    this.graceTimer = setTimeout(() => {
      if (this.paused || Date.now() - this.lastDataAt < CLOSE_GRACE_MS) return this.armGrace();
      this.stream.destroy();
    }, CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }
}
