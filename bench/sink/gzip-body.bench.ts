/**
 * Throughput of GzipBodyBuilder: MB/s of raw LSS-like records turned into gzip bodies at level 1 under
 * Panther's 1 MB limit, against plain one-thread zlib (PERFORMANCE.md's "zlib gzip level 1, one core").
 *
 *   node dist/bench/sink/gzip-body.bench.js [megabytes=50] [maxRequestBytes=1000000]
 *
 * Two ways of calling the builder are timed: the relay's way (gather `targetRawBytes()` of records, build,
 * repeat) and one call with all the data. Main-thread share is the event loop's utilisation during the run:
 * the part of the work that is not in libuv's thread pool (joining lines, CRC-32, assembling bodies).
 */
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { LssGenerator } from '../lss/generate.js';
import { GzipBodyBuilder, type Body } from '../../src/sink/gzip-body.js';

interface RunResult {
  seconds: number;
  bodies: Body[];
  elu: number;
}

async function timed(fn: () => Promise<Body[]>): Promise<RunResult> {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const bodies = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  return { seconds, bodies, elu };
}

function report(name: string, rawBytes: number, res: RunResult, maxBody: number): void {
  const wire = res.bodies.reduce((n, b) => n + b.body.length, 0);
  const full = res.bodies.slice(0, -1);
  const fill = full.length === 0 ? 1 : full.reduce((n, b) => n + b.body.length, 0) / full.length / maxBody;
  console.log(
    `${name.padEnd(42)} ${(rawBytes / 1e6 / res.seconds).toFixed(0).padStart(5)} MB/s  ratio ${(rawBytes / wire).toFixed(2)}  ` +
      `bodies ${res.bodies.length}  mean fill ${(fill * 100).toFixed(1)}%  main thread ${(res.elu * 100).toFixed(0)}%`,
  );
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 50);
  const maxRequestBytes = Number(process.argv[3] ?? 1_000_000);
  const headerBytes = 400;
  const gen = new LssGenerator(42);
  const records: Buffer[] = [];
  let rawBytes = 0;
  while (rawBytes < megabytes * 1e6) {
    const rec = Buffer.from(gen.userActivity(), 'utf8');
    records.push(rec);
    rawBytes += rec.length + 1;
  }
  console.log(`${records.length} records, ${(rawBytes / 1e6).toFixed(1)} MB, ${(rawBytes / records.length).toFixed(0)} B/record, limit ${maxRequestBytes}`);

  // Baseline: one synchronous zlib stream on the main thread, level 1.
  const joined = Buffer.concat(records.flatMap((rec) => [rec, Buffer.from('\n')]));
  const t0 = performance.now();
  const whole = gzipSync(joined, { level: 1 });
  const baseSeconds = (performance.now() - t0) / 1000;
  console.log(`${'zlib gzipSync level 1, one thread'.padEnd(42)} ${(rawBytes / 1e6 / baseSeconds).toFixed(0).padStart(5)} MB/s  ratio ${(rawBytes / whole.length).toFixed(2)}`);

  for (let round = 0; round < 2; round++) {
    // The relay's pattern: gather one body's worth by the builder's estimate, build, repeat.
    const builder = new GzipBodyBuilder({ maxRequestBytes, headerBytes, level: 1 });
    const perBody = await timed(async () => {
      const out: Body[] = [];
      let i = 0;
      while (i < records.length) {
        const target = builder.targetRawBytes();
        const start = i;
        let size = 0;
        while (i < records.length && size < target) size += records[i++]!.length + 1;
        const { bodies } = await builder.build(records.slice(start, i));
        out.push(...bodies);
      }
      return out;
    });
    report(`builder, one body per call (run ${round + 1})`, rawBytes, perBody, builder.maxBodyBytes);

    // Two builds in flight, as a relay with a spare batch ready would run them: no idle pool between bodies.
    const builder2 = new GzipBodyBuilder({ maxRequestBytes, headerBytes, level: 1 });
    const overlapped = await timed(async () => {
      const out: Body[][] = [];
      const running = new Set<Promise<void>>();
      let i = 0;
      let n = 0;
      while (i < records.length) {
        const target = builder2.targetRawBytes();
        const start = i;
        let size = 0;
        while (i < records.length && size < target) size += records[i++]!.length + 1;
        const slot = n++;
        const p: Promise<void> = builder2.build(records.slice(start, i)).then(({ bodies }) => {
          out[slot] = bodies;
          running.delete(p);
        });
        running.add(p);
        if (running.size >= 2) await Promise.race(running);
      }
      await Promise.all(running);
      return out.flat();
    });
    report(`builder, two calls in flight (run ${round + 1})`, rawBytes, overlapped, builder2.maxBodyBytes);

    const all = await timed(async () => (await builder.build(records)).bodies);
    report(`builder, all records in one call (run ${round + 1})`, rawBytes, all, builder.maxBodyBytes);
  }
}

await main();
