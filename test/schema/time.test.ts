/**
 * Timestamps: the built-in formats, strftime with itchyny/timefmt-go behaviour, format order, event time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, engineWith, oneField } from './helpers.js';
import { compileStrftime } from '../../src/schema/time-strftime.js';
import { lastTime } from '../../src/schema/check-codes.js';

const ASCTIME = "    timeFormats: ['%a %b %e %H:%M:%S %Y']\n";

function eventTime(formats: string, raw: string): number | string {
  const v = oneField('timestamp', `    timeFormats: ${formats}\n    isEventTime: true\n`).checkLine(`{"f": ${raw}}`, 'T').verdict;
  return v.status === 'accepted' ? v.eventTime : v.reason;
}

test('asctime with %e: double-space and single-space days, case-insensitive names', () => {
  const want = Date.UTC(2021, 9, 7, 10, 40, 0);
  assert.equal(eventTime("['%a %b %e %H:%M:%S %Y']", '"Thu Oct  7 10:40:00 2021"'), want);
  assert.equal(eventTime("['%a %b %e %H:%M:%S %Y']", '"Thu Oct 7 10:40:00 2021"'), want);
  assert.equal(eventTime("['%a %b %e %H:%M:%S %Y']", '"thu OCT 07 10:40:00 2021"'), want);
  assert.equal(eventTime("['%a %b %e %H:%M:%S %Y']", '"Mon Oct 17 10:40:00 2021"'), Date.UTC(2021, 9, 17, 10, 40, 0), 'weekday is not cross-checked');
});

test('strftime refusals: typos, full names under %b, trailing input, missing parts', () => {
  for (const raw of ['"Wed Juthl 3 05:12:25 2019"', '"Thu August 28 07:12:25 2025"', '"Thu Oct  7 10:40:00 2021 UTC"', '"Thu Oct  7 10:40:00"', '"2021-10-07T10:40:00Z"']) {
    assert.equal(eventTime("['%a %b %e %H:%M:%S %Y']", raw), 'bad_timestamp', raw);
  }
});

test('%d does not skip a space; %e does', () => {
  const p = compileStrftime('%b %d %Y');
  assert.equal(p('Oct  7 2021'), false);
  assert.equal(p('Oct 07 2021'), true);
  assert.equal(compileStrftime('%b %e %Y')('Oct  7 2021'), true);
});

test('strftime: %z offsets, %f fractions, %p, full names with %A/%B, normalisation like time.Date', () => {
  assert.equal(compileStrftime('%Y-%m-%d %H:%M:%S %z')('2021-10-07 12:40:00 +0200'), true);
  assert.equal(lastTime.ms, Date.UTC(2021, 9, 7, 10, 40, 0));
  assert.equal(compileStrftime('%Y-%m-%d %H:%M:%S.%f')('2021-10-07 10:40:00.5'), true);
  assert.equal(lastTime.ms, Date.UTC(2021, 9, 7, 10, 40, 0, 500));
  assert.equal(compileStrftime('%I:%M %p %d/%m/%Y')('12:30 pm 07/10/2021'), true);
  assert.equal(lastTime.ms, Date.UTC(2021, 9, 7, 12, 30));
  assert.equal(compileStrftime('%A %B %d %Y')('thursday OCTOBER 07 2021'), true);
  assert.equal(lastTime.ms, Date.UTC(2021, 9, 7));
  assert.equal(compileStrftime('%Y-%m-%d')('2021-02-30'), true, 'Feb 30 normalises to Mar 2 as in Go');
  assert.equal(lastTime.ms, Date.UTC(2021, 2, 2));
  assert.equal(compileStrftime('%Y-%m-%d %H:%M:%S %Z')('2021-10-07 10:40:00 UTC'), true);
  assert.equal(compileStrftime('%F %T')('2026-02-12 08:22:08'), true);
  assert.equal(lastTime.ms, Date.UTC(2026, 1, 12, 8, 22, 8));
});

test('rfc3339: zone required, fractions allowed, ranges checked', () => {
  const f = "['rfc3339']";
  assert.equal(eventTime(f, '"2019-05-30T08:20:42.230Z"'), Date.UTC(2019, 4, 30, 8, 20, 42, 230));
  assert.equal(eventTime(f, '"2019-05-30T10:20:42+02:00"'), Date.UTC(2019, 4, 30, 8, 20, 42));
  assert.equal(eventTime(f, '"2019-05-30T08:20:42.123456789Z"'), Date.UTC(2019, 4, 30, 8, 20, 42, 123));
  for (const raw of ['"2019-05-30T08:20:42.230"', '"2019-05-30 08:20:42Z"', '"2019-02-30T08:20:42Z"', '"2019-05-30T24:00:00Z"', '"2019-05-30t08:20:42z"', '"2019-05-30T08:20:42.Z"', '1559204442']) {
    assert.equal(eventTime(f, raw), 'bad_timestamp', raw);
  }
});

test('unix formats take numbers and numeric strings', () => {
  const s = Date.UTC(2017, 11, 14, 5, 39, 55);
  assert.equal(eventTime("['unix']", '1513229995'), s);
  assert.equal(eventTime("['unix']", '"1513229995"'), s);
  assert.equal(eventTime("['unix']", '1513229995.5'), s + 500);
  assert.equal(eventTime("['unix_ms']", '1513229995123'), s + 123);
  assert.equal(eventTime("['unix_ms']", '"1513229995123"'), s + 123);
  assert.equal(eventTime("['unix_us']", '1513229995123456'), s + 123);
  assert.equal(eventTime("['unix_us']", '"1513229995123456"'), s + 123);
  assert.equal(eventTime("['unix_ns']", '1513229995123456789'), s + 123);
  assert.equal(eventTime("['unix_ns']", '"1513229995123456789"'), s + 123);
  assert.equal(eventTime("['unix']", '"abc"'), 'bad_timestamp');
  assert.equal(eventTime("['unix']", '1e300'), 'bad_timestamp');
  assert.equal(eventTime("['unix']", 'true'), 'wrong_type');
});

test('formats are tried in order', () => {
  assert.equal(eventTime("['rfc3339', '%a %b %e %H:%M:%S %Y', unix]", '"Thu Oct  7 10:40:00 2021"'), Date.UTC(2021, 9, 7, 10, 40));
  assert.equal(eventTime("['rfc3339', '%a %b %e %H:%M:%S %Y', unix]", '"1633603200"'), Date.UTC(2021, 9, 7, 10, 40));
});

test('"" and null are no time, not an error; required turns them into missing_required', () => {
  assert.deepEqual(brief(oneField('timestamp', ASCTIME).checkLine('{"f": ""}', 'T').verdict), { status: 'accepted' });
  assert.deepEqual(brief(oneField('timestamp', ASCTIME, true).checkLine('{"f": ""}', 'T').verdict), {
    status: 'rejected',
    reason: 'missing_required',
    field: 'f',
  });
});

test('event time: first isEventTime field with a value, in schema order; else parse time', () => {
  const e = engineWith(
    "  - name: a\n    type: timestamp\n    timeFormats: [rfc3339]\n    isEventTime: true\n" +
      "  - name: b\n    type: timestamp\n    timeFormats: [rfc3339]\n    isEventTime: true\n",
  );
  const at = (line: string): number => {
    const v = e.checkLine(line, 'T').verdict;
    return v.status === 'accepted' ? v.eventTime : NaN;
  };
  assert.equal(at('{"b": "2020-01-01T00:00:00Z", "a": "2021-01-01T00:00:00Z"}'), Date.UTC(2021, 0, 1));
  assert.equal(at('{"a": "", "b": "2020-01-01T00:00:00Z"}'), Date.UTC(2020, 0, 1));
  const before = Date.now();
  const parseTime = at('{"a": ""}');
  assert.ok(parseTime >= before && parseTime <= Date.now(), 'no event time: parse time');
});
