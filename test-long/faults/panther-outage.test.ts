/**
 * Panther down for 2 minutes, then back (issue: "Nothing lost"): zero loss, memory bounded, the spool
 * drains, latency recovers. Runs in `npm run test:long` (about three minutes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../../test/helpers/panther-standin.js';
import { spawnRelay, writeRelayConfig } from '../../test/helpers/relay-process.js';
import { connectTo, waitFor, metricValue, rssOf } from '../../test/helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';

const OUTAGE_MS = 120_000;
const RATE_PER_S = 400; // ~0.9 MB/s of User Activity: 108 MB over the outage, more than maxBufferedBytes


test('Panther down for 2 minutes: zero loss, memory bounded, spool drains, latency recovers', { timeout: 6 * 60_000 }, async () => {
  const panther = await startPantherStandin();
  let down = true;
  panther.script(() => (down ? { status: 503 } : undefined));
  const dir = mkdtempSync(join(tmpdir(), 'zpa-outage-'));
  const file = writeRelayConfig(dir, {
      listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
      admin: { host: '127.0.0.1', port: 0 },
      output: { type: 'http', flushIntervalMs: 200, http: { url: panther.url, auth: { type: 'none' }, retry: { initialBackoffMs: 200, maxBackoffMs: 5000 } } },
      spool: { path: join(dir, 'spool') },
      deadLetter: { path: join(dir, 'dl') },
    });
  const relay = await spawnRelay(['run', '--config', file]);
  const admin = `http://127.0.0.1:${relay.adminPort}`;
  const gen = new LssGenerator(123);
  const sent: string[] = [];
  const sock = await connectTo(relay.ports.ua);
  let peakRss = 0;
  const started = Date.now();
  // Send at a steady rate for the whole outage; writes queue in the socket when the relay pushes back.
  while (Date.now() - started < OUTAGE_MS) {
    const batch = Array.from({ length: RATE_PER_S / 10 }, () => gen.userActivity());
    sent.push(...batch);
    sock.write(batch.join('\n') + '\n');
    peakRss = Math.max(peakRss, rssOf(relay.child.pid!));
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(panther.lines.length, 0, 'nothing got through while Panther was down');
  assert.ok(peakRss < 400 * 1024 * 1024, `relay RSS peaked at ${Math.round(peakRss / 1e6)} MB during the outage`);
  const paused = await metricValue(admin, 'zpa_relay_ingest_paused');
  down = false;
  const recoveredAt = Date.now();
  await new Promise<void>((resolve) => sock.end(() => resolve()));
  await panther.waitForLines(sent.length, 120_000);
  const drainMs = Date.now() - recoveredAt;
  assert.deepEqual([...new Set(panther.lines)].sort(), [...sent].sort(), 'zero loss');
  await waitFor(async () => (await metricValue(admin, 'zpa_relay_spool_bytes')) === 0, 'spool drained', 30_000);
  // Latency recovers: a fresh record is delivered promptly once the backlog is gone.
  const probe = gen.userActivity();
  const s2 = await connectTo(relay.ports.ua);
  const t0 = Date.now();
  s2.end(probe + '\n');
  await waitFor(() => panther.lines.includes(probe), 'fresh record delivered', 10_000);
  const latency = Date.now() - t0;
  assert.ok(latency < 2000, `latency after recovery ${latency} ms`);
  console.log(`outage: ${sent.length} records sent, ingest paused at the end of the outage: ${paused}, peak RSS ${Math.round(peakRss / 1e6)} MB, backlog delivered in ${drainMs} ms, fresh latency ${latency} ms`);
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0);
  await panther.close();
});
