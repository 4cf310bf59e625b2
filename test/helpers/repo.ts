/** Paths the tests need, found from the compiled file's location (dist/test/...) up to package.json. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
export const BIN = join(REPO_ROOT, 'bin', 'zpa-relay.js');
export const SAMPLES_DIR = resolve(REPO_ROOT, '..', 'shared', 'samples');
