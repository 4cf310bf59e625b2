/**
 * Sends LSS-shaped traffic to the relay over N TCP connections, as fast as TCP allows or at a set rate,
 * from pre-generated pools (so generating records does not compete with the relay for the CPU). A mix of
 * log types goes as LSS sends it: each type to its own listener over connections of its own, in proportion. Every
 * 512th record or so is a latency probe: its ConnectionID carries a sequence number whose send time is kept.
 *
 * Why it writes views of one buffer: the generator shares the machine's cores with the relay, so whatever it
 * spends is taken from the relay's figures. Concatenating each 64-record chunk anew (as it once did) allocated
 * about as many bytes per second as it sent, and the collections of that garbage took a tenth of a core at
 * full speed (perf, 2 cores). The pool is now concatenated once and each write is a subarray of it; only the
 * probes, one in a thousand records, are built as they go.
 */
import { connect, type Socket } from 'node:net';
import { setImmediate as setImmediatePromise, setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { LssGenerator, type LogTypeName } from '../lss/generate.js';
import { PROBE_MARK } from './bench-sink.js';

/** One log type of the mix: its records, the relay listener that takes it, and its share of the records sent. */
export interface LoadTarget {
  logType: LogTypeName;
  pool: readonly Buffer[];
  port: number;
  /** Share of all records sent (the shares of a run's targets add up to 1). */
  share: number;
}

export interface LoadOptions {
  /** Connections over all targets; each target gets its share of them, at least one (LSS: one log type per receiver). */
  connections: number;
  /** Records per second over all connections; 0 = as fast as possible. */
  rate: number;
  durationMs: number;
  now: () => number;
  /** Counted up as records are written, for the bench's per-second samples (the result comes only at the end). */
  tally?: { records: number; bytes: number };
  /** Ends the run early (the bench's Ctrl-C), as if its time were up: the records sent so far are still settled. */
  signal?: AbortSignal;
}

export interface LoadResult {
  records: number;
  bytes: number;
  probesSent: Map<number, number>;
  /** Records sent per log type. */
  recordsByLogType: Record<string, number>;
  /** Connections opened per log type. */
  connectionsByLogType: Record<string, number>;
}

/** How many of `total` connections each target gets: its share, rounded, at least one. */
export function connectionsFor(total: number, targets: ReadonlyArray<{ share: number }>): number[] {
  return targets.map((t) => Math.max(1, Math.round(total * t.share)));
}

const POOL_RECORDS = 20_000;
const CHUNK_RECORDS = 64;
/**
 * A probe follows every this many chunks of each connection (one in about 512 records overall): at half of
 * full speed a 15 s step times a few thousand, enough for a p99 that is not just the worst few.
 */
const PROBE_EVERY_CHUNKS = 8;

/**
 * Pre-generated newline-terminated records of one log type. `policyNameShare` of User Activity records carry
 * a policy name in Policy, as real LSS traffic does (the schema refuses them: they are dead-lettered).
 */
export function recordPool(logType: LogTypeName, seed = 1, policyNameShare = 0): Buffer[] {
  const gen = new LssGenerator(seed, { policyNameShare });
  return Array.from({ length: POOL_RECORDS }, () => Buffer.from(gen.record(logType) + '\n'));
}

/** The pool as one buffer, cut into chunks of CHUNK_RECORDS whole records (the last chunk may be shorter), with their record counts. */
function chunksOf(pool: readonly Buffer[]): Array<{ bytes: Buffer; records: number }> {
  const all = Buffer.concat(pool);
  const chunks: Array<{ bytes: Buffer; records: number }> = [];
  let at = 0;
  for (let i = 0; i < pool.length; i += CHUNK_RECORDS) {
    const end = Math.min(pool.length, i + CHUNK_RECORDS);
    let len = 0;
    for (let j = i; j < end; j++) len += pool[j]!.length;
    chunks.push({ bytes: all.subarray(at, at + len), records: end - i });
    at += len;
  }
  return chunks;
}

/**
 * Keeps the mix at full speed: a log type that is ahead of its share waits until another type has sent, so
 * that the relay sees the configured proportions however fast it reads each connection. Waiting is on a
 * promise the next write resolves (no polling: the generator shares the cores with the relay).
 */
class MixGate {
  private readonly sent: number[];
  private total = 0;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly shares: readonly number[]) {
    this.sent = shares.map(() => 0);
  }

  /** Resolves when target `i` may send; at once unless it is more than `slack` records ahead of its share. */
  async ready(i: number, slack: number): Promise<void> {
    while (this.shares.length > 1 && !this.closed && this.sent[i]! > this.shares[i]! * this.total + slack) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  sentBy(i: number, n: number): void {
    this.sent[i]! += n;
    this.total += n;
    this.wake();
  }

  /** The run's time is up (for every connection alike): nobody waits any more. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

/** How long a connection may take to hand over what it wrote once the run's time is up. */
const END_GRACE_MS = 30_000;

/** Resolves after `ms` (none when negative) without keeping the process alive. */
function sleep(ms: number): Promise<void> {
  return setTimeoutPromise(Math.max(0, ms), undefined, { ref: false });
}

/** Waits for the socket to drain, but not past the run's end (`leftMs` from now). */
function drainOrEnd(s: Socket, leftMs: number): Promise<void> {
  let onDrain: () => void = () => undefined;
  const drained = new Promise<void>((r) => s.once('drain', (onDrain = r)));
  return Promise.race([drained, sleep(leftMs)]).finally(() => s.off('drain', onDrain));
}

export async function runLoad(targets: readonly LoadTarget[], opts: LoadOptions): Promise<LoadResult> {
  const counts = connectionsFor(opts.connections, targets);
  const result: LoadResult = { records: 0, bytes: 0, probesSent: new Map(), recordsByLogType: {}, connectionsByLogType: {} };
  const conns: Array<{ target: number; socket: Socket }> = await Promise.all(
    targets.flatMap((t, ti) =>
      Array.from({ length: counts[ti]! }, () => new Promise<{ target: number; socket: Socket }>((resolve, reject) => {
        const s = connect({ port: t.port, host: '127.0.0.1' }, () => resolve({ target: ti, socket: s }));
        s.once('error', reject);
      })),
    ),
  );
  targets.forEach((t, ti) => {
    result.recordsByLogType[t.logType] = 0;
    result.connectionsByLogType[t.logType] = counts[ti]!;
  });
  const prepared = targets.map((t) => {
    const chunks = chunksOf(t.pool);
    // A probe must be delivered to be timed: only a log type with a ConnectionID carries them, and never a
    // record whose Policy carries a name (the schema refuses those).
    const template = t.pool.find((b) => b.includes('"ConnectionID": "') && !/"Policy": "[^"\d]/.test(b.toString()))?.toString() ?? null;
    return { chunks, template };
  });
  const gate = new MixGate(targets.map((t) => t.share));
  const start = opts.now();
  const end = start + opts.durationMs;
  const stopped = () => opts.signal?.aborted === true;
  let probeSeq = 0;
  const probe = (template: string, seq: number): Buffer => Buffer.from(template.replace(/"ConnectionID": "[^"]*"/, `"ConnectionID": "${PROBE_MARK}${seq}"`));

  await Promise.all(
    conns.map(async ({ target: ti, socket: s }, k) => {
      const { chunks, template } = prepared[ti]!;
      const logType = targets[ti]!.logType;
      const perConnRate = (opts.rate * targets[ti]!.share) / counts[ti]!;
      let sentHere = 0;
      let written = 0;
      // Connections start at different places in the pool so that they do not send the same records in step.
      let cursor = Math.floor((k * chunks.length) / conns.length) % chunks.length;
      s.on('error', () => undefined);
      while (opts.now() < end && !stopped()) {
        if (perConnRate > 0) {
          const due = ((opts.now() - start) / 1000) * perConnRate;
          if (sentHere >= due) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
        } else {
          await gate.ready(ti, 4 * CHUNK_RECORDS * counts[ti]!);
          if (opts.now() >= end || stopped()) break;
        }
        const chunk = chunks[cursor]!;
        let n = chunk.records;
        cursor = (cursor + 1) % chunks.length;
        let ok = s.write(chunk.bytes);
        let bytes = chunk.bytes.length;
        if (template !== null && ++written % PROBE_EVERY_CHUNKS === 0) {
          const seq = probeSeq++;
          const p = probe(template, seq);
          result.probesSent.set(seq, opts.now());
          ok = s.write(p);
          n++;
          bytes += p.length;
        }
        result.bytes += bytes;
        result.recordsByLogType[logType]! += n;
        if (opts.tally !== undefined) {
          opts.tally.records += n;
          opts.tally.bytes += bytes;
        }
        sentHere += n;
        gate.sentBy(ti, n);
        // Yield even when the write went straight to the kernel: the stand-in shares this event loop, and a
        // loop of writes that all complete at once (the relay reading as fast as it is sent) would hold its
        // requests, and so the relay's deliveries, until a socket filled up.
        if (!ok) await drainOrEnd(s, end - opts.now());
        else await setImmediatePromise();
      }
      gate.close();
      // A relay that stopped reading (a full dead-letter store pauses its listener) must not hold the bench:
      // what it has not taken within the grace is abandoned, and the report's accounting says so.
      const ended = await Promise.race([new Promise<boolean>((r) => s.end(() => r(true))), sleep(END_GRACE_MS).then(() => false)]);
      if (!ended) s.destroy();
    }),
  );
  result.records = Object.values(result.recordsByLogType).reduce((a, b) => a + b, 0);
  return result;
}
