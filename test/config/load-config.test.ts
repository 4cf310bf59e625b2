import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, validateConfig } from '../../src/config/load-config.js';
import { isRelayError } from '../../src/errors.js';

test('the embedded default has five listeners on 9015-9019 and the directory output', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(
    c.listeners.map((l) => [l.port, l.logType]),
    [
      [9015, 'Zscaler.ZPA.AppConnectorStatus'],
      [9016, 'Zscaler.ZPA.AuditLog'],
      [9017, 'Zscaler.ZPA.AppConnectorMetrics'],
      [9018, 'Zscaler.ZPA.UserActivity'],
      [9019, 'Zscaler.ZPA.UserStatus'],
    ],
  );
  assert.equal(c.output.type, 'directory');
  assert.equal(c.output.directory.path, './data/out');
  assert.equal(c.admin.port, 9100);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listeners[0]), 'config is frozen');
});

test('PANTHER_HTTP_URL switches the default to http with the shared secret from PANTHER_SECRET', () => {
  const c = loadConfig({ env: { PANTHER_HTTP_URL: 'https://logs.x.runpanther.net/http/abc', PANTHER_SECRET: 's3cret' } });
  assert.equal(c.output.type, 'http');
  assert.equal(c.output.http?.url, 'https://logs.x.runpanther.net/http/abc');
  assert.deepEqual(c.output.http?.auth, { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'PANTHER_SECRET' });
  assert.equal(c.output.http?.maxRequestBytes, 1_000_000);
});

test('every problem of a bad config is reported at once', () => {
  const bad = {
    listeners: [
      { name: 'a', port: 70000, logType: 'auto', prot: 1 },
      { name: 'a', port: 9018, maxLineBytes: 'big' },
    ],
    output: { type: 'http', http: { url: 'ftp://x', auth: { type: 'bearer' } } },
    surprise: true,
  };
  try {
    validateConfig(bad, { env: {} });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'));
    const d = err.details.join('\n');
    assert.match(d, /listeners\[0\]\.port: must be <= 65535/);
    assert.match(d, /listeners\[0\]: unknown key "prot"/);
    assert.match(d, /listeners\[1\]\.maxLineBytes: must be integer/);
    assert.match(d, /output\.http\.url: must match pattern/);
    assert.match(d, /\(root\): unknown key "surprise"/);
    assert.ok(err.details.length >= 5, d);
  }
});

test('cross-field problems are listed together: duplicate names/ports, missing secret env', () => {
  try {
    validateConfig(
      {
        listeners: [{ name: 'a', port: 9000 }, { name: 'a', port: 9000 }],
        output: { type: 'http', http: { url: 'https://x/http/1', auth: { type: 'shared-secret', header: 'x-s', secretEnv: 'NOPE_NOT_SET' } } },
      },
      { env: {} },
    );
    assert.fail('should throw');
  } catch (err) {
    assert.ok(isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'));
    const d = err.details.join('\n');
    assert.match(d, /duplicate listener name "a"/);
    assert.match(d, /already used by listeners\[0\]/);
    assert.match(d, /environment variable NOPE_NOT_SET is not set/);
  }
});

test('an unreadable or non-YAML file gives ZPA_ERR_CONFIG_READ naming the file', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/zpa.yaml' }), (e: unknown) => isRelayError(e, 'ZPA_ERR_CONFIG_READ') && /\/nonexistent\/zpa\.yaml/.test(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'listeners: [\n');
  assert.throws(() => loadConfig({ file: f }), (e: unknown) => isRelayError(e, 'ZPA_ERR_CONFIG_READ') && e.message.includes(f));
});
