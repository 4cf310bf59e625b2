/**
 * Schema loading: the bundled schemas load; every kind of mistake is reported with the file and the field,
 * all problems at once, with a stable error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RelayError, isRelayError } from '../../src/errors.js';
import { SchemaEngine } from '../../src/schema/engine.js';
import { bundledEngine, repoRoot } from './helpers.js';

function loadError(text: string, file = 'schemas/x.yaml'): RelayError {
  try {
    SchemaEngine.fromSchemas([{ file, text }]);
  } catch (err) {
    assert.ok(err instanceof RelayError);
    return err;
  }
  assert.fail('expected a RelayError');
}

test('the five bundled schemas load, field for field', async () => {
  const e = await bundledEngine();
  assert.deepEqual(e.logTypes, [
    'Zscaler.ZPA.AppConnectorMetrics',
    'Zscaler.ZPA.AppConnectorStatus',
    'Zscaler.ZPA.AuditLog',
    'Zscaler.ZPA.UserActivity',
    'Zscaler.ZPA.UserStatus',
  ]);
  const counts = e.logTypes.map((t) => e.schemaFields(t).length);
  assert.deepEqual(counts, [31, 37, 14, 56, 33]);
  const explicit = await SchemaEngine.load(path.join(repoRoot(), 'schemas'));
  assert.deepEqual(explicit.logTypes, e.logTypes);
});

test('unknown type names the file and the field', () => {
  const err = loadError('schema: X\nfields:\n  - name: Foo\n    type: strin\n');
  assert.equal(err.code, 'ZPA_ERR_SCHEMA_INVALID');
  assert.match(err.message, /^schemas\/x\.yaml: field "Foo": unknown type "strin"/);
});

test('invalid timeFormat, missing timeFormats, missing element, bad indicator: all listed', () => {
  const err = loadError(
    'schema: X\nfields:\n' +
      "  - name: T1\n    type: timestamp\n    timeFormats: ['%a %Q']\n" +
      '  - name: T2\n    type: timestamp\n    timeFormats: [rfc3399]\n' +
      '  - name: T3\n    type: timestamp\n' +
      '  - name: L\n    type: array\n' +
      '  - name: S\n    type: string\n    indicators: [ipv4]\n' +
      '  - name: O\n    type: object\n',
  );
  assert.equal(err.code, 'ZPA_ERR_SCHEMA_INVALID');
  const all = err.details.join('\n');
  assert.match(all, /schemas\/x\.yaml: field "T1": invalid timeFormat "%a %Q": unexpected directive "%Q"/);
  assert.match(all, /field "T2": invalid timeFormat "rfc3399"/);
  assert.match(all, /field "T3": a timestamp needs "timeFormats"/);
  assert.match(all, /field "L": an array needs "element"/);
  assert.match(all, /field "S": unknown indicator "ipv4"/);
  assert.match(all, /field "O": "fields" must be a non-empty list/);
  assert.equal(err.details.length, 6);
  assert.match(err.message, /and 5 more problems/);
});

test('nested problems carry the dotted path', () => {
  const err = loadError('schema: X\nfields:\n  - name: O\n    type: object\n    fields:\n      - name: In\n        type: nope\n  - name: A\n    type: array\n    element:\n      type: strng\n');
  assert.match(err.details.join('\n'), /field "O\.In": unknown type "nope"/);
  assert.match(err.details.join('\n'), /field "A\[\]": unknown type "strng"/);
});

test('structure problems: no schema name, duplicate fields, unknown keys, duplicate schema names', () => {
  assert.match(loadError('fields:\n  - name: a\n    type: string\n').message, /"schema" must be a non-empty string/);
  assert.match(loadError('schema: X\nfields:\n  - name: a\n    type: string\n  - name: a\n    type: string\n').message, /field "a": is declared twice/);
  assert.match(loadError('schema: X\nfields:\n  - name: a\n    type: string\n    requird: true\n').message, /field "a": unknown key "requird"/);
  try {
    SchemaEngine.fromSchemas([
      { file: 'a.yaml', text: 'schema: X\nfields:\n  - name: a\n    type: string\n' },
      { file: 'b.yaml', text: 'schema: X\nfields:\n  - name: a\n    type: string\n' },
    ]);
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(isRelayError(err, 'ZPA_ERR_SCHEMA_INVALID'));
    assert.match(err.message, /b\.yaml: schema "X" is also declared in a\.yaml/);
  }
});

test('YAML syntax errors and unreadable files are ZPA_ERR_SCHEMA_READ naming the file', async () => {
  const err = loadError('schema: X\nfields: [\n', 'schemas/broken.yaml');
  assert.equal(err.code, 'ZPA_ERR_SCHEMA_READ');
  assert.match(err.message, /^schemas\/broken\.yaml: invalid YAML/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'zpa-schemas-'));
  try {
    await assert.rejects(SchemaEngine.load(path.join(dir, 'missing')), (e: unknown) => isRelayError(e, 'ZPA_ERR_SCHEMA_READ'));
    await assert.rejects(SchemaEngine.load(dir), (e: unknown) => isRelayError(e, 'ZPA_ERR_SCHEMA_READ') && /no schema files/.test(e.message));
    // A directory named like a schema cannot be read as a file, even by root (chmod 000 would not stop root).
    mkdirSync(path.join(dir, 'a.yaml'));
    await assert.rejects(SchemaEngine.load(dir), (e: unknown) => isRelayError(e, 'ZPA_ERR_SCHEMA_READ') && /a\.yaml: cannot read the file/.test(e.message));
    rmSync(path.join(dir, 'a.yaml'), { recursive: true });
    writeFileSync(path.join(dir, 'b.yml'), 'schema: X\nfields:\n  - name: Foo\n    type: strin\n');
    await assert.rejects(SchemaEngine.load(dir), (e: unknown) => isRelayError(e, 'ZPA_ERR_SCHEMA_INVALID') && /b\.yml: field "Foo": unknown type "strin"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
