/**
 * The check-batch worker gives the same BatchResult with either engine: the engine choice changes speed,
 * never what is forwarded, counted or dead-lettered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Piscina } from 'piscina';
import checkBatch from '../../workers/check-batch.js';
import type { BatchResult, BatchTask } from '../../workers/batch-types.js';
import { unpack } from 'msgpackr';
import { gunzipSync } from 'node:zlib';
import { RecordMutator } from './mutate.js';
import { LssGenerator } from '../../bench/lss/generate.js';

function task(data: Buffer, engine: BatchTask['engine'], logType: string): BatchTask {
  const ab = new ArrayBuffer(data.length);
  new Uint8Array(ab).set(data);
  return { listener: 't', logType, data: ab, maxLineBytes: 4096, schemasPath: '', stripSyslogPri: true, emptyListToArray: true, generation: 1, engine };
}

/**
 * The result without Piscina's transfer wrapper, with the packed rejections unpacked and the dead-letter lines
 * decompressed and parsed for comparison, and so are the unknown-field sample's lines (less `time`: when each
 * run refused or sampled them).
 */
async function run(data: Buffer, engine: BatchTask['engine'], logType: string): Promise<Record<string, unknown>> {
  const wrapped = (await checkBatch(task(data, engine, logType))) as unknown as Record<symbol, BatchResult>;
  const r = wrapped[Piscina.valueSymbol] ?? (wrapped as unknown as BatchResult);
  return {
    ...r,
    accepted: Buffer.from(r.accepted).toString('utf8'),
    ends: [...r.ends],
    typeIndex: [...r.typeIndex],
    eventTimes: [...r.eventTimes],
    rejected: r.rejected.byteLength > 0 ? unpack(Buffer.from(r.rejected)) : [],
    deadLetters: r.deadLetters === undefined ? [] : deadLetterEntries(r.deadLetters).map(({ time: _time, ...rest }) => rest),
    unknownSample: (r.unknownSample ?? []).map(({ entry, ...rest }) => {
      const { time: _time, ...kept } = JSON.parse(entry) as Record<string, unknown>;
      return { ...rest, entry: kept };
    }),
  };
}

/** The dead-letter lines of a batch: one store frame (a gzip member), as the worker compressed them. */
function deadLetterEntries(frame: Uint8Array): Array<Record<string, unknown>> {
  const text = gunzipSync(Buffer.from(frame)).toString('utf8');
  assert.ok(text.endsWith('\n'), 'dead-letter lines end in a newline');
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('worker: reference and simdjson engines give identical batch results', async () => {
  const mut = new RecordMutator(7);
  const lines: Array<string | Buffer> = Array.from({ length: 2000 }, () => mut.next());
  lines.push('<13>{"LogTimestamp": "Thu Oct  7 10:40:00 2021"}', 'x'.repeat(5000), '', '{"a":1}\r');
  const data = Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]));
  for (const logType of ['auto', 'Zscaler.ZPA.UserActivity']) {
    const ref = await run(data, 'reference', logType);
    const simd = await run(data, 'simdjson', logType);
    assert.ok((ref['ends'] as number[]).length > 100, 'some records are accepted');
    assert.ok((ref['unknownFields'] as unknown[]).length > 0 && (ref['unknownSample'] as unknown[]).length > 0, 'unknown fields are counted and sampled');
    assert.deepEqual(simd, ref, logType);
  }
});

test('worker: accepted bytes are exactly the accepted lines, whether they stay in place, move down or grow past their room', async () => {
  const gen = new LssGenerator(11);
  // empty_list makes a line 2 bytes longer ("Key": ,"Next" -> "Key": [],"Next"): with an accepted line right
  // after it, the in-place output runs out of room and the worker must switch to its own buffer.
  const grown = (l: string) => l.replace(/"PosturesMiss": \[[^\]]*\]/, '"PosturesMiss": ');
  const repaired = (l: string) => l.replace(/"PosturesMiss": \[[^\]]*\]/, '"PosturesMiss": []');
  const plain = Array.from({ length: 6 }, () => gen.userStatus());
  const cases: Array<[string, string[], string[]]> = [
    ['all accepted as is (nothing moves)', plain, plain],
    ['refused lines first, between and last', ['{"no": "schema"}', plain[0]!, '{"no": 2}', ...plain.slice(1), '{"no": 3}'], plain],
    ['syslog <PRI> stripped (shorter)', plain.map((l, i) => (i % 2 ? `<13>${l}` : l)), plain],
    ['empty_list repaired (longer) in the middle', plain.map((l, i) => (i === 2 ? grown(l) : l)), plain.map((l, i) => (i === 2 ? repaired(l) : l))],
    ['CRLF and empty lines', plain.flatMap((l) => [`${l}\r`, '']), plain],
  ];
  for (const [label, lines, expected] of cases) {
    for (const engine of ['reference', 'simdjson'] as const) {
      const r = await run(Buffer.from(lines.join('\n') + '\n'), engine, 'Zscaler.ZPA.UserStatus');
      assert.equal(r['accepted'], expected.map((l) => `${l}\n`).join(''), `${label} (${engine})`);
      assert.deepEqual(r['ends'], expected.map((_, i) => expected.slice(0, i + 1).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)), `${label} (${engine}) ends`);
      // Refused lines travel to the dead-letter store as they were read.
      const refused = (r['deadLetters'] as Array<{ line: string }>).map((x) => x.line);
      assert.deepEqual(refused, lines.filter((l) => l.startsWith('{"no"')), `${label} (${engine}) refused lines`);
    }
  }
});
