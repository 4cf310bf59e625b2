/**
 * Shared inputs of the differential test: the raw JSON values the unit tests of src/schema use (test/schema/
 * types.test.ts, time.test.ts, hostile.test.ts) plus more edge cases, and small schemas that put every
 * Panther type and time format behind one field, so each value meets each coercion.
 */

/** Raw JSON value texts: every JSON kind, every coercion edge, and texts that are not JSON at all. */
export const RAW_VALUES: readonly string[] = [
  // strings
  '"x"', '""', '" "', '"123"', '"+5"', '"-0"', '"007"', '"12a"', '" 1"', '"1.0"', '"1e3"', '"+"', '"-"', '"true"', '"false"',
  '"t"', '"T"', '"TRUE"', '"True"', '"f"', '"F"', '"FALSE"', '"False"', '"yes"', '"1"', '"0"', '"2"', '"tRUE"',
  '"9223372036854775807"', '"-9223372036854775808"', '"9223372036854775808"', '"-9223372036854775809"',
  '"00009223372036854775807"', '"18446744073709551616"', `"1${'0'.repeat(399)}"`, '"2147483647"', '"2147483648"',
  '"-2147483648"', '"-2147483649"', '"32767"', '"32768"', '"-32768"', '"-32769"', '"1.5"', '".5"', '"5."', '"+.5e-3"',
  '"1e400"', '"-1e400"', '"1e-400"', '"NaN"', '"Infinity"', '"0x10"', '"1_000"', '"１２３"', '"\\u0031\\u0032"', '"\\n"',
  '"caf\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\"quoted\\""', '"\\\\"', '"é"', '"日本"',
  // numbers
  '0', '-0', '1', '-1', '-7', '6.0', '1e3', '1E3', '1.5', '-1.5e3', '45.000000', '0.0', '-0.0', '1e400', '-1e400', '1e-400',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809', '18446744073709551616',
  '288263728720249833', '9007199254740993', '999999999999999', '1000000000000000', '-999999999999999',
  '2147483647', '2147483648', '-2147483648', '-2147483649', '32767', '32768', '-32768', '-32769', `1${'0'.repeat(399)}`,
  '1.7976931348623157e308', '1.7976931348623159e308', '4.9e-324', '123456789012345678901234567890.5',
  // literals, containers
  'true', 'false', 'null', '[]', '{}', '[1]', '[1, "2", null]', '[null]', '[""]', '["x", 1]', '[[1]]', '[{}]', '{"a":1}',
  '{"Inner": "x"}', '{"Inner": 5}', '{"Inner": null}', '[{"Inner": "x"}, {"Inner": 6.0}]', '[1, 2, 1e400]', '["1", "a"]',
  // timestamps
  '"Thu Oct  7 10:40:00 2021"', '"Thu Oct 7 10:40:00 2021"', '"thu OCT 07 10:40:00 2021"', '"Mon Oct 17 10:40:00 2021"',
  '"Wed Juthl 3 05:12:25 2019"', '"Thu August 28 07:12:25 2025"', '"Thu Oct  7 10:40:00 2021 UTC"', '"Thu Oct  7 10:40:00"',
  '"Thu Oct 32 25:61:61 2021"', '"Thu Oct  7 10:40:00 9999"', '"Thu Feb 29 10:40:00 2021"',
  '"2019-05-30T08:20:42.230Z"', '"2019-05-30T10:20:42+02:00"', '"2019-05-30T08:20:42.123456789Z"', '"2019-05-30T08:20:42.1234567891Z"',
  '"2019-05-30T08:20:42.230"', '"2019-05-30 08:20:42Z"', '"2019-02-30T08:20:42Z"', '"2019-05-30T24:00:00Z"', '"2019-05-30t08:20:42z"',
  '"2019-05-30T08:20:42.Z"', '"2019-05-30T08:20:42,5Z"', '"2019-05-30T08:20:42-23:59"', '"2019-05-30T08:20:42+24:00"',
  '"2020-02-29T00:00:00Z"', '"0000-01-01T00:00:00Z"', '"9999-12-31T23:59:59.999Z"',
  '1559204442', '1513229995', '"1513229995"', '1513229995.5', '1513229995123', '"1513229995123"', '1513229995123456',
  '"1513229995123456"', '1513229995123456789', '"1513229995123456789"', '-1513229995', '"-1513229995123456789"', '1e300',
  '-1.5', '"+1513229995"', '"0000000000000000001513229995"', '8640000000000', '8640000000001', '8640000000000000', '8640000000000001',
  '"2021-10-07 12:40:00 +0200"', '"2021-10-07 10:40:00.5"', '"12:30 pm 07/10/2021"', '"thursday OCTOBER 07 2021"',
  '"2021-02-30"', '"2021-10-07 10:40:00 UTC"', '"2026-02-12 08:22:08"', '"2021-10-07 10:40:00 CEST"', '"2021-10-07 10:40:00 ABCDEF"',
  '"280 2021 09:05 AM"', '"1633603200"', '"20 21 October Thursday  7  9  9 4 5 40"', '"2021\\t10"', '"07/Oct/2021:10:40:00 -0700"',
  '"2021-10-07T10:40:00.123456+0000"', '"2021 21 \\t\\n 10/07/21 10/07/21  7-Oct-2021 09:05:00 AM 10:40 10:40:00 Thu Oct  7 10:40:00 UTC 2021 Oct pm 40 40"',
];

