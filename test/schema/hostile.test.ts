/**
 * checkLine never throws: hostile and broken input is a verdict. Pins the reason for each kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bundledEngine, engineWith } from './helpers.js';

const reasonOf = async (line: string, logType = 'auto'): Promise<string> => {
  const v = (await bundledEngine()).checkLine(line, logType).verdict;
  return v.status === 'accepted' ? 'accepted' : v.reason;
};

test('random bytes (decoded with U+FFFD) never throw', async () => {
  const engine = await bundledEngine();
  for (let i = 0; i < 500; i++) {
    const line = randomBytes(1 + (i % 300)).toString('utf8');
    for (const t of ['auto', 'Zscaler.ZPA.UserActivity']) {
      const v = engine.checkLine(line, t).verdict;
      assert.equal(v.status, 'rejected');
    }
  }
});

test('structural oddities', async () => {
  assert.equal(await reasonOf('\uFEFF{"a":1}'), 'invalid_json', 'a BOM is not JSON');
  assert.equal(await reasonOf('{"a":1} trailing'), 'invalid_json');
  assert.equal(await reasonOf('{"a":1}{"b":2}'), 'invalid_json');
  assert.equal(await reasonOf(''), 'invalid_json');
  assert.equal(await reasonOf('[1,2]'), 'not_an_object');
  assert.equal(await reasonOf('"str"'), 'not_an_object');
  assert.equal(await reasonOf('null'), 'not_an_object');
  assert.equal(await reasonOf('1e400'), 'not_an_object');
  assert.equal(await reasonOf('{"\uFFFD\uFFFD": "\uFFFD"}'), 'unknown_log_type');
});

test('100,000 levels of nesting, as a record and inside fields', async () => {
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const deepObj = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
  assert.equal(await reasonOf(deep), 'not_an_object');
  assert.equal(await reasonOf(deepObj), 'unknown_log_type');
  const ts = '"LogTimestamp": "Thu Oct  7 10:40:00 2021"';
  assert.equal(await reasonOf(`{${ts}, "Connector": ${deep}}`, 'Zscaler.ZPA.AppConnectorMetrics'), 'wrong_type');
  assert.equal(await reasonOf(`{${ts}, "Customer": ${deepObj}}`, 'Zscaler.ZPA.UserActivity'), 'wrong_type');
  const unclosed = '['.repeat(100000);
  assert.equal(await reasonOf(unclosed), 'invalid_json');
  const json = engineWith('  - name: j\n    type: json\n  - name: n\n    type: bigint\n');
  const v = json.checkLine(`{"j": ${deepObj.replace('1', '1.5')}, "n": 6.0}`, 'T').verdict;
  assert.equal(v.status === 'rejected' && v.reason, 'wrong_type', 'exact path also survives deep nesting');
});

test('huge numbers and long digit strings', async () => {
  const n = engineWith('  - name: n\n    type: bigint\n  - name: f\n    type: float\n  - name: s\n    type: string\n');
  const r = (line: string): string => {
    const v = n.checkLine(line, 'T').verdict;
    return v.status === 'accepted' ? 'accepted' : `${v.reason} ${v.field}`;
  };
  assert.equal(r('{"f": 1e400}'), 'out_of_range f');
  assert.equal(r(`{"n": ${'9'.repeat(400)}}`), 'out_of_range n');
  assert.equal(r(`{"n": "${'9'.repeat(400)}"}`), 'out_of_range n');
  assert.equal(r(`{"s": ${'9'.repeat(400)}}`), 'accepted');
  assert.equal(r(`{"f": ${'9'.repeat(400)}}`), 'out_of_range f', 'a 400-digit number is beyond float64');
});

test('50 MB strings, duplicate keys, escapes in keys', async () => {
  const big = 'x'.repeat(50 * 1024 * 1024);
  assert.equal(await reasonOf(`{"Customer": "${big}"}`), 'unknown_log_type');
  const e = engineWith('  - name: n\n    type: bigint\n    required: true\n');
  const r = (line: string): string => {
    const v = e.checkLine(line, 'T').verdict;
    return v.status === 'accepted' ? 'accepted' : v.reason;
  };
  assert.equal(r('{"n": "x", "n": 5}'), 'accepted', 'the last duplicate wins, as in JSON.parse and Go');
  assert.equal(r('{"n": 5, "n": "x"}'), 'wrong_type');
  assert.equal(r('{"n": 5, "n": 6.0}'), 'wrong_type', 'exact path honours the last duplicate too');
  assert.equal(r('{"\\u006e": 6.0}'), 'wrong_type', 'an escaped key name is the same key');
  assert.equal(r('{"__proto__": 1, "n": 1}'), 'accepted');
  const proto = engineWith('  - name: constructor\n    type: string\n    required: true\n');
  assert.equal(proto.checkLine('{}', 'T').verdict.status, 'rejected', 'prototype properties are not record fields');
});
