/**
 * The compressed store format: the encoder writes exactly what JSON.stringify of the entry object gives
 * (without building it), frames are ordinary gzip members, and a reader keeps every whole frame of a file
 * torn or damaged by a crash, while a rewrite keeps the bytes it cannot read, the torn frame last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import { encodeEntries, type DeadLetterInput } from '../../src/durability/dead-letter-entry.js';
import { loadNativeAddon } from '../../workers/engines/native-addon.js';
import { encodeFrame, framesRawBytes, readFrames } from '../../src/durability/dead-letter-frame.js';
import { readStoreFile, rewriteStoreFile, scanStore, listStoreFiles } from '../../src/durability/dead-letter-reader.js';

/** The entry as the store wrote it before the fast encoder: the definition the encoder must match byte for byte. */
function reference(r: DeadLetterInput, time: string): string {
  const e: Record<string, unknown> = { time, listener: r.listener, logType: r.logType, reason: r.reason, field: r.field ?? null, message: r.message };
  if (r.status !== undefined) e.status = r.status;
  const bytes = Buffer.from(r.line);
  if (isUtf8(bytes)) e.line = bytes.toString('utf8');
  else e.lineBase64 = bytes.toString('base64');
  if (r.length !== undefined && (r.length > r.line.byteLength || r.reason === 'line_too_long')) e.length = r.length;
  return JSON.stringify(e) + '\n';
}

test('encodeEntries writes what JSON.stringify of the entry gives: quotes, backslashes, control bytes, UTF-8, U+2028, bytes that are not UTF-8', () => {
  const lines = [
    '{"Policy": "Any Any Allow", "Path": "C:\\\\temp"}',
    'tab\there, nul\u0000, bell\u0007, del\u007f, unit sep\u001f, cr\r',
    '{"City": "Zürich", "Emoji": "\u{1F600}", "Sep": "\u2028\u2029", "C1": "\u0085"}',
    '',
  ];
  const records: DeadLetterInput[] = [
    ...lines.map((l, i) => ({ listener: 'ua', logType: i === 1 ? null : 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: i === 2 ? undefined : 'Policy', message: `field "Policy": bad ${i} \u00e9\n`, line: Buffer.from(l) })),
    { listener: 'us', logType: 'Zscaler.ZPA.UserStatus', reason: 'sink_rejected', message: 'HTTP 400', status: 400, line: Buffer.from('{"a":1}') },
    { listener: 'ua', logType: null, reason: 'invalid_json', message: 'invalid JSON', line: Buffer.from([0x7b, 0xff, 0xfe, 0x22]) },
    { listener: 'ua', logType: null, reason: 'line_too_long', message: 'too long', line: Buffer.from('{"head'), length: 5_000_000 },
    { listener: 'ua', logType: null, reason: 'invalid_json', message: 'lone surrogate bytes', line: Buffer.from([0xed, 0xa0, 0x80]) },
  ];
  const time = '2026-12-02T10:00:00.000Z';
  assert.equal(encodeEntries(records, time).toString('utf8'), records.map((r) => reference(r, time)).join(''));
  // The workers' records carry no listener: the call names it.
  const { listener: _l, ...noListener } = records[0]!;
  assert.equal(encodeEntries([noListener], time, 'ua').toString('utf8'), reference(records[0]!, time));
});

test('a frame is a gzip member any reader decodes; a torn last frame and a damaged one are kept apart from the whole frames', () => {
  const a = Buffer.from('{"n":1}\n{"n":2}\n');
  const b = Buffer.from('{"n":3}\n'.repeat(1000));
  const c = Buffer.from('{"n":4}\n');
  const fa = encodeFrame(a);
  const fb = encodeFrame(b);
  const fc = encodeFrame(c);
  assert.deepEqual(gunzipSync(Buffer.concat([fa, fb, fc])), Buffer.concat([a, b, c]), 'zlib reads the frames as one gzip file');
  assert.equal(framesRawBytes(Buffer.concat([fa, fb])), a.length + b.length);

  const torn = fc.subarray(0, fc.length - 5);
  const parts = [...readFrames(Buffer.concat([fa, fb, torn]))];
  assert.deepEqual(parts.slice(0, 2), [{ lines: a }, { lines: b }]);
  assert.deepEqual(parts[2], { unreadable: torn, torn: true });

  const damaged = Buffer.from(fb);
  damaged[damaged.length - 9] ^= 0xff; // the last deflate byte: the CRC no longer matches
  const parts2 = [...readFrames(Buffer.concat([fa, damaged, fc]))];
  assert.deepEqual(parts2, [{ lines: a }, { unreadable: damaged, torn: false }, { lines: c }], 'the frames after a damaged one are still read');
});

