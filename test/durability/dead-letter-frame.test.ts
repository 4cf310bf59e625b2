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
