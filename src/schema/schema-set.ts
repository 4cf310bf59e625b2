/**
 * Where a relay's schemas come from: the base set (`schemas.path`, or the bundled five when it is empty) plus
 * every location of `schemas.include` (custom schemas such as the ones `zpa-relay schema derive` writes).
 * All of them are read and validated together, so a schema name declared twice is one problem naming both
 * files, and every problem of every file is listed at once (schema-loader.ts).
 */
import { resolve } from 'node:path';
import { RelayError, isRelayError } from '../errors.js';
import { bundledSchemaDir } from './package-root.js';
import { parseSchemaSources, readSchemaSources, type SchemaSource } from './schema-loader.js';
import type { SchemaSpec } from './schema-model.js';

/** The `schemas` section of the config, or the `--schemas` options of a command. */
export interface SchemaLocations {
  /** The base directory; empty means the bundled `schemas/`. */
  readonly path: string;
  /** More directories or single files, loaded beside the base set. */
  readonly include: readonly string[];
}

/** The bundled schemas alone. */
export const BUNDLED_SCHEMAS: SchemaLocations = Object.freeze({ path: '', include: Object.freeze([]) as readonly string[] });

/** A directory (or undefined for the bundled one) as a location set. */
export function schemaLocations(where: string | SchemaLocations | undefined): SchemaLocations {
  if (where === undefined) return BUNDLED_SCHEMAS;
  return typeof where === 'string' ? { path: where, include: [] } : where;
}

/** Every location of the set, base first, as read. */
export function schemaLocationList(loc: SchemaLocations): string[] {
  return [loc.path || bundledSchemaDir(), ...loc.include];
}

/** The schema files of every location (text and the name they are shown by). */
export async function readSchemaSet(loc: SchemaLocations): Promise<SchemaSource[]> {
  const sources: SchemaSource[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const location of schemaLocationList(loc)) {
    try {
      // The same file reached twice (a directory and a file in it) is read once.
      for (const src of await readSchemaSources(location)) {
        const key = resolve(src.file);
        if (seen.has(key)) continue;
        seen.add(key);
        sources.push(src);
      }
    } catch (err) {
      if (!isRelayError(err)) throw err;
      problems.push(...(err.details.length > 0 ? err.details : [err.message]));
    }
  }
  if (problems.length === 1) throw new RelayError('ZPA_ERR_SCHEMA_READ', problems[0]!, problems);
  if (problems.length > 1) throw new RelayError('ZPA_ERR_SCHEMA_READ', `${problems[0]} (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`, problems);
  return sources;
}

/** Reads and validates every schema of the set; throws RelayError listing every problem. */
export async function loadSchemaSet(loc: SchemaLocations): Promise<SchemaSpec[]> {
  return parseSchemaSources(await readSchemaSet(loc));
}
