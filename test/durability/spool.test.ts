import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../src/durability/spool.js';
import { decodeFrame, encodeFrame } from '../../src/durability/spool-frame.js';

function events() {
  const log = { sizes: [] as number[], corrupt: [] as Array<{ reason: string; bytes: number; movedTo: string }>, full: [] as boolean[] };
  return {
    log,
    ev: {
      sizeChanged: (b: number) => log.sizes.push(b),
      corrupt: (_s: string, reason: 'torn' | 'corrupt', bytes: number, movedTo: string) => log.corrupt.push({ reason, bytes, movedTo }),
      fullChanged: (f: boolean) => log.full.push(f),
    },
  };
}

const meta = { listener: 'ua', logType: 'Zscaler.ZPA.UserActivity', time: 1 };

test('a frame round-trips; a flipped byte or a cut is detected', () => {
  const frame = Buffer.concat(encodeFrame(meta, Buffer.from('{"a":1}\n{"b":2}\n')));
  const r = decodeFrame(frame, 0);
  assert.ok(r.ok);
  assert.equal(r.frame.data.toString(), '{"a":1}\n{"b":2}\n');
  assert.deepEqual(r.frame.meta, meta);
  assert.deepEqual(decodeFrame(frame, frame.length), { ok: false, reason: 'end' });
  assert.deepEqual(decodeFrame(frame.subarray(0, frame.length - 3), 0), { ok: false, reason: 'torn' });
  const flipped = Buffer.from(frame);
  flipped[flipped.length - 2] ^= 0xff;
  assert.deepEqual(decodeFrame(flipped, 0), { ok: false, reason: 'corrupt' });
});

test('acknowledged batches are removed with their segment; unacknowledged ones are replayed after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const { ev } = events();
  const s1 = new Spool({ path: dir, maxBytes: 1 << 30, syncIntervalMs: 10, segmentBytes: 100 }, ev);
  assert.deepEqual(await s1.open(), []);
  const ids = ['one', 'two', 'three', 'four'].map((w) => s1.append(meta, Buffer.from(`{"w":"${w}"}\n`)));
  assert.ok(s1.segmentCount >= 2, 'small segments rotate');
  s1.ack(ids[0]);
  s1.ack(ids[2]);
  await s1.close();
  const s2 = new Spool({ path: dir, maxBytes: 1 << 30, syncIntervalMs: 10, segmentBytes: 100 }, ev);
  const replay = await s2.open();
  const words = replay.map((b) => b.data.toString());
  assert.ok(words.includes('{"w":"two"}\n') && words.includes('{"w":"four"}\n'), words.join());
  assert.ok(!words.includes('{"w":"one"}\n') || words.length <= 4, 'one acked batch may share a segment with an unacked one');
  for (const b of replay) s2.ack(b.id);
  assert.equal(s2.totalBytes, 0);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.wal')), []);
  await s2.close();
});

test('a torn tail (kill -9 mid-write) is counted, moved aside, and never stops the start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const { ev, log } = events();
  const s1 = new Spool({ path: dir, maxBytes: 1 << 30, syncIntervalMs: 10 }, ev);
  await s1.open();
  s1.append(meta, Buffer.from('{"ok":1}\n'));
  s1.append(meta, Buffer.from('{"ok":2}\n'));
  await s1.close();
  const seg = readdirSync(dir).find((f) => f.endsWith('.wal'))!;
  const full = readFileSync(join(dir, seg));
  // A third frame cut short, as a crash mid-write leaves it, then garbage.
  const third = Buffer.concat(encodeFrame(meta, Buffer.from('{"cut":3}\n')));
  writeFileSync(join(dir, seg), Buffer.concat([full, third.subarray(0, third.length - 4)]));
  const s2 = new Spool({ path: dir, maxBytes: 1 << 30, syncIntervalMs: 10 }, ev);
  const replay = await s2.open();
  assert.deepEqual(replay.map((b) => b.data.toString()), ['{"ok":1}\n', '{"ok":2}\n']);
  assert.equal(log.corrupt.length, 1);
  assert.equal(log.corrupt[0].reason, 'torn');
  assert.ok(existsSync(log.corrupt[0].movedTo));
  await s2.close();

  // A corrupt frame in the middle: the frames before it survive.
  const dir2 = mkdtempSync(join(tmpdir(), 'spool-'));
  const bad = Buffer.concat([...encodeFrame(meta, Buffer.from('{"a":1}\n')), ...encodeFrame(meta, Buffer.from('{"b":2}\n'))]);
  bad[bad.length - 3] ^= 0x55;
  writeFileSync(join(dir2, 'seg-0000000000000001.wal'), bad);
  const s3 = new Spool({ path: dir2, maxBytes: 1 << 30, syncIntervalMs: 10 }, ev);
  assert.deepEqual((await s3.open()).map((b) => b.data.toString()), ['{"a":1}\n']);
  assert.equal(log.corrupt[1].reason, 'corrupt');
  await s3.close();
});

test('reaching maxBytes reports full; falling under 90% reports not full; nothing is evicted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const { ev, log } = events();
  const s = new Spool({ path: dir, maxBytes: 1000, syncIntervalMs: 10, segmentBytes: 300 }, ev);
  await s.open();
  const ids: number[] = [];
  while (!s.isFull) ids.push(s.append(meta, Buffer.alloc(100, 0x61)));
  assert.deepEqual(log.full, [true]);
  assert.ok(s.totalBytes >= 1000);
  for (const id of ids) {
    s.ack(id);
    if (!s.isFull) break;
  }
  assert.deepEqual(log.full, [true, false]);
  assert.ok(s.totalBytes < 900);
  await s.close();
});
