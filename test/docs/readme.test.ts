/** Keeps the README true: every config option, error code and metric it must document is there. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/repo.js';
import { describeConfig } from '../../src/config/describe-config.js';
import { ERROR_CODES } from '../../src/errors.js';
import { RelayMetrics } from '../../src/metrics/metrics.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

test('the README documents every config option', () => {
  const missing = describeConfig().filter((r) => !readme.includes(`\`${r.path}\``));
  assert.deepEqual(missing.map((r) => r.path), []);
});

test('the README documents every error code', () => {
  assert.deepEqual(Object.keys(ERROR_CODES).filter((c) => !readme.includes(`\`${c}\``)), []);
});

test('the README documents every relay metric', async () => {
  const m = new RelayMetrics({ defaultMetrics: false });
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
  assert.ok(names.length >= 15);
  assert.deepEqual(names.filter((n) => !readme.includes(`\`${n}\``)), []);
});

test('the README has the two set-up commands, and .ci/run runs the test one', () => {
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /npm ci && npm test && npm run test:long /);
  assert.match(readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8'), /npm ci --no-audit --no-fund && npm test && npm run test:long\n/);
});
