/**
 * Reads schema files (YAML) and validates them, reporting every problem of every file at once.
 * Unreadable files and YAML syntax errors are ZPA_ERR_SCHEMA_READ; a readable file that is not a valid
 * Panther schema is ZPA_ERR_SCHEMA_INVALID. The message is the first problem (naming file and field), and
 * `details` lists them all.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { RelayError } from '../errors.js';
import type { SchemaSpec } from './schema-model.js';
import { validateSchemaDocument } from './schema-validator.js';

/** Panther's schema-test files, kept beside the schemas they test. */
export const TEST_FILE_RE = /_tests\.ya?ml$/i;

/** One schema file's name (as shown in messages) and text. */
export interface SchemaSource {
  readonly file: string;
  readonly text: string;
}

function summarise(problems: readonly string[]): string {
  return problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`;
}

/** Parses and validates `sources`; throws RelayError listing every problem. */
export function parseSchemaSources(sources: readonly SchemaSource[]): SchemaSpec[] {
  const readProblems: string[] = [];
  const problems: string[] = [];
  const specs: SchemaSpec[] = [];
  for (const { file, text } of sources) {
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) readProblems.push(`${file}: invalid YAML: ${e.message.split('\n')[0]}`);
      continue;
    }
    const result = validateSchemaDocument(file, doc.toJS());
    problems.push(...result.problems);
    if (result.spec !== undefined) specs.push(result.spec);
  }
  if (readProblems.length > 0) throw new RelayError('ZPA_ERR_SCHEMA_READ', summarise(readProblems), readProblems);
  const byName = new Map<string, string>();
  for (const s of specs) {
    const other = byName.get(s.schema);
    if (other !== undefined) problems.push(`${s.file}: schema "${s.schema}" is also declared in ${other}`);
    else byName.set(s.schema, s.file);
  }
  if (problems.length > 0) throw new RelayError('ZPA_ERR_SCHEMA_INVALID', summarise(problems), problems);
  if (specs.length === 0) throw new RelayError('ZPA_ERR_SCHEMA_READ', 'no schema files given');
  return specs;
}

/** A path as messages show it: relative to the working directory when below it, else absolute. */
function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? p : rel.startsWith('..') ? path.resolve(p) : rel;
}

/**
 * Reads the schema files at `location`: a directory (every `*.yaml`/`*.yml` file in it but `*_tests.yml`, sorted by name) or a
 * single file. Throws ZPA_ERR_SCHEMA_READ naming the location when nothing can be read there.
 */
export async function readSchemaSources(location: string): Promise<SchemaSource[]> {
  const shown = shownPath(location);
  let names: string[];
  let dir = location;
  try {
    if ((await stat(location)).isDirectory()) {
      // Panther's schema-test files (`*_tests.yml`, what `schema derive` writes beside a schema) are not schemas.
      names = (await readdir(location)).filter((n) => /\.ya?ml$/i.test(n) && !TEST_FILE_RE.test(n)).sort();
    } else {
      dir = path.dirname(location);
      names = [path.basename(location)];
    }
  } catch (err) {
    throw new RelayError('ZPA_ERR_SCHEMA_READ', `${shown}: cannot read the schemas: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new RelayError('ZPA_ERR_SCHEMA_READ', `${shown}: no schema files (*.yaml, *.yml) in the directory`);
  const sources: SchemaSource[] = [];
  const problems: string[] = [];
  const shownDir = dir === location ? shown : shownPath(dir);
  for (const name of names) {
    const file = path.join(shownDir, name);
    try {
      sources.push({ file, text: await readFile(path.join(dir, name), 'utf8') });
    } catch (err) {
      problems.push(`${file}: cannot read the file: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new RelayError('ZPA_ERR_SCHEMA_READ', summarise(problems), problems);
  return sources;
}

/** Reads every `*.yaml`/`*.yml` file of `dir` (or the one file `dir` names) and parses them. */
export async function loadSchemaDir(dir: string): Promise<SchemaSpec[]> {
  return parseSchemaSources(await readSchemaSources(dir));
}
