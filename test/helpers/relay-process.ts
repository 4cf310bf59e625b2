/**
 * Runs the real `zpa-relay` binary as a child process, the way an operator does, and reads its pino log
 * lines from stdout (the "zpa-relay ready" line carries the bound ports).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN } from './repo.js';

export interface RelayProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  ports: Record<string, number>;
  adminPort: number;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** `bin`: another launcher than this checkout's (the bench's --relay-bin compares two builds). */
export async function spawnRelay(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number; bin?: string } = {}): Promise<RelayProcess> {
  // ZPA_RELAY_NODE_ARGS: extra node flags for the relay process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to
  // profile it under the bench); NODE_OPTIONS cannot carry those.
  const nodeArgs = (process.env['ZPA_RELAY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, opts.bin ?? BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay not ready in time; stderr: ${err}`)), opts.readyTimeoutMs ?? 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.msg === 'zpa-relay ready') {
            clearTimeout(timer);
            resolve(rec);
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code} before ready; stderr: ${err}`));
    });
  });
  const rec = await ready;
  return { child, logs, stderr: () => err, ports: rec.listeners as Record<string, number>, adminPort: rec.admin as number, exited };
}

/** Runs the binary to completion and returns its exit code and output. */
export function runBin(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Writes `cfg` as `relay.yaml` in `dir` and returns the file's path, for `run --config`. */
export function writeRelayConfig(dir: string, cfg: Record<string, unknown>): string {
  const file = join(dir, 'relay.yaml');
  writeFileSync(file, stringify(cfg));
  return file;
}
