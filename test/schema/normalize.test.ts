/**
 * The normalized view: schema fields only, coerced values, Panther time text, standard fields, indicators
 * (trimmed, empties skipped, valid IPs only, deduplicated and sorted), exact numbers in the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineWith } from './helpers.js';
import { serializeNormalized } from '../../src/schema/engine.js';

const SCHEMA =
  "  - name: t\n    type: timestamp\n    timeFormats: ['%a %b %e %H:%M:%S %Y']\n    isEventTime: true\n" +
  '  - name: ip1\n    type: string\n    indicators: [ip]\n' +
  '  - name: ip2\n    type: string\n    indicators: [ip]\n' +
  '  - name: host\n    type: string\n    indicators: [hostname]\n' +
  '  - name: host2\n    type: string\n    indicators: [hostname]\n' +
  '  - name: user\n    type: string\n    indicators: [email, username, actor_id]\n' +
  '  - name: link\n    type: string\n    indicators: [url]\n' +
  '  - name: sum\n    type: string\n    indicators: [md5, sha1, sha256]\n' +
  '  - name: n\n    type: bigint\n' +
  '  - name: x\n    type: float\n' +
  '  - name: doc\n    type: json\n' +
  '  - name: tags\n    type: array\n    element:\n      type: string\n      indicators: [domain]\n';

test('normalize builds Panther\'s view with indicators', () => {
  const e = engineWith(SCHEMA);
  const line = JSON.stringify({
    t: 'Thu Oct  7 10:40:00 2021',
    ip1: ' 10.0.0.1 ',
    ip2: '10.256.256.256',
    host: '2001:db8::1',
    host2: 'app.example.com',
    user: 'alice@example.com',
    link: 'https://portal.example.net:8443/x?y=1',
    sum: '4DDE761681684D7EDAD4E5E1FFDB940B',
    n: '42',
    x: '2.5',
    tags: ['b.example', '', 'a.example', 'b.example'],
    unknown: 'dropped',
  });
  const { outcome, record } = e.normalize(line, 'T');
  assert.equal(outcome.verdict.status, 'accepted');
  assert.ok(record);
  assert.equal(record['t'], '2021-10-07 10:40:00.000000000');
  assert.equal(record['n'], 42);
  assert.equal(record['x'], 2.5);
  assert.equal(record['unknown'], undefined, 'unknown fields are not part of the normalized record');
  assert.equal(record['p_log_type'], 'T');
  assert.equal(record['p_event_time'], '2021-10-07 10:40:00.000000000');
  assert.match(String(record['p_parse_time']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$/);
  assert.deepEqual(record['p_any_ip_addresses'], ['10.0.0.1', '2001:db8::1']);
  assert.deepEqual(record['p_any_domain_names'], ['a.example', 'app.example.com', 'b.example', 'portal.example.net']);
  assert.deepEqual(record['p_any_emails'], ['alice@example.com']);
  assert.deepEqual(record['p_any_usernames'], ['alice@example.com']);
  assert.deepEqual(record['p_any_actor_ids'], ['alice@example.com']);
  assert.deepEqual(record['p_any_md5_hashes'], ['4DDE761681684D7EDAD4E5E1FFDB940B']);
  assert.equal(record['p_any_sha1_hashes'], undefined);
});

test('without an event time, p_event_time is p_parse_time', () => {
  const { record } = engineWith(SCHEMA).normalize('{"n": 1}', 'T');
  assert.equal(record?.['p_event_time'], record?.['p_parse_time']);
});

test('serializeNormalized prints int64 and json numbers exactly, and survives deep json', () => {
  const e = engineWith(SCHEMA);
  const { record } = e.normalize('{"n": 9223372036854775807, "doc": {"id": 288263728720249833, "f": 1.50}}', 'T');
  const text = serializeNormalized(record);
  assert.match(text, /"n":9223372036854775807/);
  assert.match(text, /"doc":\{"id":288263728720249833,"f":1.50\}/);
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const r2 = e.normalize(`{"doc": ${deep}}`, 'T');
  assert.equal(serializeNormalized(r2.record).includes('[[[['), true);
});

test('rejected lines have no normalized record', () => {
  const r = engineWith(SCHEMA).normalize('{"n": "x"}', 'T');
  assert.equal(r.outcome.verdict.status, 'rejected');
  assert.equal(r.record, undefined);
});
