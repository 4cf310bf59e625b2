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

/**
 * Why the tests pinned to ../shared/samples (public LSS records, beside the repository in CI but not in a
 * fresh clone) cannot run here, or false when they can: pass it as `{ skip: SAMPLES_MISSING }`.
 */
export const SAMPLES_MISSING: string | false =
  !existsSync(SAMPLES_DIR) && `${SAMPLES_DIR} is not beside this clone (CI puts it there): the public records are pinned only where they are; test/fixtures/lss covers the same oddities`;

/** The project's own LSS records, one file per log type (test/fixtures/lss/README.md). */
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'lss');
