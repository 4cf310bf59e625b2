/**
 * A stand-in for a Panther HTTP log source: a real `node:http` server on 127.0.0.1, port 0, that checks
 * auth like the configured source would, enforces the payload limit (headers included), decompresses bodies
 * and records every line it accepted. Tests script its responses (throttling, faults, resets, slowness)
 * to drive the relay's sender through real sockets.
 *
 * Usage:
 *   const panther = await startPantherStandin({ auth: { type: 'bearer', token: 't' } });
 *   panther.script([{ status: 429, retryAfter: '1' }]);   // first request throttled, then normal
 *   ... send to panther.url ...
 *   await panther.waitForLines(100);
 *   assert.deepEqual(panther.lines, expected);
 *   await panther.close();
 *
 * Lines are recorded only for requests answered with a 2xx that reached the client, so `lines` is what
 * "Panther" ingested: a body retried after a 503 appears once.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';

/** The auth the stand-in demands; the secret values themselves, unlike the relay's AuthConfig. */
export type StandinAuth =
  | { type: 'none' }
  | { type: 'shared-secret'; header: string; secret: string }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'hmac'; header: string; secret: string; algorithm: 'sha256' | 'sha512'; encoding: 'hex' | 'base64' };

/** Settings of the stand-in. */
export interface StandinOptions {
  /** Auth every request must carry; a request without it gets 401. Default none. */
  auth?: StandinAuth;
  /** Limit for request line + headers + body, in bytes; over it the answer is 413. Default 1_000_000. */
  maxRequestBytes?: number;
}

/** One scripted response. Omitted fields mean "normal": 200 after the checks. */
export interface ScriptedResponse {
  /** Status to answer with instead of the normal one (checks still run first; a failed check wins). */
  status?: number;
  /** Retry-After header value to send. */
  retryAfter?: string;
  /** Wait this long after the body arrived before answering, in milliseconds. */
  delayMs?: number;
  /** Destroy the socket after the first body chunk arrives, without answering (a connection reset mid-body). */
  reset?: boolean;
}

/** What the stand-in saw for one request. */
export interface RecordedRequest {
  /**
   * Status answered; 0 when the socket was reset (scripted) or the client had gone before the answer;
   * -1 while the request is still being handled (the entry is added on arrival and completed later).
   */
  status: number;
  /** Request line + headers + body, as they came over the wire. */
  wireBytes: number;
  /** Body bytes as sent (compressed). */
  bodyBytes: number;
  /** Lines in the decompressed body (zstd bodies are decoded with fzstd, independently of the relay's encoder). */
  lines: number;
  /** Compression detected from the body's magic bytes, not from headers (as Panther does). */
  encoding: 'gzip' | 'zstd' | 'identity';
  /** Request headers, names lower-cased (repeated headers joined by Node's rules). */
  headers: Record<string, string | string[] | undefined>;
  /** Whether the auth check passed. */
  authorized: boolean;
}

