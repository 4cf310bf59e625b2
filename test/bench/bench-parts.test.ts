/**
 * The bench's own parts count what they claim: the load generator's totals equal what a TCP peer reads, and
 * the Panther stand-in counts every line and finds every latency probe in zstd and gzip bodies. The capacity
 * figures operators size deployments with are only as good as these counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { BenchSink, PROBE_MARK } from '../../bench/e2e/bench-sink.js';
import { connectionsFor, recordPool, runLoad } from '../../bench/e2e/load-generator.js';
import { mergeOver } from '../../bench/e2e/relay-config.js';
import { loadZstd } from '../../src/sink/zstd-body.js';

const now = () => performance.now();

test('the load generator reports exactly the records, bytes and probes a TCP peer reads', async () => {
  const pool = recordPool('Zscaler.ZPA.UserActivity', 3).slice(0, 700);
  let bytes = 0;
  let lines = 0;
  const probes = new Set<number>();
  let carry = '';
  const server = createServer((s) =>
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      const text = carry + d.toString('latin1');
      const parts = text.split('\n');
      carry = parts.pop()!;
      for (const line of parts) {
        lines++;
        const at = line.indexOf(PROBE_MARK);
        if (at >= 0) probes.add(Number(line.slice(at + PROBE_MARK.length, line.indexOf('"', at))));
      }
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // One connection: the peer's carry above is per stream.
  const load = await runLoad([{ logType: 'Zscaler.ZPA.UserActivity', pool, port: (server.address() as AddressInfo).port, share: 1 }], { connections: 1, rate: 20_000, durationMs: 400, now });
  await new Promise((r) => setTimeout(r, 200));
  server.close();
  assert.ok(load.records > 1000, `sent ${load.records}`);
  assert.equal(lines, load.records);
  assert.equal(bytes, load.bytes);
  assert.equal(carry, '', 'every write ends at a record boundary');
  assert.ok(load.probesSent.size >= 1);
  assert.deepEqual([...probes].sort((a, b) => a - b), [...load.probesSent.keys()].sort((a, b) => a - b));
});

test('a mix sends each log type to its own port over connections of its own, in the proportions asked, as fast as the peers read', async () => {
  // Two peers standing in for two listeners; each counts its lines and checks they are all of its log type.
  const peer = async (field: string) => {
    const seen = { lines: 0, foreign: 0, connections: 0 };
    const server = createServer((s) => {
      seen.connections++;
      let carry = '';
      s.on('data', (d: Buffer) => {
        const parts = (carry + d.toString('latin1')).split('\n');
        carry = parts.pop()!;
        for (const line of parts) {
          seen.lines++;
          if (!line.includes(field)) seen.foreign++;
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { seen, server, port: (server.address() as AddressInfo).port };
  };
  const ua = await peer('"ConnectionID": ');
  const status = await peer('"SessionStatus": ');
  const targets = [
    { logType: 'Zscaler.ZPA.UserActivity' as const, pool: recordPool('Zscaler.ZPA.UserActivity', 1).slice(0, 2000), port: ua.port, share: 0.8 },
    { logType: 'Zscaler.ZPA.UserStatus' as const, pool: recordPool('Zscaler.ZPA.UserStatus', 2).slice(0, 2000), port: status.port, share: 0.2 },
  ];
  assert.deepEqual(connectionsFor(4, targets), [3, 1]);
  assert.deepEqual(connectionsFor(1, targets), [1, 1], 'every log type gets a connection');
  const load = await runLoad(targets, { connections: 4, rate: 0, durationMs: 500, now });
  await new Promise((r) => setTimeout(r, 300));
  ua.server.close();
  status.server.close();
  assert.deepEqual(load.connectionsByLogType, { 'Zscaler.ZPA.UserActivity': 3, 'Zscaler.ZPA.UserStatus': 1 });
  assert.deepEqual([ua.seen.connections, status.seen.connections], [3, 1]);
  assert.equal(ua.seen.lines, load.recordsByLogType['Zscaler.ZPA.UserActivity']);
  assert.equal(status.seen.lines, load.recordsByLogType['Zscaler.ZPA.UserStatus']);
  assert.equal(ua.seen.foreign + status.seen.foreign, 0, 'each port gets only its own log type');
  assert.ok(load.records > 5000, `sent ${load.records}`);
  const share = status.seen.lines / load.records;
  // The gate lets a type run ahead by a few chunks at most: 20% of several thousand records, give or take 3 points.
  assert.ok(Math.abs(share - 0.2) < 0.03, `UserStatus share ${share.toFixed(3)} of ${load.records}`);
});

test('the stand-in counts lines and finds probes in zstd (several frames) and gzip bodies, and refuses corrupt zstd', async () => {
  const sink = new BenchSink(now);
  await sink.start();
  try {
    const line = (i: number, probe?: number) => `{"ConnectionID": "${probe === undefined ? `c${i}` : `${PROBE_MARK}${probe}`}", "Host": "a~b"}\n`;
    const first = Array.from({ length: 500 }, (_, i) => line(i, i === 10 ? 7 : undefined)).join('');
    const second = Array.from({ length: 300 }, (_, i) => line(i, i === 299 ? 8 : undefined)).join('');
    const zstd = loadZstd()!;
    const body = Buffer.concat([zstd.compress(Buffer.from(first)), zstd.compress(Buffer.from(second))]);
    const post = async (b: Buffer) => (await request(sink.url, { method: 'POST', body: b, headers: { 'content-length': String(b.length) } })).statusCode;
    assert.equal(await post(body), 200);
    assert.equal(await post(gzipSync(second)), 200);
    assert.equal(sink.stats.lines, 1100);
    assert.equal(sink.stats.rawBytes, first.length + 2 * second.length);
    assert.deepEqual([...sink.stats.probes.keys()].sort(), [7, 8]);
    const corrupt = Buffer.from(body);
    corrupt.fill(0xff, 20, 60);
    assert.equal(await post(corrupt), 400);
    assert.equal(sink.stats.lines, 1100, 'a refused body counts nothing');
  } finally {
    await sink.close();
  }
});

test('with decodeEvery 2 the stand-in counts every body but decodes one in two', async () => {
  const sink = new BenchSink(now, 2);
  await sink.start();
  try {
    const zstd = loadZstd()!;
    const bodies = [0, 1, 2, 3].map((k) => zstd.compress(Buffer.from(`{"k":${k}}\n`.repeat(10 + k))));
    for (const b of bodies) assert.equal((await request(sink.url, { method: 'POST', body: b })).statusCode, 200);
    assert.equal(sink.stats.requests, 4);
    assert.equal(sink.stats.bodyBytes, bodies.reduce((n, b) => n + b.length, 0));
    assert.equal(sink.stats.decodedBodies, 2);
    assert.equal(sink.stats.lines, 11 + 13, 'the 2nd and 4th bodies');
    assert.equal(sink.stats.decodedBodyBytes, bodies[1]!.length + bodies[3]!.length);
  } finally {
    await sink.close();
  }
});

test('--relay-config is merged section by section: one output setting changes, the stand-in URL and the rest stay; arrays and values replace', () => {
  const base = { output: { type: 'http', http: { url: 'http://127.0.0.1:1/x', auth: { type: 'none' }, compression: 'gzip' } }, listeners: [{ name: 'a' }], maxBufferedBytes: 1 };
  const merged = mergeOver(base, { output: { http: { gzipLibrary: 'zlib' } }, listeners: [{ name: 'b' }], maxBufferedBytes: 2 });
  assert.deepEqual(merged, { output: { type: 'http', http: { url: 'http://127.0.0.1:1/x', auth: { type: 'none' }, compression: 'gzip', gzipLibrary: 'zlib' } }, listeners: [{ name: 'b' }], maxBufferedBytes: 2 });
  assert.equal(base.output.http.compression, 'gzip', 'the base is left as it was');
  assert.equal((base.output.http as Record<string, unknown>).gzipLibrary, undefined);
});
