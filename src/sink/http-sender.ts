/**
 * Sends compressed bodies to a Panther HTTP log source and settles each one as an outcome: delivered, or
 * rejected (the server refused it, or retries ran out). Retrying follows retry-policy.ts; this file only
 * drives requests, timers and the concurrency bound.
 *
 * A send holds its concurrency slot through its backoff waits. That is deliberate: when Panther throttles or
 * fails, new requests would meet the same answer, so the whole sender slows down and `needsDrain` pushes
 * the pressure upstream (spool, then sockets) instead of piling more requests onto a struggling server.
 */
import { EventEmitter } from 'node:events';
import fastq from 'fastq';
import { Pool, type Dispatcher } from 'undici';
import { RelayError } from '../errors.js';
import { redactSecrets, type PantherAuth } from './panther-auth.js';
import { backoffDelayMs, classifyError, classifyStatus, errorCode, parseRetryAfter, type RetryOptions } from './retry-policy.js';

/** Settings of one sender. Everything but `url`, `auth` and the numbers is optional. */
export interface HttpSenderOptions {
  /** The Panther HTTP source URL, `https://logs.<instance>.runpanther.net/http/<uuid>`. */
  url: string;
  /** Produces the auth headers for each body. */
  auth: PantherAuth;
  /** Limit for one attempt from connecting to the last response byte, in milliseconds. */
  requestTimeoutMs: number;
  /** Sends in flight at once (each holds one keep-alive connection), including those waiting to retry. */
  concurrency: number;
  /** Backoff and retry limit. */
  retry: RetryOptions;
  /** The Content-Encoding header to send; Panther detects the compression from the bytes anyway. Default gzip. */
  contentEncoding?: 'gzip' | 'zstd';
  /** Called once per HTTP attempt (for metrics): status 0 for network errors/timeouts. `error` is an error code. */
  onAttempt?: (a: { status: number; durationSeconds: number; wireBytes: number; error?: string }) => void;
  /** Called when a retry is scheduled (for one log line per incident). `error` is an error code. */
  onRetry?: (r: { attempt: number; delayMs: number; status: number; error?: string }) => void;
  /**
   * The undici dispatcher to send through, for example a `ProxyAgent` for an egress proxy. The sender does
   * not close a dispatcher it was given. Default: a keep-alive `Pool` for the URL's origin with
   * `concurrency` connections, owned and closed by the sender.
   */
  dispatcher?: Dispatcher;
  /** Random source in [0, 1) for backoff jitter; injectable for tests. Default Math.random. */
  random?: () => number;
}

/** How one send ended. `attempts` counts HTTP attempts made (0 when none was). */
export type SendOutcome =
  | { status: 'delivered'; httpStatus: number; attempts: number }
  /** Not retryable, retries exhausted, or aborted at close. httpStatus is 0 when the last attempt got no response. */
  | { status: 'rejected'; httpStatus: number; attempts: number; message: string };

/** The content type of a JSON-lines body; Panther's HTTP source takes JSON lines. */
export const CONTENT_TYPE = 'application/x-ndjson';
const USER_AGENT = 'zpa-relay';
/** Bytes of a rejected response's body kept for the outcome message: enough for an error text, bounded. */
const RESPONSE_SNIPPET_BYTES = 512;

/** The result of one HTTP attempt, before the retry decision. */
type AttemptResult =
  | { kind: 'response'; status: number; retryAfter: string | string[] | undefined; snippet: string }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted' };

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`request timed out after ${ms} ms`), { code: 'ETIMEDOUT' });
}

/**
 * Sends bodies to one Panther HTTP source with bounded concurrency, retries and backoff. `send` never
 * rejects: every body settles as a SendOutcome. Emits 'drain' when `needsDrain` turns false again.
 */
export class HttpSender extends EventEmitter {
  private readonly url: URL;
  private readonly origin: string;
  private readonly path: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly opts: HttpSenderOptions;
  private readonly baseHeaders: Readonly<Record<string, string>>;
  private readonly queue: fastq.queueAsPromised<Buffer, SendOutcome>;
  private readonly abortAll = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private inProgress = 0;
  private closed = false;
  private drainWanted = false;
  private dispatcherClosed = false;