/** Time formats the differential test puts behind timestamp fields (all directives of time-strftime.ts). */
export const TIME_FORMATS: readonly (readonly string[])[] = [
  ['rfc3339'], ['unix'], ['unix_ms'], ['unix_us'], ['unix_ns'], ['%a %b %e %H:%M:%S %Y'],
  ['rfc3339', '%a %b %e %H:%M:%S %Y', 'unix'], ['%Y-%m-%d %H:%M:%S %z'], ['%Y-%m-%d %H:%M:%S.%f'], ['%I:%M %p %d/%m/%Y'],
  ['%A %B %d %Y'], ['%Y-%m-%d'], ['%Y-%m-%d %H:%M:%S %Z'], ['%F %T'], ['%j %Y %I:%M %p'], ['%s'], ['%d/%b/%Y:%H:%M:%S %z'],
  ['%Y-%m-%dT%H:%M:%S.%f%z'], ['%C %y %B %A %e %k %l %u %w %V %M'], ['%G %g %t %D %x %v %r %R %T %c %h %P %U %W'],
  ['%c'], ['%+'], ['%X %n%y'], ['%Y%%%m'], ['unix_ms', 'rfc3339'],
];

/** A schema file text `T` with one field `f` of the given YAML body. */
function schemaText(name: string, fieldYaml: string): { file: string; text: string } {
  return { file: `schemas/${name}.yaml`, text: `schema: ${name}\nfields:\n${fieldYaml}` };
}

/**
 * Schema sources: one schema per (type, required) pair and per time format, each with field `f` plus a
 * required `k` so that a record can also fail for a missing field, nested objects and arrays.
 */
export function fixtureSchemas(): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const scalar = ['string', 'int', 'smallint', 'bigint', 'float', 'boolean', 'json'];
  for (const t of scalar) {
    for (const req of [false, true]) out.push(schemaText(`S.${t}.${req}`, `  - name: f\n    type: ${t}\n    required: ${req}\n`));
  }
  TIME_FORMATS.forEach((formats, i) => {
    for (const req of [false, true]) {
      out.push(
        schemaText(
          `S.time${i}.${req}`,
          `  - name: f\n    type: timestamp\n    required: ${req}\n    isEventTime: true\n    timeFormats: ${JSON.stringify(formats)}\n` +
            `  - name: g\n    type: timestamp\n    isEventTime: true\n    timeFormats: ['rfc3339']\n`,
        ),
      );
    }
  });
  out.push(schemaText('S.arrayBigint', `  - name: f\n    type: array\n    element:\n      type: bigint\n`));
  out.push(schemaText('S.arrayString', `  - name: f\n    type: array\n    required: true\n    element:\n      type: string\n`));
  out.push(schemaText('S.arrayTime', `  - name: f\n    type: array\n    element:\n      type: timestamp\n      timeFormats: ['rfc3339', unix]\n`));
  out.push(
    schemaText(
      'S.object',
      `  - name: f\n    type: object\n    fields:\n      - name: Inner\n        type: string\n        required: true\n      - name: n\n        type: int\n`,
    ),
  );
  out.push(
    schemaText(
      'S.arrayObject',
      `  - name: f\n    type: array\n    element:\n      type: object\n      fields:\n        - name: Inner\n          type: bigint\n          required: true\n` +
        `        - name: deep\n          type: array\n          element:\n            type: object\n            fields:\n              - name: x\n                type: float\n`,
    ),
  );
  out.push(schemaText('S.proto', `  - name: constructor\n    type: string\n    required: true\n  - name: __proto__\n    type: bigint\n`));
  return out;
}
