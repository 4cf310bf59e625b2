/**
 * Shared test helpers: locating the repository from compiled tests in dist/, the bundled engine, and a
 * one-field schema builder for type and coercion tests.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaEngine } from '../../src/schema/engine.js';
import type { Verdict } from '../../src/schema/verdict.js';

/** The repository root: the nearest directory above this file holding package.json (works from dist/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}

let bundled: Promise<SchemaEngine> | undefined;

/** The engine with the bundled schemas (loaded once per test file). */
export function bundledEngine(): Promise<SchemaEngine> {
  return (bundled ??= SchemaEngine.load());
}

/** An engine with one schema `T` holding the given field YAML lines (indented under `fields:`). */
export function engineWith(fieldsYaml: string, opts?: Parameters<typeof SchemaEngine.fromSchemas>[1]): SchemaEngine {
  return SchemaEngine.fromSchemas([{ file: 'schemas/T.yaml', text: `schema: T\nfields:\n${fieldsYaml}` }], opts);
}

/** An engine whose schema T has one field `f` of `type` (plus optional extra YAML keys), `required` as given. */
export function oneField(type: string, extra = '', required = false): SchemaEngine {
  return engineWith(`  - name: f\n    type: ${type}\n    required: ${required}\n${extra}`);
}

/** Short form of a verdict for deepEqual: status plus reason/field when rejected. */
export function brief(v: Verdict): { status: string; reason?: string; field?: string } {
  return v.status === 'accepted' ? { status: 'accepted' } : { status: 'rejected', reason: v.reason, ...(v.field !== undefined ? { field: v.field } : {}) };
}
