/**
 * One TCP server per configured listener, and the admission of each connection: nothing a peer sends is
 * treated as a record until the connection has passed, in order,
 *   1. the connection limit (`maxConnections`, counting connections still in their handshakes),
 *   2. with `proxyProtocol`: the load balancer check (`trustedProxyCidrs`) and a valid PROXY v1/v2 header
 *      within `proxyHeaderTimeoutMs` (it gives the real client address),
 *   3. the allow list (`allowCidrs`) on the real client address,
 *   4. with `tls`: a TLS handshake, and with `requireClientCert` a client certificate chaining to caFile.
 * Refusals and handshake failures are counted by reason (closed sets); addresses go to logs, never to
 * metric labels. An admitted connection becomes an OpenConnection, whose complete line blocks go to the
 * listener's batcher. Sockets are paused and resumed as a group by the relay's byte budget: TCP then pushes
 * back on the App Connector. Connections are never closed to relieve pressure.
 */
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { ListenerConfig, ListenerTlsConfig } from '../config/types.js';
import { AllowList } from './access-control.js';
import { ProxyHeaderParser } from './proxy-protocol.js';
import { OpenConnection, type RelayCloseReason } from './open-connection.js';
import { classifyTlsFailure, readTlsFiles, tlsEnabled, type TlsFailureReason } from './tls-context.js';

/** Why a connection was refused before any record byte was read (label values of zpa_relay_connections_refused_total). */
export type RefusalReason = 'max_connections' | 'not_allowed' | 'proxy_not_trusted' | 'proxy_header_invalid' | 'proxy_header_timeout';

export type { TlsFailureReason, RelayCloseReason };

/** What a listener reports. `remote` is the real client `address:port` (from the PROXY header when on). */
export interface ListenerEvents {
  block(listener: string, data: Buffer): void;
  tooLong(listener: string, head: Buffer, length: number): void;
  bytesRead(listener: string, n: number): void;
  /** A connection was admitted: its bytes are records from now on. */
  connectionOpened(listener: string, remote: string): void;
  /** An admitted connection closed. */
  connectionClosed(listener: string, remote: string, error?: Error): void;
  /** A connection was closed before any of its bytes were read as records; `detail` is a fixed text, never peer data. */
  refused?(listener: string, reason: RefusalReason, remote: string, detail?: string): void;
  /** A TLS handshake failed (bad or missing client certificate, protocol error, timeout). */
  tlsHandshakeFailed?(listener: string, reason: TlsFailureReason, remote: string): void;
  /** The relay is closing an admitted connection on its own (idle timeout, maximum age). */
  closedByRelay?(listener: string, reason: RelayCloseReason, remote: string): void;
}

/** Keep-alive probes start after this much silence: dead peers are found, and load balancers that drop idle flows (AWS NLB: 350 s) keep them. */
const KEEPALIVE_INITIAL_DELAY_MS = 60_000;

/** One accepted socket, from accept to close. */
interface Conn {
  readonly raw: Socket;
  /** The real client `address:port`. */
  remote: string;
  open: OpenConnection | null;
}

/** One configured listener: its server, the admission of each connection, and its open connections. */
export class TcpListener {
  private readonly server: Server;
  private readonly tlsServer: TlsServer | null;
  private readonly conns = new Map<Socket, Conn>();
  /** Connections in their TLS handshake, by TCP 4-tuple (the TLS socket shares the raw socket's endpoints). */
  private readonly handshaking = new Map<string, Conn>();
  private readonly allow: AllowList;
  private readonly trustedProxies: AllowList;
  private paused = false;
  private bound = false;

  constructor(
    readonly config: ListenerConfig,
    private readonly events: ListenerEvents,
  ) {
    this.allow = new AllowList(config.allowCidrs ?? []);
    this.trustedProxies = new AllowList(config.trustedProxyCidrs ?? []);
    this.server = createServer({ keepAlive: true, keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS, noDelay: true }, (socket) => this.accept(socket));
    this.tlsServer = config.tls && tlsEnabled(config.tls) ? this.createTlsServer() : null;
  }

