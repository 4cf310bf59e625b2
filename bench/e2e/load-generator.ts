/**
 * Sends LSS-shaped traffic to the relay over N TCP connections, as fast as TCP allows or at a set rate,
 * from a pre-generated pool (so generating records does not compete with the relay for the CPU). Every
 * thousandth record is a latency probe: its ConnectionID carries a sequence number whose send time is kept.
 *
 * Why it writes views of one buffer: the generator shares the machine's cores with the relay, so whatever it
 * spends is taken from the relay's figures. Concatenating each 64-record chunk anew (as it once did) allocated
 * about as many bytes per second as it sent, and the collections of that garbage took a tenth of a core at
 * full speed (perf, 2 cores). The pool is now concatenated once and each write is a subarray of it; only the
 * probes, one in a thousand records, are built as they go.
 */
import { connect, type Socket } from 'node:net';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { LssGenerator, type LogTypeName } from '../lss/generate.js';
import { PROBE_MARK } from './bench-sink.js';

export interface LoadOptions {
  port: number;
  connections: number;
  /** Records per second over all connections; 0 = as fast as possible. */
  rate: number;
  durationMs: number;
  logType: LogTypeName;
  now: () => number;
}

export interface LoadResult {
  records: number;
  bytes: number;
  probesSent: Map<number, number>;
}

const POOL_RECORDS = 20_000;
const CHUNK_RECORDS = 64;
/** A probe follows every this many records of each connection (one in about a thousand records overall). */
const PROBE_EVERY_CHUNKS = 16;

/**
 * Pre-generated newline-terminated records of one log type. `policyNameShare` of User Activity records carry
 * a policy name in Policy, as real LSS traffic does (the schema refuses them: they are dead-lettered).
 */
export function recordPool(logType: LogTypeName, seed = 1, policyNameShare = 0): Buffer[] {
  const gen = new LssGenerator(seed, { policyNameShare });
  return Array.from({ length: POOL_RECORDS }, () => Buffer.from(gen.record(logType) + '\n'));
}

/** The pool as one buffer, cut into chunks of CHUNK_RECORDS whole records (the last chunk may be shorter). */
function chunksOf(pool: readonly Buffer[]): Buffer[] {
  const all = Buffer.concat(pool);
  const chunks: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < pool.length; i += CHUNK_RECORDS) {
    let len = 0;
    for (let j = i; j < Math.min(pool.length, i + CHUNK_RECORDS); j++) len += pool[j]!.length;
    chunks.push(all.subarray(at, at + len));
    at += len;
  }
  return chunks;
}

export async function runLoad(pool: Buffer[], opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { records: 0, bytes: 0, probesSent: new Map() };
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: opts.connections }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: opts.port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    })),
  );
  const chunks = chunksOf(pool);
  const recordsIn = chunks.map((c) => {
    let n = 0;
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) n++;
    return n;
  });
  const start = opts.now();
  const end = start + opts.durationMs;
  let probeSeq = 0;
  const perConnRate = opts.rate / opts.connections;
  // A probe must be delivered to be timed: never one whose Policy carries a name (the schema refuses those).
  const probeTemplate = pool.find((b) => b.includes('"ConnectionID": "') && !/"Policy": "[^"\d]/.test(b.toString()))?.toString() ?? null;
  const probe = (seq: number): Buffer => Buffer.from(probeTemplate!.replace(/"ConnectionID": "[^"]*"/, `"ConnectionID": "${PROBE_MARK}${seq}"`));

  await Promise.all(
    sockets.map(async (s, k) => {
      let sentHere = 0;
      let written = 0;
      // Connections start at different places in the pool so that they do not send the same records in step.
      let cursor = Math.floor((k * chunks.length) / sockets.length);
      s.on('error', () => undefined);
      while (opts.now() < end) {
        if (perConnRate > 0) {
          const due = ((opts.now() - start) / 1000) * perConnRate;
          if (sentHere >= due) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
        }
        const chunk = chunks[cursor]!;
        const n = recordsIn[cursor]!;
        cursor = (cursor + 1) % chunks.length;
        let ok = s.write(chunk);
        result.records += n;
        result.bytes += chunk.length;
        sentHere += n;
        if (probeTemplate !== null && ++written % PROBE_EVERY_CHUNKS === 0) {
          const seq = probeSeq++;
          const p = probe(seq);
          result.probesSent.set(seq, opts.now());
          ok = s.write(p);
          result.records++;
          result.bytes += p.length;
          sentHere++;
        }
        // Yield even when the write went straight to the kernel: the stand-in shares this event loop, and a
        // loop of writes that all complete at once (the relay reading as fast as it is sent) would hold its
        // requests, and so the relay's deliveries, until a socket filled up.
        if (!ok) await new Promise((r) => s.once('drain', r));
        else await setImmediatePromise();
      }
      await new Promise<void>((r) => s.end(r));
    }),
  );
  return result;
}