  constructor(opts: HttpSenderOptions) {
    super();
    const problems: string[] = [];
    let url: URL | undefined;
    try {
      url = new URL(opts.url);
    } catch (err) {
      // Converted to the config error below; the URL parser's message adds nothing to "not a valid URL".
      problems.push(`sink url is not a valid URL (${errorCode(err)})`);
    }
    if (url !== undefined) {
      if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('sink url must be http:// or https://');
      if (url.username !== '' || url.password !== '') problems.push('sink url must not contain credentials; use auth.type basic');
    }
    if (!(opts.requestTimeoutMs > 0)) problems.push('requestTimeoutMs must be > 0');
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) problems.push('concurrency must be a positive integer');
    if (!(opts.retry.initialBackoffMs >= 0) || !(opts.retry.maxBackoffMs >= 0)) problems.push('backoff times must be >= 0');
    if (!Number.isInteger(opts.retry.maxRetries) || opts.retry.maxRetries < 0) problems.push('maxRetries must be an integer >= 0');
    if (problems.length > 0 || url === undefined) {
      throw new RelayError('ZPA_ERR_CONFIG_INVALID', `invalid sink settings: ${problems.join('; ')}`, problems);
    }
    this.opts = opts;
    this.url = url;
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
    this.baseHeaders = Object.freeze({
      'content-type': CONTENT_TYPE,
      'content-encoding': opts.contentEncoding ?? 'gzip',
      'user-agent': USER_AGENT,
    });
    if (opts.dispatcher !== undefined) {
      this.dispatcher = opts.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(this.origin, {
        connections: opts.concurrency,
        headersTimeout: opts.requestTimeoutMs,
        bodyTimeout: opts.requestTimeoutMs,
        connect: { timeout: opts.requestTimeoutMs },
      });
      this.ownsDispatcher = true;
    }
    this.queue = fastq.promise(this, (body: Buffer) => this.deliver(body), opts.concurrency);
  }

  /** Sends queued or in flight (including those waiting to retry). */
  get pending(): number {
    return this.inProgress;
  }

  /**
   * True when at least `concurrency` sends wait behind the ones in flight: the caller should stop handing
   * over bodies until 'drain'. `send` still accepts bodies meanwhile; this is the backpressure signal.
   */
  get needsDrain(): boolean {
    return this.inProgress >= 2 * this.opts.concurrency;
  }

  /** Sends one compressed body, retrying as the policy says; resolves with the outcome, never rejects. Bounded concurrency via a fastq queue; `pending` counts queued+in-flight. */
  async send(body: Buffer): Promise<SendOutcome> {
    if (this.closed) return { status: 'rejected', httpStatus: 0, attempts: 0, message: 'sender closed' };
    this.inProgress++;
    if (this.needsDrain) this.drainWanted = true;
    try {
      return await this.queue.push(body);
    } catch (err) {
      // deliver() converts every failure into an outcome; reaching this is a bug, still reported as data.
      return { status: 'rejected', httpStatus: 0, attempts: 0, message: `internal error: ${this.redact(String(err))}` };
    } finally {
      this.inProgress--;
      if (this.drainWanted && this.inProgress <= this.opts.concurrency) {
        this.drainWanted = false;
        this.emit('drain');
      }
      if (this.inProgress === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Pending sends continue; resolves when all done. abort=true cancels waits/backoffs and resolves outstanding sends as rejected with message 'aborted' (used only after drain timeout). */
  async close(opts: { abort?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (opts.abort === true && !this.abortAll.signal.aborted) {
      this.abortAll.abort(Object.assign(new Error('sender closed with abort'), { code: 'ABORT_ERR' }));
    }
    if (this.inProgress > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.ownsDispatcher && !this.dispatcherClosed) {
      this.dispatcherClosed = true;
      if (opts.abort === true) await this.dispatcher.destroy();
      else await this.dispatcher.close();
    }
  }

  /** Wire size of the headers this sender adds for a body of n bytes (request line + headers, computed from the real header set incl. auth), so callers keep body + headers <= the limit. */
  headerBytes(bodyLength: number): number {
    // Mirrors undici's HTTP/1.1 writer (lib/dispatcher/client-h1.js): request line, host, connection,
    // our headers as `name: value\r\n`, content-length last, then the blank line. HMAC signatures have
    // a fixed length per algorithm and encoding, so signing an empty body gives the real header length.
    let n = `POST ${this.path} HTTP/1.1\r\n`.length;
    n += `host: ${this.url.host}\r\n`.length;
    n += 'connection: keep-alive\r\n'.length;
    for (const [k, v] of Object.entries(this.headersFor(Buffer.alloc(0)))) n += k.length + 2 + v.length + 2;
    n += `content-length: ${bodyLength}\r\n`.length;
    return n + 2;
  }

  /** The headers for one body, content-length excepted (undici adds it from the Buffer). */
  private headersFor(body: Buffer): Record<string, string> {
    return { ...this.baseHeaders, ...this.opts.auth.headers(body) };
  }

  private redact(text: string): string {
    return redactSecrets(text, this.opts.auth.secrets);
  }

  /** The queue's worker: attempts, classifies and backs off until the body settles. Never throws. */
  private async deliver(body: Buffer): Promise<SendOutcome> {
    const { retry } = this.opts;
    const wireBytes = body.length + this.headerBytes(body.length);
    let attempts = 0;
    for (;;) {
      if (this.abortAll.signal.aborted) return { status: 'rejected', httpStatus: 0, attempts, message: 'aborted' };
      attempts++;
      const started = performance.now();
      const result = await this.attempt(body);
      const durationSeconds = (performance.now() - started) / 1000;
      if (result.kind === 'aborted') {
        this.opts.onAttempt?.({ status: 0, durationSeconds, wireBytes, error: 'ABORT_ERR' });
        return { status: 'rejected', httpStatus: 0, attempts, message: 'aborted' };
      }

      let status: number;
      let verdict: 'delivered' | 'retry' | 'reject';
      let code: string | undefined;
      let detail: string;
      let retryAfterMs: number | undefined;
      if (result.kind === 'response') {
        status = result.status;
        verdict = classifyStatus(status);
        detail = `HTTP ${status}${result.snippet === '' ? '' : `: ${result.snippet}`}`;
        retryAfterMs = parseRetryAfter(result.retryAfter, Date.now());
        this.opts.onAttempt?.({ status, durationSeconds, wireBytes });
      } else {
        status = 0;
        verdict = classifyError(result.error);
        code = errorCode(result.error);
        const message = result.error instanceof Error ? result.error.message : String(result.error);
        detail = `${code}${message !== '' && message !== code ? ` (${message})` : ''}`;
        this.opts.onAttempt?.({ status, durationSeconds, wireBytes, error: code });
      }

      if (verdict === 'delivered') return { status: 'delivered', httpStatus: status, attempts };
      if (verdict === 'reject') {
        return { status: 'rejected', httpStatus: status, attempts, message: this.redact(`not retryable: ${detail}`) };
      }
      const retryNumber = attempts; // the retry about to be scheduled: 1 after the first attempt
      if (retry.maxRetries > 0 && retryNumber > retry.maxRetries) {
        return {
          status: 'rejected',
          httpStatus: status,
          attempts,
          message: this.redact(`retries exhausted after ${attempts} attempts: ${detail}`),
        };
      }
      const delayMs = backoffDelayMs(retryNumber, retry, retryAfterMs, this.opts.random);
      this.opts.onRetry?.({ attempt: retryNumber, delayMs, status, ...(code === undefined ? {} : { error: code }) });
      if (!(await this.sleep(delayMs))) return { status: 'rejected', httpStatus: status, attempts, message: 'aborted' };
    }
  }

  /** One HTTP request with an overall deadline; consumes the response body whatever the status. */
  private async attempt(body: Buffer): Promise<AttemptResult> {
    const controller = new AbortController();
    const { requestTimeoutMs } = this.opts;
    const timer = setTimeout(() => controller.abort(timeoutError(requestTimeoutMs)), requestTimeoutMs);
    const onAbortAll = (): void => controller.abort(this.abortAll.signal.reason);
    this.abortAll.signal.addEventListener('abort', onAbortAll, { once: true });
    try {
      const res = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers: this.headersFor(body),
        body,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
        signal: controller.signal,
      });
      let snippet = '';
      try {
        if (classifyStatus(res.statusCode) === 'delivered') {
          await res.body.dump();
        } else {
          snippet = await readSnippet(res.body);
        }
      } catch (err) {
        // The status line already decided the outcome; a body that fails to arrive afterwards changes nothing
        // (for a 2xx Panther has accepted the data). Only an abort at close matters here.
        if (this.abortAll.signal.aborted) return { kind: 'aborted' };
        snippet = snippet === '' ? `(response body unreadable: ${errorCode(err)})` : snippet;
      }
      return { kind: 'response', status: res.statusCode, retryAfter: res.headers['retry-after'], snippet };
    } catch (err) {
      if (this.abortAll.signal.aborted) return { kind: 'aborted' };
      return { kind: 'error', error: err };
    } finally {
      clearTimeout(timer);
      this.abortAll.signal.removeEventListener('abort', onAbortAll);
    }
  }

  /** Waits `ms`; resolves false at once if the sender is aborted meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.abortAll.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The first bytes of a response body as one line of text (for a rejection message); the rest is discarded. */
async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    // Breaking out of the loop destroys the stream: the rest of an oversized error page is not read.
    if (size >= RESPONSE_SNIPPET_BYTES) break;
  }
  return Buffer.concat(chunks)
    .subarray(0, RESPONSE_SNIPPET_BYTES)
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .trim();
}
