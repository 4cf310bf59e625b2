/**
 * Durability faults through the real relay: kill -9 with a spool, a full spool volume, a host that does
 * not resolve, slow and reset responses. Each states what must hold: no record that was read is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { spawnRelay, writeRelayConfig } from '../helpers/relay-process.js';
import { startRelay, connectTo, sendAndClose, waitFor, metricValue, readDeadLetters } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { Spool } from '../../src/durability/spool.js';


test('kill -9 under load with a spool: every record read more than syncIntervalMs before the kill is delivered after restart', async () => {
  const panther = await startPantherStandin();
  // Slow answers keep bodies in flight at the moment of the kill.
  panther.script(() => ({ delayMs: 150 }));
  const dir = mkdtempSync(join(tmpdir(), 'zpa-kill9-'));
  const file = writeRelayConfig(dir, {
      listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
      admin: { host: '127.0.0.1', port: 0 },
      output: { type: 'http', flushIntervalMs: 100, http: { url: panther.url, auth: { type: 'none' }, maxRequestBytes: 100_000, concurrency: 2 } },
      spool: { path: join(dir, 'spool'), syncIntervalMs: 50 },
      deadLetter: { path: join(dir, 'dl') },
    });
  const gen = new LssGenerator(99);
  const phaseA = Array.from({ length: 3000 }, () => gen.userActivity());
  const phaseB = Array.from({ length: 3000 }, () => gen.userActivity());
  const bytesA = Buffer.byteLength(phaseA.join('\n') + '\n');

  const first = await spawnRelay(['run', '--config', file]);
  const sock = await connectTo(first.ports.ua);
  sock.on('error', () => undefined);
  sock.write(phaseA.join('\n') + '\n');
  const admin = `http://127.0.0.1:${first.adminPort}`;
  await waitFor(async () => (await metricValue(admin, 'zpa_relay_received_bytes_total')) >= bytesA, 'phase A read', 15_000);
  await new Promise((r) => setTimeout(r, 200)); // > syncIntervalMs: phase A is now durable
  const deliveredBeforeKill = panther.lines.length;
  // Phase B streams while the process is killed.
  for (let i = 0; i < 1500; i += 100) sock.write(phaseB.slice(i, i + 100).join('\n') + '\n');
  first.child.kill('SIGKILL');
  await first.exited;
  sock.destroy();
  assert.ok(deliveredBeforeKill < phaseA.length, `the kill must come while phase A is still being delivered (${deliveredBeforeKill})`);

  panther.script(() => undefined);
  const second = await spawnRelay(['run', '--config', file]);
  try {
    const want = new Set(phaseA);
    await waitFor(() => [...want].every((l) => panther.lines.includes(l)), 'phase A delivered after restart', 30_000);
    const replayed = await metricValue(`http://127.0.0.1:${second.adminPort}`, 'zpa_relay_spool_replayed_records_total');
    const counts = new Map<string, number>();
    for (const l of panther.lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
    assert.ok(replayed > 0, 'the restart replayed the spool');
    assert.ok(duplicates <= replayed, `duplicates ${duplicates} bounded by what was replayed ${replayed}`);
    const known = new Set([...phaseA, ...phaseB]);
    assert.ok(panther.lines.every((l) => known.has(l)), 'nothing but whole records was delivered');
  } finally {
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    await panther.close();
  }
});

test('disk full on the spool volume: ingestion pauses, nothing is corrupted, it resumes when space returns, nothing is lost', async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'zpa-spoolfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  const panther = await startPantherStandin();
  let down = true;
  panther.script(() => (down ? { status: 503 } : undefined));
  const h = await startRelay({
    spool: { path: join(mnt, 'spool'), syncIntervalMs: 20 },
    output: { type: 'http', flushIntervalMs: 50, http: { url: panther.url, auth: { type: 'none' }, retry: { initialBackoffMs: 50, maxBackoffMs: 200 } } },
  });
  try {
    const gen = new LssGenerator(5);
    const lines = Array.from({ length: 3000 }, () => gen.userActivity()); // ~6.7 MB: more than the 3 MB volume
    const s = await connectTo(h.port('ua'));
    s.on('error', () => undefined);
    const written = new Promise<void>((resolve) => s.end(lines.join('\n') + '\n', () => resolve()));
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_spool_write_errors_total')) >= 1, 'a failed spool write', 20_000);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_ingest_paused')) === 1, 'ingest paused');
    down = false; // Panther is back: deliveries free the spool, the volume takes writes again
    await written;
    await panther.waitForLines(3000, 30_000);
    assert.deepEqual([...new Set(panther.lines)].sort(), [...lines].sort());
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_ingest_paused')) === 0, 'ingest resumed');
  } finally {
    await h.stop();
    await panther.close();
  }
  // Nothing corrupted: reopening the spool finds no torn or corrupt tail, and nothing left to replay.
  const corrupt: string[] = [];
  const spool = new Spool({ path: join(mnt, 'spool'), maxBytes: 1 << 30, syncIntervalMs: 100 }, { sizeChanged: () => undefined, corrupt: (seg) => corrupt.push(seg), fullChanged: () => undefined });
  assert.deepEqual(await spool.open(), []);
  await spool.close();
  assert.deepEqual(corrupt, []);
  execFileSync('umount', [mnt]);
});

test('a Panther host that does not resolve: retried, and at shutdown the records are kept as undelivered, not lost', async () => {
  const h = await startRelay({
    drainTimeoutMs: 1500,
    output: { type: 'http', flushIntervalMs: 20, http: { url: 'http://zpa-relay-test.invalid/http/x', auth: { type: 'none' }, retry: { initialBackoffMs: 20, maxBackoffMs: 100 } } },
  });
  const gen = new LssGenerator(8);
  const lines = Array.from({ length: 25 }, () => gen.userStatus());
  await sendAndClose(h.port('us'), lines.join('\n') + '\n');
  await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_retries_total')) >= 2, 'retries');
  assert.ok((await metricValue(h.adminUrl, 'zpa_relay_requests_total', { status: '0' })) >= 2);
  await h.stop();
  const dl = readDeadLetters(join(h.dir, 'dead-letter'));
  assert.equal(dl.length, 25);
  assert.ok(dl.every((d) => d.reason === 'undelivered'));
  assert.deepEqual(dl.map((d) => d.line).sort(), [...lines].sort());
});

test('responses slower than requestTimeoutMs and connections reset mid-body are retried: zero loss', async () => {
  const panther = await startPantherStandin();
  panther.script([{ delayMs: 3000 }, { reset: true }, { delayMs: 3000 }, { reset: true }]);
  const h = await startRelay({
    output: { type: 'http', flushIntervalMs: 20, http: { url: panther.url, auth: { type: 'none' }, requestTimeoutMs: 400, retry: { initialBackoffMs: 20, maxBackoffMs: 100 } } },
  });
  try {
    const gen = new LssGenerator(12);
    const lines = Array.from({ length: 200 }, () => gen.connectorStatus());
    await sendAndClose(h.port('acs'), lines.join('\n') + '\n');
    await panther.waitForLines(200, 20_000);
    assert.deepEqual([...new Set(panther.lines)].sort(), [...lines].sort());
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_retries_total')) >= 2);
  } finally {
    await h.stop();
    await panther.close();
  }
});
