/**
 * Finds the zpa-relay package root from a module URL by walking up to the nearest package.json, so the
 * bundled `schemas/` directory is found both from `src/` (tests with a loader) and from compiled `dist/src/`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding the package.json nearest above `moduleUrl`. */
export function packageRoot(moduleUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

/** The bundled schema directory, `<package root>/schemas`. */
export function bundledSchemaDir(): string {
  return path.join(packageRoot(), 'schemas');
}
