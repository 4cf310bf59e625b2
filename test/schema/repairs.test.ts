/**
 * LSS repairs: syslog PRI prefix and the old template's empty lists, each switchable, reported per line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWith } from './helpers.js';

const FIELDS = '  - name: a\n    type: array\n    element:\n      type: string\n  - name: s\n    type: string\n';

test('syslog_pri: <PRI> is stripped and reported; the repaired line is returned', () => {
  const e = engineWith(FIELDS);
  const o = e.checkLine('<111>{"s": "x"}', 'T');
  assert.equal(o.verdict.status, 'accepted');
  assert.deepEqual(o.repairs, ['syslog_pri']);
  assert.equal(o.repairedLine, '{"s": "x"}');
  const off = engineWith(FIELDS, { repairs: { stripSyslogPri: false } }).checkLine('<111>{"s": "x"}', 'T');
  assert.equal(off.verdict.status === 'rejected' && off.verdict.reason, 'invalid_json');
  assert.deepEqual(off.repairs, []);
  assert.equal(e.checkLine('<1111>{"s": "x"}', 'T').verdict.status, 'rejected', 'four digits are no PRI');
});

test('empty_list: "Key": , and "Key":} become [] outside strings only', () => {
  const e = engineWith(FIELDS);
  const o = e.checkLine('{"a": ,"s": "keep \\": , inside"}', 'T');
  assert.equal(o.verdict.status, 'accepted');
  assert.deepEqual(o.repairs, ['empty_list']);
  assert.equal(o.repairedLine, '{"a": [],"s": "keep \\": , inside"}');
  assert.equal(e.checkLine('{"s": "x","a":}', 'T').repairedLine, '{"s": "x","a":[]}');
  const off = engineWith(FIELDS, { repairs: { emptyListToArray: false } }).checkLine('{"a": ,"s": "x"}', 'T');
  assert.equal(off.verdict.status === 'rejected' && off.verdict.reason, 'invalid_json');
});

test('both repairs together; a valid line is never rewritten', () => {
  const e = engineWith(FIELDS);
  const o = e.checkLine('<13>{"a": ,"s": "x"}', 'T');
  assert.deepEqual(o.repairs, ['syslog_pri', 'empty_list']);
  assert.equal(o.repairedLine, '{"a": [],"s": "x"}');
  const clean = e.checkLine('{"a": [],"s": "x"}', 'T');
  assert.deepEqual(clean.repairs, []);
  assert.equal(clean.repairedLine, undefined);
});

test('a repair that does not make the line valid is not reported', () => {
  const o = engineWith(FIELDS).checkLine('{"a": ,"s": 00.5}', 'T');
  assert.equal(o.verdict.status === 'rejected' && o.verdict.reason, 'invalid_json');
  assert.deepEqual(o.repairs, []);
});
