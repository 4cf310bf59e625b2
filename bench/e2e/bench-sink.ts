/**
 * A lean Panther stand-in for the bench: accepts POSTs, gunzips (or counts zstd bodies as they are),
 * counts lines and bytes, and timestamps latency probes. Unlike the test stand-in it keeps no records:
 * it must run for millions of them on the same two cores as the relay.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

const zstd = createRequire(import.meta.url)('zstd-napi') as { decompress(b: Uint8Array): Buffer };

const gunzipAsync = promisify(gunzip);
export const PROBE_MARK = 'zpa-bench-probe-';

export interface SinkStats {
  requests: number;
  lines: number;
  rawBytes: number;
  bodyBytes: number;
  bodySizes: number[];
  /** Probe sequence number -> arrival time (ms, performance.now clock of this process). */
  probes: Map<number, number>;
}

export class BenchSink {
  readonly stats: SinkStats = { requests: 0, lines: 0, rawBytes: 0, bodyBytes: 0, bodySizes: [], probes: new Map() };
  private server: Server | null = null;
  url = '';

  constructor(private readonly now: () => number) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        const arrived = this.now();
        this.stats.requests++;
        this.stats.bodyBytes += body.length;
        this.stats.bodySizes.push(body.length);
        const done = (raw: Buffer | null) => {
          if (raw) this.count(raw, arrived);
          res.writeHead(200).end();
        };
        if (body[0] === 0x1f && body[1] === 0x8b) gunzipAsync(body).then(done, () => res.writeHead(400).end());
        else if (body[0] === 0x28 && body[1] === 0xb5) done(zstd.decompress(body));
        else done(null);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/http/bench`;
  }

  private count(raw: Buffer, arrived: number): void {
    this.stats.rawBytes += raw.length;
    let lines = 0;
    for (let i = raw.indexOf(10); i !== -1; i = raw.indexOf(10, i + 1)) lines++;
    this.stats.lines += lines;
    // Probes are rare (one per thousand records): indexOf over the body is cheap next to the gunzip.
    for (let i = raw.indexOf(PROBE_MARK); i !== -1; i = raw.indexOf(PROBE_MARK, i + 1)) {
      const start = i + PROBE_MARK.length;
      const seq = Number(raw.toString('latin1', start, raw.indexOf(0x22, start)));
      this.stats.probes.set(seq, arrived);
    }
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server?.closeAllConnections();
      this.server?.close(() => r());
    });
  }
}