  /** Connections open now, including those still in their PROXY header or TLS handshake. */
  get connectionCount(): number {
    return this.conns.size;
  }

  get isBound(): boolean {
    return this.bound;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', reject);
        this.bound = true;
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Re-reads the TLS certificate, key and CA files (SIGHUP); new handshakes use them, open connections
   * keep going. `next` is the listener's TLS section of a reloaded config: its file paths and minVersion
   * are applied; turning TLS on or off or changing requireClientCert needs a restart. Returns false when
   * the listener has no TLS. Throws TlsFilesError, keeping the current files, when they cannot be read
   * or do not load.
   */
  reloadTls(next: ListenerTlsConfig = this.config.tls): boolean {
    if (!this.tlsServer) return false;
    this.tlsServer.setSecureContext(readTlsFiles(next));
    return true;
  }

  /** Pauses or resumes reading on every admitted connection of this listener. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const c of this.conns.values()) c.open?.setPaused(paused);
  }

  /**
   * Stops accepting new connections at once; open ones go on. (server.close's callback only fires after
   * every connection has ended, so it is not awaited here: drainConnections ends them.)
   */
  stopAccepting(): void {
    if (!this.bound) return;
    this.server.close();
    this.bound = false;
  }

  /**
   * Reads what clients have already sent, then closes every connection: waits until no socket has
   * delivered data for `quietMs` (or `maxWaitMs` passed), ends them, and resolves once all have closed.
   * Connections not yet admitted have sent no record: they are closed at once.
   */
  async drainConnections(quietMs: number, maxWaitMs: number): Promise<void> {
    const started = Date.now();
    const deadline = started + maxWaitMs;
    for (const c of this.conns.values()) if (!c.open) c.raw.destroy();
    const lastData = () => Math.max(started, ...[...this.conns.values()].map((c) => c.open?.lastDataAt ?? 0));
    while (this.conns.size > 0 && Date.now() < deadline && Date.now() - lastData() < quietMs) {
      await new Promise((r) => setTimeout(r, Math.min(quietMs, 50)));
    }
    const closing = [...this.conns.values()].map(
      (c) => new Promise<void>((resolve) => {
        if (c.raw.destroyed) return resolve();
        c.raw.once('close', () => resolve());
        // end() sends FIN; whatever is still in flight from the client is read until it closes too.
        if (c.open) c.open.end();
        else c.raw.destroy();
        setTimeout(() => {
          c.open?.stream.destroy();
          c.raw.destroy();
        }, Math.max(0, deadline - Date.now())).unref();
      }),
    );
    await Promise.all(closing);
  }

  private createTlsServer(): TlsServer {
    const t = this.config.tls;
    // The client certificate is verified by OpenSSL against caFile but refused here, not inside the
    // handshake (rejectUnauthorized: false): then the refusal is seen with the socket still open, so it is
    // counted with its reason and logged with the client's address, and still no byte of it is read.
    const server = createTlsServer({
      ...readTlsFiles(t),
      requestCert: t.requireClientCert,
      rejectUnauthorized: false,
      handshakeTimeout: t.handshakeTimeoutMs,
    });
    // This server never listens: admitted raw sockets are handed to it with emit('connection'), the
    // documented way to inject a connection, after the PROXY header (which precedes the TLS bytes).
    server.on('secureConnection', (socket: TLSSocket) => {
      const key = fourTuple(socket);
      const conn = this.handshaking.get(key);
      this.handshaking.delete(key);
      if (!conn) {
        socket.destroy();
        return;
      }
      if (t.requireClientCert && !socket.authorized) {
        const reason = Object.keys(socket.getPeerCertificate()).length === 0 ? 'no_certificate' : 'bad_certificate';
        this.events.tlsHandshakeFailed?.(this.config.name, reason, conn.remote);
        socket.destroy();
        return;
      }
      this.admit(conn, socket, Buffer.alloc(0));
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const key = socket ? fourTuple(socket) : '';
      const conn = this.handshaking.get(key);
      this.handshaking.delete(key);
      this.events.tlsHandshakeFailed?.(this.config.name, classifyTlsFailure(err, socket), conn?.remote ?? 'unknown');
      socket?.destroy();
    });
    return server;
  }

  private accept(raw: Socket): void {
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    raw.on('error', () => {
      // A reset or a timeout before admission: 'close' follows and removes the connection.
    });
    if (this.conns.size >= this.config.maxConnections) return this.refuse(raw, 'max_connections', peer);
    const conn: Conn = { raw, remote: peer, open: null };
    this.conns.set(raw, conn);
    const key = fourTuple(raw);
    raw.once('close', () => {
      this.conns.delete(raw);
      this.handshaking.delete(key);
    });
    if (!this.config.proxyProtocol) {
      if (!this.allow.allows(raw.remoteAddress)) return this.refuse(raw, 'not_allowed', peer);
      return this.secure(conn, key, Buffer.alloc(0));
    }
    if (!this.trustedProxies.allows(raw.remoteAddress)) return this.refuse(raw, 'proxy_not_trusted', peer);
    this.readProxyHeader(conn, key);
  }

  /** Reads the PROXY header, then checks the real client address and goes on to TLS or straight to records. */
  private readProxyHeader(conn: Conn, key: string): void {
    const raw = conn.raw;
    const parser = new ProxyHeaderParser();
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
    };
    const timer = setTimeout(() => {
      finish();
      this.refuse(raw, 'proxy_header_timeout', conn.remote);
    }, this.config.proxyHeaderTimeoutMs);
    timer.unref();
    const onEnd = () => {
      finish();
      // A connect-and-close with no byte is a load balancer's TCP health check, not a refusal.
      if (seen > 0) this.refuse(raw, 'proxy_header_invalid', conn.remote, 'connection closed inside the PROXY header');
      else raw.destroy();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      const r = parser.push(chunk);
      if (r.kind === 'incomplete') return;
      finish();
      raw.pause();
      if (r.kind === 'invalid') return this.refuse(raw, 'proxy_header_invalid', conn.remote, r.problem);
      const h = r.header;
      if (h.command === 'proxy') conn.remote = h.sourceAddress!.includes(':') ? `[${h.sourceAddress}]:${h.sourcePort}` : `${h.sourceAddress}:${h.sourcePort}`;
      if (!this.allow.allows(h.command === 'proxy' ? h.sourceAddress : raw.remoteAddress)) return this.refuse(raw, 'not_allowed', conn.remote);
      this.secure(conn, key, r.rest);
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
  }

  /** Hands the connection to TLS (when on) or admits it. `rest` are bytes read after the PROXY header. */
  private secure(conn: Conn, key: string, rest: Buffer): void {
    if (!this.tlsServer) return this.admit(conn, conn.raw, rest);
    // The TLS socket reads what is buffered in the raw socket first, so the ClientHello bytes that came
    // with the PROXY header are put back.
    if (rest.length > 0) conn.raw.unshift(rest);
    this.handshaking.set(key, conn);
    this.tlsServer.emit('connection', conn.raw);
  }

  private admit(conn: Conn, stream: Socket, first: Buffer): void {
    const name = this.config.name;
    const remote = conn.remote;
    if (stream.destroyed) return;
    this.events.connectionOpened(name, remote);
    conn.open = new OpenConnection(stream, this.config, {
      block: (data) => this.events.block(name, data),
      tooLong: (head, length) => this.events.tooLong(name, head, length),
      bytesRead: (n) => this.events.bytesRead(name, n),
      closingByRelay: (reason) => this.events.closedByRelay?.(name, reason, remote),
      closed: () => this.events.connectionClosed(name, remote),
    }, first);
    if (this.paused) conn.open.setPaused(true);
    else stream.resume();
  }

  private refuse(raw: Socket, reason: RefusalReason, remote: string, detail?: string): void {
    this.events.refused?.(this.config.name, reason, remote, detail);
    raw.destroy();
  }
}

/** The TCP endpoints of a connection, the same for a raw socket and the TLS socket wrapping it. */
function fourTuple(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}
