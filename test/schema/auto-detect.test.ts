/**
 * Auto-detection: the documented order (most required fields first, then name), each ZPA type picked
 * for its own record, and unknown_log_type with logType null when no schema accepts a record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaEngine } from '../../src/schema/engine.js';
import { FIXTURES_DIR } from '../helpers/repo.js';
import { bundledEngine, engineWith } from './helpers.js';
import { lineOf } from './pinned-verdicts.js';
import { LssGenerator } from '../../bench/lss/generate.js';

test('each ZPA record type is detected as its own log type', async () => {
  const engine = await bundledEngine();
  const cases: Array<[string, string]> = [
    [new LssGenerator(7).userActivity(), 'Zscaler.ZPA.UserActivity'],
    [lineOf(FIXTURES_DIR, 'user-status.log:1'), 'Zscaler.ZPA.UserStatus'],
    [lineOf(FIXTURES_DIR, 'app-connector-status.log:1'), 'Zscaler.ZPA.AppConnectorStatus'],
    [lineOf(FIXTURES_DIR, 'app-connector-metrics.log:1'), 'Zscaler.ZPA.AppConnectorMetrics'],
    [lineOf(FIXTURES_DIR, 'audit.log:3'), 'Zscaler.ZPA.AuditLog'],
    // Repaired records are detected after the repair: a syslog prefix, the old template's empty lists.
    [lineOf(FIXTURES_DIR, 'user-activity.log:3'), 'Zscaler.ZPA.UserActivity'],
    [lineOf(FIXTURES_DIR, 'user-status.log:3'), 'Zscaler.ZPA.UserStatus'],
  ];
  for (const [line, want] of cases) {
    const v = engine.checkLine(line, 'auto').verdict;
    assert.equal(v.status, 'accepted', v.status === 'rejected' ? v.message : '');
    assert.equal(v.logType, want);
  }
});

test('a record no schema accepts is unknown_log_type with logType null', async () => {
  const engine = await bundledEngine();
  const v = engine.checkLine('{"hello": "world"}', 'auto').verdict;
  assert.equal(v.status === 'rejected' && v.reason, 'unknown_log_type');
  assert.equal(v.logType, null);
});

test('an unloaded log type name is unknown_log_type, never an exception', async () => {
  const engine = await bundledEngine();
  const v = engine.checkLine('{}', 'Zscaler.ZPA.Nope').verdict;
  assert.equal(v.status === 'rejected' && v.reason, 'unknown_log_type');
  assert.equal(engine.has('Zscaler.ZPA.Nope'), false);
});

test('order: more required fields first, then by name', () => {
  const e = engineWith('  - name: a\n    type: string\n    required: true\n', undefined);
  assert.equal(e.checkLine('{"a": "x"}', 'auto').verdict.logType, 'T');
  const two = (name: string, req: string[]): { file: string; text: string } => ({
    file: `${name}.yaml`,
    text: `schema: ${name}\nfields:\n${['a', 'b'].map((f) => `  - name: ${f}\n    type: string\n    required: ${req.includes(f)}\n`).join('')}`,
  });
  const engine = SchemaEngine.fromSchemas([
    two('Z.Loose', ['a']),
    two('A.Loose', ['a']),
    two('M.Strict', ['a', 'b']),
  ]);
  assert.equal(engine.checkLine('{"a": "x", "b": "y"}', 'auto').verdict.logType, 'M.Strict', 'most required wins');
  assert.equal(engine.checkLine('{"a": "x"}', 'auto').verdict.logType, 'A.Loose', 'then name order');
  assert.deepEqual(engine.logTypes, ['A.Loose', 'M.Strict', 'Z.Loose']);
});

test('schemaFields lists top-level names in schema order', async () => {
  const engine = await bundledEngine();
  const f = engine.schemaFields('Zscaler.ZPA.AuditLog');
  assert.equal(f[0], 'ModifiedTime');
  assert.equal(f.at(-1), 'ClientAuditUpdate');
  assert.equal(f.length, 14);
  assert.deepEqual(engine.schemaFields('nope'), []);
});
