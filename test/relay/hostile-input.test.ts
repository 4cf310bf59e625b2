/**
 * Hostile and broken input through the real relay: each bad line gets a counted rejection (and a
 * dead-letter record), the process never crashes, memory stays bounded, and good records on the same and
 * other connections are delivered untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { startRelay, connectTo, sendAndClose, waitFor, metricValue, readDeadLetters } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { LineFramer } from '../../src/ingest/line-framer.js';
import { SchemaEngine } from '../../src/schema/engine.js';

const deadLetters = (dir: string) => readDeadLetters(join(dir, 'dead-letter'));

const http = (url: string) => ({ type: 'http', flushIntervalMs: 30, http: { url, auth: { type: 'none' } } });

test('a catalogue of broken lines is rejected line by line, the good records between them arrive intact', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: http(panther.url), listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', maxLineBytes: 64 * 1024 * 1024 }] });
  try {
    const gen = new LssGenerator(13);
    const good = () => gen.userActivity();
    const base = good();
    const bad: Array<[string, Buffer, string]> = [
      ['random bytes', Buffer.concat([randomBytes(4000).map((b) => (b === 10 ? 11 : b))]), 'invalid_json'],
      ['invalid UTF-8 inside a string value', Buffer.from(base.replace('"Customer": "Example Corp"', '"Customer": "\u0000X"').replace('\u0000', ''), 'utf8'), 'accepted'],
      ['NUL bytes', Buffer.from('{"LogTimestamp"\u0000: 1}'), 'invalid_json'],
      ['a BOM before the object', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base)]), 'invalid_json'],
      ['100,000 levels of nesting', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), 'not_an_object'],
      ['1e400 in a float field', Buffer.from(base.replace(/"ClientLatitude": [-\d.]+/, '"ClientLatitude": 1e400')), 'out_of_range'],
      ['a 400-digit integer in a bigint field', Buffer.from(base.replace(/"ServicePort": \d+/, `"ServicePort": ${'9'.repeat(400)}`)), 'out_of_range'],
      ['trailing garbage after the object', Buffer.from(base + ' trailing'), 'invalid_json'],
      ['a 50 MB string', Buffer.from(base.replace('"Customer": "Example Corp"', `"Customer": "${'x'.repeat(50 * 1024 * 1024)}"`)), 'accepted'],
    ];
    // The invalid UTF-8 case: raw 0xff bytes inside a JSON string (decoded as U+FFFD, as Go's decoder does).
    const invalidUtf8 = Buffer.from(base.replace('"Customer": "Example Corp"', '"Customer": "Example XX"'));
    const at = invalidUtf8.indexOf('XX');
    invalidUtf8[at] = 0xff;
    invalidUtf8[at + 1] = 0xfe;
    bad[1][1] = invalidUtf8;
    // Duplicate keys: the last one wins, as in Go's encoding/json; here the last value is the bad one.
    bad.push(['duplicate keys (last wins)', Buffer.from(base.replace('"IPProtocol": 6', '"IPProtocol": 6,"IPProtocol": "tcp"').replace('"IPProtocol": 17', '"IPProtocol": 17,"IPProtocol": "tcp"')), 'wrong_type']);
    const goods: string[] = [];
    const parts: Buffer[] = [];
    for (const [, line] of bad) {
      const g = good();
      goods.push(g);
      parts.push(Buffer.from(g + '\n'), line, Buffer.from('\n'));
    }
    const last = good();
    goods.push(last);
    parts.push(Buffer.from(last + '\n'));
    await sendAndClose(h.port('ua'), Buffer.concat(parts));
    const acceptedBad = bad.filter(([, , v]) => v === 'accepted').length;
    await panther.waitForLines(goods.length + acceptedBad, 30_000);
    for (const g of goods) assert.ok(panther.lines.includes(g), 'every good record arrives intact');
    await waitFor(() => {
      try {
        return deadLetters(h.dir).length === bad.length - acceptedBad;
      } catch {
        return false;
      }
    }, 'dead letters', 15_000);
    const dl = deadLetters(h.dir);
    for (const [name, , verdict] of bad) {
      if (verdict === 'accepted') continue;
      assert.ok(dl.some((d) => d.reason === verdict), `${name}: expected a ${verdict} dead letter; got ${dl.map((d) => d.reason).join(',')}`);
    }
    assert.ok(dl.some((d) => typeof d.lineBase64 === 'string'), 'random bytes are kept as base64');
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total'), bad.length - acceptedBad);
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('a 100 MB line with no newline is never buffered beyond maxLineBytes; the connection and others go on', async () => {
  const panther = await startPantherStandin();
  const h = await startRelay({ output: http(panther.url), listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity', maxLineBytes: 1024 * 1024 }] });
  try {
    const gen = new LssGenerator(17);
    const before = process.memoryUsage().rss;
    let peak = before;
    const s = await connectTo(h.port('ua'));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 100; i++) {
      if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const after = gen.userActivity();
    s.end('\n' + after + '\n');
    // Meanwhile another connection is unaffected.
    const other = gen.userActivity();
    await sendAndClose(h.port('ua'), other + '\n');
    await panther.waitForLines(2, 20_000);
    assert.ok(panther.lines.includes(after) && panther.lines.includes(other));
    assert.ok(peak - before < 80 * 1024 * 1024, `rss grew by ${Math.round((peak - before) / 1e6)} MB`);
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_rejected_total', { reason: 'line_too_long' })) === 1, 'line_too_long counted');
    await waitFor(() => {
      try {
        return deadLetters(h.dir).some((d) => d.reason === 'line_too_long' && d.length === 100 * 1024 * 1024);
      } catch {
        return false;
      }
    }, 'over-long line dead-lettered with its length');
  } finally {
    await h.stop();
    await panther.close();
  }
});

test('fuzz: random chunkings of random lines never lose or invent a complete line in the framer', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 300; round++) {
    const lines = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => 'x'.repeat(Math.floor(rnd() * 300)));
    const text = Buffer.from(lines.join('\n') + '\n');
    const got: string[] = [];
    let tooLong = 0;
    const f = new LineFramer(200, { block: (b) => got.push(...b.toString().split('\n').slice(0, -1)), tooLong: () => tooLong++ });
    for (let i = 0; i < text.length; ) {
      const n = 1 + Math.floor(rnd() * 500);
      f.push(text.subarray(i, i + n));
      i += n;
      assert.ok(f.heldBytes <= 200);
    }
    f.end();
    // Lines longer than the limit may arrive whole inside one read (the worker rejects them then) or be
    // discarded as they stream (counted here): every line is accounted for exactly once, in order, and only
    // over-long lines are ever missing.
    assert.equal(got.length + tooLong, lines.length, `round ${round}`);
    let j = 0;
    for (const l of got) {
      while (lines[j] !== l) {
        assert.ok(lines[j].length > 200, `round ${round}: a short line went missing`);
        j++;
      }
      j++;
    }
  }
});

test('fuzz: the engine returns a verdict for mutated records and never throws', async () => {
  const engine = await SchemaEngine.load();
  const gen = new LssGenerator(23);
  let seed = 11;
  const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
  const types = ['Zscaler.ZPA.UserActivity', 'Zscaler.ZPA.UserStatus', 'Zscaler.ZPA.AppConnectorStatus', 'Zscaler.ZPA.AppConnectorMetrics', 'Zscaler.ZPA.AuditLog', 'auto'] as const;
  for (let i = 0; i < 5000; i++) {
    const lt = types[i % 6];
    let line = gen.record(lt === 'auto' ? 'Zscaler.ZPA.AuditLog' : lt);
    const b = Buffer.from(line);
    switch (rnd(4)) {
      case 0:
        b[rnd(b.length)] = rnd(256);
        line = b.toString();
        break;
      case 1:
        line = line.slice(0, rnd(line.length));
        break;
      case 2:
        line = line.replace(/: "[^"]*"/, ': {"x":[1,2,{"y":null}]}');
        break;
      default:
        line = line.replace(/: (\d+)/, ': $1$1$1$1$1$1$1$1');
    }
    const v = engine.checkLine(line, lt).verdict;
    assert.ok(v.status === 'accepted' || v.status === 'rejected');
  }
});
