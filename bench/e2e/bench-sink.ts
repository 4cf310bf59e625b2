/**
 * A lean Panther stand-in for the bench: accepts POSTs, counts them and their bytes, and decodes every
 * `decodeEvery`-th body (gzip or zstd) to count its lines and raw bytes and timestamp the latency probes in
 * it. Unlike the test stand-in it keeps no records: it must run for millions of them on the same two cores
 * as the relay.
 *
 * Why not decode every body by default: Panther decompresses on its own machines, not on the relay's, and
 * the end-to-end figures of PERFORMANCE.md that the bench is compared with were measured against a sink that
 * only stores bodies. Decoding everything here took 0.3 cores (zstd) to 0.7 cores (gzip) of the two the
 * relay is measured on. The bench counts delivered records from the relay's own metric and checks that
 * every record sent is delivered or refused; the decoded sample gives the compression ratio and the latency
 * probes (`--decode-every 1` decodes all, and then also checks the relay's count against the lines seen).
 *
 * Why it reuses its buffers: every byte the relay sends arrives here about 7x larger once decompressed, and
 * a fresh buffer per body (plus one per request for the joined chunks) made this process collect garbage for
 * about a tenth of a core at full speed (perf, 2 cores), CPU taken from the relay under test. A zstd body is
 * read into one buffer per connection (undici sends one request at a time on each) and decompressed into one
 * reused buffer; gzip bodies, the slower mode, still go through zlib's own allocations.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

interface ZstdBinding {
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  getFrameContentSize(frame: Uint8Array): number | null;
  findFrameCompressedSize(frame: Uint8Array): number;
}
const zstd = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;

const gunzipAsync = promisify(gunzip);
/**
 * zlib's output chunk for the sampled gzip bodies. zlib's default (16 KiB) made each 5 MB body about 300
 * jobs on libuv's pool, each waking a pool thread and then this loop: about 3,200 thread switches a second at
 * full speed (perf sched, 2 cores), wakeups that left cores idle under the relay. 4 MiB makes it two jobs;
 * the bench's CPU went from 0.45 to 0.39 cores.
 */
const GUNZIP_CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Marks a probe record's ConnectionID. It starts with `~`, a byte the generated records never contain, so
 * that a probe is found with memchr (Buffer.indexOf of one byte) instead of a string search over every body:
 * the string search took a sixth of this process's main thread.
 */
export const PROBE_MARK = '~zpa-bench-probe-';
const PROBE_MARK_BYTES = Buffer.from(PROBE_MARK);

export interface SinkStats {
  requests: number;
  bodyBytes: number;
  bodySizes: number[];
  /** Bodies decoded (every decodeEvery-th), and their lines, raw bytes and body bytes. */
  decodedBodies: number;
  lines: number;
  rawBytes: number;
  decodedBodyBytes: number;
  /** Probe sequence number -> arrival time (ms, performance.now clock of this process). */
  probes: Map<number, number>;
}

export class BenchSink {
  readonly stats: SinkStats = { requests: 0, bodyBytes: 0, bodySizes: [], decodedBodies: 0, lines: 0, rawBytes: 0, decodedBodyBytes: 0, probes: new Map() };
  private server: Server | null = null;
  private readonly dctx = new zstd.DCtx();
  private raw = Buffer.allocUnsafe(16 * 1024 * 1024);
  private readonly bodyBuffers = new WeakMap<Socket, Buffer>();
  url = '';

  constructor(
    private readonly now: () => number,
    /** Decode one body in this many (1 = every body); the bench decodes all in its latency step. */
    public decodeEvery = 1,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.readBody(req).then((body) => {
        const arrived = this.now();
        this.stats.requests++;
        this.stats.bodyBytes += body.length;
        this.stats.bodySizes.push(body.length);
        if (this.stats.requests % this.decodeEvery !== 0) return void res.writeHead(200).end();
        this.stats.decodedBodies++;
        this.stats.decodedBodyBytes += body.length;
        if (body[0] === 0x1f && body[1] === 0x8b) {
          // Copied: the connection's buffer is read into again by its next request.
          gunzipAsync(Buffer.from(body), { chunkSize: GUNZIP_CHUNK_BYTES }).then(
            (raw) => {
              this.count(raw, arrived);
              res.writeHead(200).end();
            },
            () => res.writeHead(400).end(),
          );
          return;
        }
        if (body[0] === 0x28 && body[1] === 0xb5) {
          const raw = this.unzstd(body);
          if (raw === null) return void res.writeHead(400).end();
          this.count(raw, arrived);
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/http/bench`;
  }

  /** The request body, read into its connection's buffer (valid until the connection's next request). */
  private readBody(req: IncomingMessage): Promise<Buffer> {
    const length = Number(req.headers['content-length'] ?? NaN);
    return new Promise((resolve) => {
      if (!Number.isSafeInteger(length)) {
        const parts: Buffer[] = [];
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => resolve(Buffer.concat(parts)));
        return;
      }
      let buf = this.bodyBuffers.get(req.socket);
      if (buf === undefined || buf.length < length) {
        buf = Buffer.allocUnsafe(Math.max(length, 1024 * 1024));
        this.bodyBuffers.set(req.socket, buf);
      }
      let at = 0;
      req.on('data', (d: Buffer) => {
        at += d.copy(buf, at);
      });
      req.on('end', () => resolve(buf.subarray(0, at)));
    });
  }

  /** Decompresses a body of zstd frames into the reused buffer; null when it is not valid zstd. */
  private unzstd(body: Buffer): Buffer | null {
    try {
      let size = 0;
      for (let at = 0; at < body.length; ) {
        const frame = body.subarray(at);
        size += zstd.getFrameContentSize(frame) ?? 0;
        at += zstd.findFrameCompressedSize(frame);
      }
      if (size > this.raw.length) this.raw = Buffer.allocUnsafe(size * 2);
      return this.raw.subarray(0, this.dctx.decompress(this.raw, body));
    } catch {
      return null;
    }
  }

  private count(raw: Buffer, arrived: number): void {
    this.stats.rawBytes += raw.length;
    let lines = 0;
    for (let i = raw.indexOf(10); i !== -1; i = raw.indexOf(10, i + 1)) lines++;
    this.stats.lines += lines;
    for (let i = raw.indexOf(PROBE_MARK_BYTES[0]!); i !== -1; i = raw.indexOf(PROBE_MARK_BYTES[0]!, i + 1)) {
      if (i + PROBE_MARK_BYTES.length > raw.length) break;
      if (raw.compare(PROBE_MARK_BYTES, 0, PROBE_MARK_BYTES.length, i, i + PROBE_MARK_BYTES.length) !== 0) continue;
      const start = i + PROBE_MARK_BYTES.length;
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