/** A running stand-in. */
export interface Standin {
  /** Base URL to POST to, `http://127.0.0.1:<port>/http/<fixed-uuid>`. */
  readonly url: string;
  /** Every line received in a 2xx-answered request, in arrival order, without the newline. */
  readonly lines: string[];
  /** Every request, in arrival order (entries are completed in place as requests are answered). */
  readonly requests: RecordedRequest[];
  /** Raw zstd bodies, in arrival order (they are decoded too; kept for frame-level checks). */
  readonly rawBodies: Buffer[];
  /** Requests being handled right now, and the highest that count has been (for concurrency checks). */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /**
   * Scripts the next responses, one per request in arrival order; requests after the list are answered
   * normally. A function is asked for every request from now on, with the request's 0-based index
   * (counted from the start of the stand-in); returning undefined means a normal answer.
   */
  script(responses: ScriptedResponse[] | ((requestIndex: number) => ScriptedResponse | undefined)): void;
  /** Resolves once at least `n` lines were accepted; rejects after `timeoutMs` (default 5000). */
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
  /** Stops listening, cuts every open connection and cancels scripted delays. */
  close(): Promise<void>;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(buf: Buffer, magic: readonly number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

function headerSize(req: IncomingMessage): number {
  let n = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}\r\n`, 'latin1');
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) n += Buffer.byteLength(`${raw[i]}: ${raw[i + 1]}\r\n`, 'latin1');
  return n + 2;
}

function checkAuth(auth: StandinAuth, req: IncomingMessage, body: Buffer): boolean {
  switch (auth.type) {
    case 'none':
      return true;
    case 'shared-secret':
      return req.headers[auth.header.toLowerCase()] === auth.secret;
    case 'bearer':
      return req.headers.authorization === `Bearer ${auth.token}`;
    case 'basic':
      return req.headers.authorization === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    case 'hmac': {
      const expected = createHmac(auth.algorithm, auth.secret).update(body).digest(auth.encoding);
      return req.headers[auth.header.toLowerCase()] === expected;
    }
  }
}

/** Splits a decompressed JSON-lines body into lines; a final line without newline still counts. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Starts a stand-in Panther HTTP source on 127.0.0.1 and a free port. */
export async function startPantherStandin(opts: StandinOptions = {}): Promise<Standin> {
  const auth = opts.auth ?? { type: 'none' };
  const maxRequestBytes = opts.maxRequestBytes ?? 1_000_000;
  const lines: string[] = [];
  const requests: RecordedRequest[] = [];
  const rawBodies: Buffer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let scripted: ScriptedResponse[] = [];
  let scriptFn: ((i: number) => ScriptedResponse | undefined) | undefined;
  let requestCount = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let lineWaiters: Array<{ n: number; resolve: () => void }> = [];

  const notifyLines = (): void => {
    lineWaiters = lineWaiters.filter((w) => {
      if (lines.length >= w.n) w.resolve();
      return lines.length < w.n;
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const index = requestCount++;
    const plan: ScriptedResponse = scriptFn !== undefined ? (scriptFn(index) ?? {}) : (scripted.shift() ?? {});
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    const chunks: Buffer[] = [];
    // The entry takes its place in arrival order now and is completed when the request is answered.
    const entry: RecordedRequest = { status: -1, wireBytes: 0, bodyBytes: 0, lines: 0, encoding: 'identity', headers, authorized: false };
    requests.push(entry);
    const record = (status: number, body: Buffer, accepted: string[] | undefined, encoding: RecordedRequest['encoding'], authorized: boolean): void => {
      Object.assign(entry, {
        status,
        wireBytes: headerSize(req) + body.length,
        bodyBytes: body.length,
        lines: accepted?.length ?? 0,
        encoding,
        authorized,
      });
    };

    if (plan.reset === true) {
      // Cut the connection as soon as body bytes arrive: the client sees a reset mid-request.
      const cut = (): void => {
        record(0, Buffer.concat(chunks), undefined, 'identity', false);
        finish();
        req.socket.destroy();
      };
      req.once('data', (c: Buffer) => {
        chunks.push(c);
        cut();
      });
      req.once('end', () => {
        if (!done) cut();
      });
      return;
    }

    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => finish()); // the client went away mid-body; nothing to answer
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const encoding: RecordedRequest['encoding'] = startsWith(body, GZIP_MAGIC)
        ? 'gzip'
        : startsWith(body, ZSTD_MAGIC)
          ? 'zstd'
          : 'identity';
      const authorized = checkAuth(auth, req, body);
      let status = 200;
      let decoded: string[] | undefined;
      let reply = 'ok';
      if (!authorized) {
        status = 401;
        reply = 'unauthorized';
      } else if (headerSize(req) + body.length > maxRequestBytes) {
        status = 413;
        reply = 'payload too large';
      } else if (plan.status !== undefined) {
        status = plan.status;
        reply = `scripted ${status}`;
      }
      if (status >= 200 && status < 300) {
        try {
          if (encoding === 'gzip') decoded = splitLines(gunzipSync(body).toString('utf8'));
          else if (encoding === 'identity') decoded = splitLines(body.toString('utf8'));
          else {
            // zstd: decoded with fzstd, a pure-JS decoder independent of the relay's zstd-napi encoder.
            rawBodies.push(body);
            decoded = splitLines(Buffer.from(zstdDecompress(body)).toString('utf8'));
          }
        } catch (err) {
          // A body Panther could not decode is a client error; say so instead of recording garbage.
          status = 400;
          reply = `cannot decode body: ${(err as Error).message}`;
          decoded = undefined;
        }
      }
      const respond = (): void => {
        if (res.destroyed || req.socket.destroyed) {
          // The client gave up (timeout) before the answer: Panther's answer never arrived, record it as 0.
          record(0, body, undefined, encoding, authorized);
          finish();
          return;
        }
        if (decoded !== undefined) {
          for (const l of decoded) lines.push(l);
        }
        record(status, body, decoded, encoding, authorized);
        finish();
        const h: Record<string, string> = { 'content-type': 'text/plain' };
        if (plan.retryAfter !== undefined) h['retry-after'] = plan.retryAfter;
        res.writeHead(status, h);
        res.end(reply);
        notifyLines();
      };
      if (plan.delayMs !== undefined && plan.delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          respond();
        }, plan.delayMs);
        timers.add(t);
      } else {
        respond();
      }
    });
  };

  const server: Server = createServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/http/6f1c2d3e-0000-4000-8000-000000000001`,
    lines,
    requests,
    rawBodies,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    script(responses) {
      if (typeof responses === 'function') {
        scriptFn = responses;
        scripted = [];
      } else {
        scriptFn = undefined;
        scripted = [...responses];
      }
    },
    waitForLines(n, timeoutMs = 5000) {
      if (lines.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          lineWaiters = lineWaiters.filter((w) => w.resolve !== done);
          reject(new Error(`stand-in: ${lines.length} of ${n} lines after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        lineWaiters.push({ n, resolve: done });
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
