/**
 * Each Panther type and its coercions, one small schema per case, as FACTS.md states them
 * (open-source engine behaviour): what is accepted, what is absent, and what each refusal's reason is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, oneField } from './helpers.js';

const ok = { status: 'accepted' };
const wrong = { status: 'rejected', reason: 'wrong_type', field: 'f' };
const range = { status: 'rejected', reason: 'out_of_range', field: 'f' };
const missing = { status: 'rejected', reason: 'missing_required', field: 'f' };

/** Checks `{"f": <raw>}` (raw JSON text) against a one-field schema. */
function check(type: string, raw: string, required = false, extra = ''): ReturnType<typeof brief> {
  return brief(oneField(type, extra, required).checkLine(`{"f": ${raw}}`, 'T').verdict);
}

test('string: strings as is, numbers and booleans as text, objects and arrays refused', () => {
  for (const raw of ['"x"', '""', '12', '-1.5e3', 'true', '288263728720249833']) assert.deepEqual(check('string', raw), ok, raw);
  assert.deepEqual(check('string', '{"a":1}'), wrong);
  assert.deepEqual(check('string', '[1]'), wrong);
  assert.deepEqual(check('string', '""', true), ok, '"" is a value for a string, even a required one');
  assert.deepEqual(check('string', 'null', true), missing);
});

test('string: numbers keep their literal text in the normalized view', () => {
  const e = oneField('string');
  const text = (raw: string): unknown => e.normalize(`{"f": ${raw}}`, 'T').record?.['f'];
  assert.equal(text('288263728720249833'), '288263728720249833');
  assert.equal(text('45.000000'), '45.000000');
  assert.equal(text('1e3'), '1e3');
  assert.equal(text('true'), 'true');
});

test('bigint: integers and digit strings; "" and null are absent', () => {
  for (const raw of ['0', '-7', '"123"', '"+5"', '"-0"', '"007"', '""', 'null']) assert.deepEqual(check('bigint', raw), ok, raw);
  for (const raw of ['"12a"', '" 1"', '"1.0"', '"1e3"', '6.0', '1e3', '1.5', 'true', '"true"', '[1]', '{}', '"+"', '"-"']) {
    assert.deepEqual(check('bigint', raw), wrong, raw);
  }
  assert.deepEqual(check('bigint', '""', true), missing);
  assert.deepEqual(check('bigint', 'null', true), missing);
});

test('bigint: int64 edges are exact, for literals and strings', () => {
  for (const v of ['9223372036854775807', '-9223372036854775808', '00009223372036854775807']) {
    assert.deepEqual(check('bigint', v.startsWith('0') ? `"${v}"` : v), ok, v);
    assert.deepEqual(check('bigint', `"${v}"`), ok, `"${v}"`);
  }
  for (const v of ['9223372036854775808', '-9223372036854775809', '18446744073709551616', '1' + '0'.repeat(399)]) {
    assert.deepEqual(check('bigint', v), range, v);
    assert.deepEqual(check('bigint', `"${v}"`), range, `"${v}"`);
  }
  // 2^53 + 1 cannot be held by a float64, yet it is in range and keeps its digits.
  const rec = oneField('bigint').normalize('{"f": 9007199254740993}', 'T').record;
  assert.equal(rec?.['f'], 9007199254740993n);
});

test('int and smallint: 32- and 16-bit edges', () => {
  assert.deepEqual(check('int', '2147483647'), ok);
  assert.deepEqual(check('int', '-2147483648'), ok);
  assert.deepEqual(check('int', '2147483648'), range);
  assert.deepEqual(check('int', '"-2147483649"'), range);
  assert.deepEqual(check('smallint', '32767'), ok);
  assert.deepEqual(check('smallint', '"-32768"'), ok);
  assert.deepEqual(check('smallint', '32768'), range);
  assert.deepEqual(check('smallint', '-32769'), range);
  assert.deepEqual(check('smallint', '"x"'), wrong);
});

