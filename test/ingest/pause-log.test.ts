/**
 * PauseLog: backpressure pauses (byte budget full) are summed into one line per interval and counted in
 * zpa_relay_ingest_paused_seconds_total; pauses the spool causes are logged as they begin and end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { PauseLog } from '../../src/ingest/pause-log.js';

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(JSON.parse(chunk.toString())); done(); } });
  const log = pino({ level: 'debug' }, sink);
  const registry = new Registry();
  const seconds = new Counter({ name: 'paused_seconds_total', help: 'h', registers: [registry] });
  let now = 1_000_000;
  const pauses = new PauseLog(log, seconds, () => ({ heldBytes: 42 }), 60_000, () => now);
  return { lines, seconds, pauses, advance: (ms: number) => (now += ms) };
}

const flushLog = () => new Promise((r) => setImmediate(r));
const counterValue = async (c: Counter) => (await c.get()).values[0]?.value ?? 0;

test('budget pauses make no line each; the report sums them and the counter holds their time', async () => {
  const { lines, seconds, pauses, advance } = setup();
  for (let i = 0; i < 30; i++) {
    pauses.change(true, ['buffer_full']);
    advance(20);
    pauses.change(false, []);
    advance(10);
  }
  await flushLog();
  assert.equal(lines.length, 0, 'no line per backpressure pause');
  assert.ok(Math.abs((await counterValue(seconds)) - 0.6) < 1e-9, "30 pauses of 20 ms");
  pauses.flush();
  await flushLog();
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.msg, 'ingest paused by backpressure (counts since the last report)');
  assert.equal(lines[0]!.pauses, 30);
  assert.equal(lines[0]!.pausedMs, 600);
  assert.equal(lines[0]!.heldBytes, 42);
  pauses.flush();
  await flushLog();
  assert.equal(lines.length, 1, 'nothing to report: no line');
  pauses.stop();
});

test('a pause still going on at the report counts up to then, and its rest in the next report', async () => {
  const { lines, seconds, pauses, advance } = setup();
  pauses.change(true, ['buffer_full']);
  advance(5_000);
  pauses.flush();
  advance(3_000);
  pauses.change(false, []);
  pauses.flush();
  await flushLog();
  assert.deepEqual(lines.map((l) => [l.pauses, l.pausedMs]), [[1, 5_000], [0, 3_000]]);
  assert.equal(await counterValue(seconds), 8);
  pauses.stop();
});

test('a pause the spool causes is logged at once, and so is its end, at warn', async () => {
  const { lines, pauses, advance } = setup();
  pauses.change(true, ['buffer_full', 'spool_full']);
  advance(250);
  pauses.change(false, []);
  await flushLog();
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40, 'ingest paused'], [40, 'ingest resumed']]);
  assert.deepEqual(lines[0]!.reasons, ['buffer_full', 'spool_full']);
  assert.equal(lines[1]!.pausedMs, 250);
  pauses.stop();
});
