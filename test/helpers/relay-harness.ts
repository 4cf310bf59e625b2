/**
 * Starts a real relay in-process (real TCP listeners on port 0, real worker threads, real output) with a
 * config made of the defaults plus overrides, and offers TCP clients that speak like an App Connector.
 */
import { readFrames } from '../../src/durability/dead-letter-frame.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load-config.js';
import { Relay } from '../../src/relay.js';
import type { RelayConfig } from '../../src/config/types.js';
import { sumMetric } from './metrics-text.js';

export interface Harness {
  relay: Relay;
  config: RelayConfig;
  dir: string;
  port(listener?: string): number;
  adminUrl: string;
  stop(): Promise<void>;
}

/** Default test listeners: one per log type plus an auto listener, all on port 0. */
export const TEST_LISTENERS = [
  { name: 'ua', port: 0, host: '127.0.0.1', logType: 'Zscaler.ZPA.UserActivity' },
  { name: 'us', port: 0, host: '127.0.0.1', logType: 'Zscaler.ZPA.UserStatus' },
  { name: 'acs', port: 0, host: '127.0.0.1', logType: 'Zscaler.ZPA.AppConnectorStatus' },
  { name: 'acm', port: 0, host: '127.0.0.1', logType: 'Zscaler.ZPA.AppConnectorMetrics' },
  { name: 'audit', port: 0, host: '127.0.0.1', logType: 'Zscaler.ZPA.AuditLog' },
  { name: 'auto', port: 0, host: '127.0.0.1', logType: 'auto' },
];

/** The TEST_LISTENERS listener of each log type. */
export const LISTENER_OF: Readonly<Record<string, string>> = Object.fromEntries(
  TEST_LISTENERS.filter((l) => l.logType !== 'auto').map((l) => [l.logType, l.name]),
);

export async function startRelay(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-relay-test-'));
  const raw = {
    listeners: TEST_LISTENERS,
    admin: { host: '127.0.0.1', port: 0 },
    output: { type: 'directory', directory: { path: join(dir, 'out') } },
    deadLetter: { path: join(dir, 'dead-letter') },
    workers: { threads: 2 },
    logLevel: 'silent',
    ...overrides,
  };
  const config = validateConfig(raw, { env });
  const relay = await Relay.start(config, { log: pino({ level: config.logLevel }), env });
  return {
    relay,
    config,
    dir,
    port: (name = 'ua') => relay.ports[name],
    adminUrl: `http://127.0.0.1:${relay.adminPort}`,
    stop: () => relay.stop(),
  };
}

/** Opens a TCP connection and resolves once connected. */
export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes data and closes the connection; resolves when the server has closed its side too. */
export async function sendAndClose(port: number, data: string | Buffer): Promise<void> {
  const s = await connectTo(port);
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    s.on('close', () => resolve());
    s.end(data);
    s.resume();
  });
}

/** Polls until `cond` is true or the timeout passes (then throws with `what`). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads one metric value (sum over label sets matching `labels`) from /metrics text. */
export async function metricValue(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return sumMetric(text, name, labels);
}

export { sumMetric };

/** Every record in a dead-letter directory (closed and open files), parsed. */
export function readDeadLetters(dir: string): Array<Record<string, unknown>> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('dl-'))
    .flatMap((f) => deadLetterText(join(dir, f)).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

/** The lines of one store file: plain, or the whole frames of a compressed one (a frame still being written is left out). */
export function deadLetterText(file: string): string {
  const bytes = readFileSync(file);
  if (!file.includes('.jsonl.gz')) return bytes.toString('utf8');
  let text = '';
  for (const part of readFrames(bytes)) if ('lines' in part) text += part.lines.toString('utf8');
  return text;
}

/** Resident set size of a process, from /proc. */
export function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}