test('replay rewrites a compressed file with a torn tail: the tail is kept byte for byte, last; plain files are read as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-dl-frame-'));
  const rec = (n: number) => JSON.stringify({ time: '2026-12-02T10:00:00.000Z', listener: 'ua', logType: 'Zscaler.ZPA.UserActivity', reason: 'wrong_type', field: 'Policy', message: 'm', line: `{"n":${n}}` });
  const whole = encodeFrame(Buffer.from(`${rec(1)}\n${rec(2)}\n`));
  const tail = encodeFrame(Buffer.from(`${rec(3)}\n`)).subarray(0, 20);
  writeFileSync(join(dir, 'dl-20261202T100000-000001.jsonl.gz'), Buffer.concat([whole, tail]));
  writeFileSync(join(dir, 'dl-20261202T090000-000000.jsonl'), `${rec(0)}\n`);
  // A file the relay is still writing: its unfinished frame is not reported as damage.
  writeFileSync(join(dir, 'dl-20261202T110000-000002.jsonl.gz.open'), Buffer.concat([encodeFrame(Buffer.from(`${rec(4)}\n`)), tail]));

  const seen: Array<[string, string | undefined]> = [];
  await scanStore(await listStoreFiles(dir), (file, line) => void seen.push([file, line.record ? String(line.record.line) : line.raw ? `raw ${line.raw.length}` : undefined]));
  assert.deepEqual(seen, [
    ['dl-20261202T090000-000000.jsonl', '{"n":0}'],
    ['dl-20261202T100000-000001.jsonl.gz', '{"n":1}'],
    ['dl-20261202T100000-000001.jsonl.gz', '{"n":2}'],
    ['dl-20261202T100000-000001.jsonl.gz', 'raw 20'],
    ['dl-20261202T110000-000002.jsonl.gz.open', '{"n":4}'],
  ]);

  const lines = (await readStoreFile(dir, 'dl-20261202T100000-000001.jsonl.gz'))!;
  // Replay delivered record 1: record 2 and the torn tail stay.
  assert.equal(await rewriteStoreFile(dir, 'dl-20261202T100000-000001.jsonl.gz', [lines[1]!.text, lines[2]!.raw!]), 'rewritten');
  const after = readFileSync(join(dir, 'dl-20261202T100000-000001.jsonl.gz'));
  assert.deepEqual(after.subarray(after.length - tail.length), tail, 'the torn tail is kept, last');
  const again = (await readStoreFile(dir, 'dl-20261202T100000-000001.jsonl.gz'))!;
  assert.deepEqual(again.map((l) => l.record?.line ?? `raw ${l.raw?.length}`), ['{"n":2}', 'raw 20']);
});

test('the native escaper gives JSON.stringify\'s bytes with each of its kernels, at every alignment: runs of quotes, backslashes, control bytes, UTF-8 across 16- and 64-byte blocks', { skip: loadNativeAddon().addon?.escapeJsonString === undefined && 'the native addon is not built on this machine' }, () => {
  const addon = loadNativeAddon().addon!;
  // A fixed PRNG: the same strings on every run, so a failure can be reproduced.
  let seed = 7;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const dense = [...'abcXYZ019 :,{}[]"""\\\\'].map((c) => c.charCodeAt(0)).concat([0x00, 0x07, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x7f]);
  const multi = ['é', '東京', '\u{1F600}', '\u2028'].map((c) => Buffer.from(c));
  for (let t = 0; t < 3000; t++) {
    const parts: Buffer[] = [];
    let length = 0;
    const target = Math.floor(next() * 260);
    // Most strings look like JSON (a quote every few bytes), some have long runs with nothing to escape, or only control bytes late in a 64-byte block.
    const style = next();
    while (length < target) {
      const r = next();
      const part = r < 0.04 ? multi[Math.floor(next() * multi.length)]! : Buffer.of(style < 0.4 ? dense[Math.floor(next() * dense.length)]! : style < 0.8 ? (r < 0.12 ? 0x22 : 0x61 + Math.floor(next() * 26)) : r < 0.01 ? 0x0a : 0x61);
      parts.push(part);
      length += part.length;
    }
    const text = Buffer.concat(parts);
    const offset = Math.floor(next() * 70);
    const src = Buffer.concat([Buffer.alloc(offset, 0x22), text, Buffer.alloc(9, 0x5c)]);
    const want = JSON.stringify(text.toString('utf8'));
    for (const kernel of [0, 1, 2]) {
      const dst = Buffer.alloc(offset + text.length * 6 + 2, 0x55);
      const end = addon.escapeJsonString!(src, offset, offset + text.length, dst, offset, kernel);
      assert.equal(dst.toString('utf8', offset, end), want, `kernel ${kernel}, ${text.length} bytes at offset ${offset}`);
      assert.ok(dst.subarray(0, offset).every((b) => b === 0x55), 'nothing written before `at`');
    }
  }
  assert.equal(addon.escapeJsonString!(Buffer.from([0x61, 0xff]), 0, 2, Buffer.alloc(64), 0), -1, 'not UTF-8: the caller stores base64');
  assert.equal(addon.escapeJsonString!(Buffer.from('abc'), 0, 3, Buffer.alloc(8), 0), -2, 'no room for the worst case');
});
