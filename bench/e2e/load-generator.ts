/**
 * Sends LSS-shaped traffic to the relay over N TCP connections, as fast as TCP allows or at a set rate,
 * from a pre-generated pool (so generating records does not compete with the relay for the CPU). Every
 * thousandth record is a latency probe: its ConnectionID carries a sequence number whose send time is kept.
 */
import { connect, type Socket } from 'node:net';
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
const PROBE_EVERY = 1000;

/**
 * Pre-generated newline-terminated records of one log type. `policyNameShare` of User Activity records carry
 * a policy name in Policy, as real LSS traffic does (the schema refuses them: they are dead-lettered).
 */
export function recordPool(logType: LogTypeName, seed = 1, policyNameShare = 0): Buffer[] {
  const gen = new LssGenerator(seed, { policyNameShare });
  return Array.from({ length: POOL_RECORDS }, () => Buffer.from(gen.record(logType) + '\n'));
}

export async function runLoad(pool: Buffer[], opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { records: 0, bytes: 0, probesSent: new Map() };
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: opts.connections }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: opts.port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    })),
  );
  const start = opts.now();
  const end = start + opts.durationMs;
  let probeSeq = 0;
  let cursor = 0;
  const perConnRate = opts.rate / opts.connections;
  // A probe must be delivered to be timed: never one whose Policy carries a name (the schema refuses those).
  const probeTemplate = pool.find((b) => b.includes('"ConnectionID": "') && !/"Policy": "[^"\d]/.test(b.toString())) ?? null;

  const nextChunk = (): Buffer => {
    const parts: Buffer[] = [];
    for (let i = 0; i < CHUNK_RECORDS; i++) {
      if (probeTemplate && (result.records + i) % PROBE_EVERY === 0) {
        const seq = probeSeq++;
        parts.push(Buffer.from(probeTemplate.toString().replace(/"ConnectionID": "[^"]*"/, `"ConnectionID": "${PROBE_MARK}${seq}"`)));
        result.probesSent.set(seq, -1);
      } else {
        parts.push(pool[cursor]);
        cursor = (cursor + 1) % pool.length;
      }
    }
    return Buffer.concat(parts);
  };

  await Promise.all(
    sockets.map(async (s) => {
      let sentHere = 0;
      s.on('error', () => undefined);
      while (opts.now() < end) {
        if (perConnRate > 0) {
          const due = ((opts.now() - start) / 1000) * perConnRate;
          if (sentHere >= due) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
        }
        const firstProbe = probeSeq;
        const chunk = nextChunk();
        const t = opts.now();
        for (let p = firstProbe; p < probeSeq; p++) result.probesSent.set(p, t);
        result.records += CHUNK_RECORDS;
        result.bytes += chunk.length;
        sentHere += CHUNK_RECORDS;
        if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      }
      await new Promise<void>((r) => s.end(r));
    }),
  );
  return result;
}
