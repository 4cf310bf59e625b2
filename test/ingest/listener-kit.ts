/**
 * Test support for the listener tests: throw-away TLS fixtures made by test/certs/generate.sh, a
 * TcpListener on 127.0.0.1:0 whose events are recorded, and small socket clients.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { REPO_ROOT } from '../helpers/repo.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { ListenerConfig } from '../../src/config/types.js';
import { TcpListener, type ListenerEvents } from '../../src/ingest/tcp-listener.js';

/** Generates a fresh CA, server, client and stranger certificates into a temp dir (see generate.sh). */
export function makeCerts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-certs-'));
  execFileSync('bash', [join(REPO_ROOT, 'test', 'certs', 'generate.sh'), dir], { stdio: 'pipe', timeout: 20_000 });
  return dir;
}

/** Reads one generated PEM file. */
export function pem(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

/** A listener config validated the way the relay validates it (defaults filled, TLS files checked). */
export function listenerConfig(fields: Record<string, unknown>): ListenerConfig {
  const cfg = validateConfig({ listeners: [{ name: 't', host: '127.0.0.1', port: 0, logType: 'auto', ...fields }] });
  return cfg.listeners[0];
}

/** Everything a listener reported. */
export interface Recorded {
  data: () => string;
  opened: string[];
  closed: string[];
  refused: Array<{ reason: string; remote: string; detail?: string }>;
  tls: Array<{ reason: string; remote: string }>;
  closedByRelay: Array<{ reason: string; remote: string }>;
}

/** Starts a TcpListener with recording events; returns it with its port. */
export async function startListener(fields: Record<string, unknown>): Promise<{ listener: TcpListener; port: number; rec: Recorded }> {
  const blocks: Buffer[] = [];
  const rec: Recorded = { data: () => Buffer.concat(blocks).toString(), opened: [], closed: [], refused: [], tls: [], closedByRelay: [] };
  const events: ListenerEvents = {
    block: (_l, d) => blocks.push(Buffer.from(d)),
    tooLong: () => undefined,
    bytesRead: () => undefined,
    connectionOpened: (_l, remote) => rec.opened.push(remote),
    connectionClosed: (_l, remote) => rec.closed.push(remote),
    refused: (_l, reason, remote, detail) => rec.refused.push({ reason, remote, detail }),
    tlsHandshakeFailed: (_l, reason, remote) => rec.tls.push({ reason, remote }),
    closedByRelay: (_l, reason, remote) => rec.closedByRelay.push({ reason, remote }),
  };
  const listener = new TcpListener(listenerConfig(fields), events);
  const port = await listener.listen();
  return { listener, port, rec };
}

/** Polls until `cond` holds, or throws naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A plain TCP connection (optionally from a chosen loopback source address). */
export function tcp(port: number, localAddress?: string, allowHalfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket has closed (errors swallowed: the peer may reset it). */
export function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    s.on('error', () => undefined);
    if (s.destroyed) return resolve();
    s.once('close', () => resolve());
    s.resume();
  });
}

/** A TLS connection: resolves once the handshake finished on the client side, rejects on a client error. */
export function tlsClient(port: number, opts: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => resolve(s));
    s.once('error', reject);
  });
}
