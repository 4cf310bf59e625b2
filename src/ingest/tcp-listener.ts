/**
 * One TCP server per configured listener. Each connection gets its own framer; complete line blocks go
 * to the listener's batcher. Sockets are paused and resumed as a group by the relay's byte budget: TCP
 * then pushes back on the App Connector. Connections are never closed to relieve pressure.
 */
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { LineFramer } from './line-framer.js';
import type { ListenerConfig } from '../config/types.js';

export interface ListenerEvents {
  block(listener: string, data: Buffer): void;
  tooLong(listener: string, head: Buffer, length: number): void;
  bytesRead(listener: string, n: number): void;
  connectionOpened(listener: string, remote: string): void;
  connectionClosed(listener: string, remote: string, error?: Error): void;
}

export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private paused = false;
  private bound = false;

  constructor(
    readonly config: ListenerConfig,
    private readonly events: ListenerEvents,
  ) {
    this.server = createServer({ keepAlive: true, noDelay: true }, (socket) => this.accept(socket));
  }

  get connectionCount(): number {
    return this.sockets.size;
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

  /** Pauses or resumes reading on every socket of this listener. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const s of this.sockets) {
      if (paused) s.pause();
      else s.resume();
    }
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
   */
  async drainConnections(quietMs: number, maxWaitMs: number): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    let lastData = Date.now();
    const touch = () => (lastData = Date.now());
    for (const s of this.sockets) s.on('data', touch);
    while (this.sockets.size > 0 && Date.now() < deadline && Date.now() - lastData < quietMs) {
      await new Promise((r) => setTimeout(r, Math.min(quietMs, 50)));
    }
    const closing = [...this.sockets].map(
      (s) => new Promise<void>((resolve) => {
        if (s.destroyed) return resolve();
        s.once('close', () => resolve());
        // end() sends FIN; whatever is still in flight from the client is read until it closes too.
        s.end();
        setTimeout(() => s.destroy(), Math.max(0, deadline - Date.now())).unref();
      }),
    );
    await Promise.all(closing);
  }

  private accept(socket: Socket): void {
    const name = this.config.name;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    this.events.connectionOpened(name, remote);
    const framer = new LineFramer(this.config.maxLineBytes, {
      block: (data) => this.events.block(name, data),
      tooLong: (head, length) => this.events.tooLong(name, head, length),
    });
    socket.on('data', (chunk: Buffer) => {
      this.events.bytesRead(name, chunk.length);
      framer.push(chunk);
    });
    socket.on('end', () => {
      framer.end();
      // Half-closed by the client: we have nothing to send, so close our side too.
      socket.end();
    });
    socket.on('error', () => {
      // Reported once through connectionClosed (below) with the error; 'close' always follows.
    });
    socket.once('close', (hadError) => {
      this.sockets.delete(socket);
      if (hadError) framer.end();
      this.events.connectionClosed(name, remote);
    });
    if (this.paused) socket.pause();
  }
}