test('float: numbers and numeric strings; 1e400 is out of range, 1e-400 is 0', () => {
  for (const raw of ['45.000000', '-119', '"2.5"', '"-1e3"', '".5"', '"5."', '1e-400', '""', 'null']) assert.deepEqual(check('float', raw), ok, raw);
  assert.deepEqual(check('float', '1e400'), range);
  assert.deepEqual(check('float', '"1e400"'), range);
  assert.deepEqual(check('float', '-1e400'), range);
  for (const raw of ['"abc"', '"NaN"', '"Inf"', 'true', '[1.5]', '"1,5"']) assert.deepEqual(check('float', raw), wrong, raw);
  assert.deepEqual(check('float', '""', true), missing);
});

test('boolean: true/false, 0/1 and Go ParseBool strings', () => {
  for (const raw of ['true', 'false', '0', '1', '"1"', '"t"', '"T"', '"TRUE"', '"true"', '"True"', '"0"', '"f"', '"F"', '"FALSE"', '"false"', '"False"', '""']) {
    assert.deepEqual(check('boolean', raw), ok, raw);
  }
  for (const raw of ['2', '1.0', '"yes"', '"tRUE"', '{}', '[]']) assert.deepEqual(check('boolean', raw), wrong, raw);
  assert.deepEqual(check('boolean', '""', true), missing);
});

test('json: any value; null is absent', () => {
  for (const raw of ['{"a":[1,2]}', '[]', '"{\\"id\\":\\"1\\"}"', '""', '1e400', 'true']) assert.deepEqual(check('json', raw), ok, raw);
  assert.deepEqual(check('json', 'null', true), missing);
});

test('array: needs a JSON array; elements are checked with their path', () => {
  const el = '    element:\n      type: bigint\n';
  assert.deepEqual(check('array', '[1, "2", null, ""]', false, el), ok);
  assert.deepEqual(check('array', '[]', true, el), ok, '[] is a value');
  assert.deepEqual(check('array', '[1, "x"]', false, el), { status: 'rejected', reason: 'wrong_type', field: 'f[1]' });
  assert.deepEqual(check('array', '[9223372036854775808]', false, el), { status: 'rejected', reason: 'out_of_range', field: 'f[0]' });
  assert.deepEqual(check('array', '"a,b"', false, '    element:\n      type: string\n'), wrong, 'a comma-joined string is not an array');
  assert.deepEqual(check('array', '""', false, '    element:\n      type: string\n'), wrong);
  assert.deepEqual(check('array', 'null', true, el), missing);
});

test('object: nested fields, required inside, dotted path', () => {
  const fields = '    fields:\n      - name: n\n        type: int\n        required: true\n      - name: s\n        type: string\n';
  assert.deepEqual(check('object', '{"n": 1, "s": "x", "extra": []}', false, fields), ok);
  assert.deepEqual(check('object', '{"s": "x"}', false, fields), { status: 'rejected', reason: 'missing_required', field: 'f.n' });
  assert.deepEqual(check('object', '{"n": "x"}', false, fields), { status: 'rejected', reason: 'wrong_type', field: 'f.n' });
  assert.deepEqual(check('object', '[1]', false, fields), wrong);
  const deep = '    element:\n      type: object\n      fields:\n        - name: v\n          type: smallint\n';
  assert.deepEqual(check('array', '[{"v": 1}, {"v": 40000}]', false, deep), { status: 'rejected', reason: 'out_of_range', field: 'f[1].v' });
});

test('unknown fields are ignored and names are case sensitive', () => {
  const e = oneField('bigint', '', true);
  assert.deepEqual(brief(e.checkLine('{"f": 1, "g": {"deep": [1,2,3]}}', 'T').verdict), ok);
  assert.deepEqual(brief(e.checkLine('{"F": 1}', 'T').verdict), missing);
});

test('the first failing field in schema order is reported', () => {
  const e = oneField('bigint');
  const two = e.checkLine('{"f": "x"}', 'T').verdict;
  assert.equal(two.status === 'rejected' && two.message, 'field "f": expected a 64-bit integer (bigint), got "x"');
});

test('missing_required says whether the field is missing, null or empty', () => {
  const e = oneField('timestamp', "    timeFormats: ['rfc3339']\n", true);
  const msg = (line: string): string => {
    const v = e.checkLine(line, 'T').verdict;
    return v.status === 'rejected' ? v.message : '';
  };
  assert.match(msg('{}'), /is missing/);
  assert.match(msg('{"f": null}'), /is null/);
  assert.match(msg('{"f": ""}'), /is empty/);
});
