/**
 * Connection-level abuse through the real relay process: 10,000 idle connections, a client that sends one
 * byte at a time (slowloris), and connect-then-close in a loop. Each gets a bounded, counted refusal or
 * simply waits its turn; good records on other connections are unaffected and memory stays bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { spawnRelay, writeRelayConfig } from '../helpers/relay-process.js';
import { sendAndClose, connectTo, waitFor, metricValue, rssOf } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';


test('10,000 idle connections, slowloris and a connect/close loop: bounded, counted, good traffic unaffected', { timeout: 120_000 }, async () => {
  const panther = await startPantherStandin();
  const dir = mkdtempSync(join(tmpdir(), 'zpa-abuse-'));
  const file = writeRelayConfig(dir, {
      listeners: [
        { name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' },
        { name: 'us', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserStatus' },
      ],
      admin: { host: '127.0.0.1', port: 0 },
      output: { type: 'http', flushIntervalMs: 50, http: { url: panther.url, auth: { type: 'none' } } },
      deadLetter: { path: join(dir, 'dl') },
    });
  const relay = await spawnRelay(['run', '--config', file]);
  const admin = `http://127.0.0.1:${relay.adminPort}`;
  const gen = new LssGenerator(1);
  const idle: Socket[] = [];
  try {
    const rssBefore = rssOf(relay.child.pid!);
    // 10,000 idle connections to one listener (maxConnections defaults to 1024 there).
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () => new Promise<void>((resolve) => {
          const s = connect({ port: relay.ports.ua, host: '127.0.0.1' }, () => resolve());
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          idle.push(s);
        })),
      );
    }
    await waitFor(async () => (await metricValue(admin, 'zpa_relay_connections_refused_total', { listener: 'ua', reason: 'max_connections' })) === 10_000 - 1024, 'refusals counted', 30_000);
    assert.equal(await metricValue(admin, 'zpa_relay_connections_open', { listener: 'ua' }), 1024);
    // Good records on the other listener are unaffected.
    const good = Array.from({ length: 50 }, () => gen.userStatus());
    await sendAndClose(relay.ports.us, good.join('\n') + '\n');
    await panther.waitForLines(50);
    const grown = rssOf(relay.child.pid!) - rssBefore;
    assert.ok(grown < 150 * 1024 * 1024, `RSS grew ${Math.round(grown / 1e6)} MB with 1024 idle connections held`);
    for (const s of idle) s.destroy();
    await waitFor(async () => (await metricValue(admin, 'zpa_relay_connections_open', { listener: 'ua' })) === 0, 'idle connections released');

    // Slowloris: one record, one byte every 5 ms, while another client's records flow.
    const slowRecord = gen.userActivity();
    const slow = await connectTo(relay.ports.ua);
    const slowDone = (async () => {
      for (const ch of slowRecord + '\n') {
        slow.write(ch);
        await new Promise((r) => setTimeout(r, 5));
      }
      slow.end();
    })();
    const fast = Array.from({ length: 100 }, () => gen.userActivity());
    await sendAndClose(relay.ports.ua, fast.join('\n') + '\n');
    await waitFor(() => fast.every((l) => panther.lines.includes(l)), 'fast client not held up by the slow one', 10_000);
    assert.ok(!panther.lines.includes(slowRecord), 'the slow record is still arriving');
    await slowDone;
    await waitFor(() => panther.lines.includes(slowRecord), 'the slow record, once complete, is delivered', 10_000);

    // Connect and close at once, 2,000 times: nothing leaks, nothing is rejected.
    for (let i = 0; i < 2000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () => new Promise<void>((resolve) => {
          const s = connect({ port: relay.ports.ua, host: '127.0.0.1' }, () => s.destroy());
          s.on('error', () => resolve());
          s.on('close', () => resolve());
        })),
      );
    }
    await waitFor(async () => (await metricValue(admin, 'zpa_relay_connections_open', { listener: 'ua' })) === 0, 'no connection leaked');
    assert.equal(await metricValue(admin, 'zpa_relay_records_rejected_total'), 0);
    const last = gen.userActivity();
    await sendAndClose(relay.ports.ua, last + '\n');
    await waitFor(() => panther.lines.includes(last), 'still serving');
  } finally {
    for (const s of idle) s.destroy();
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
    await panther.close();
  }
});
