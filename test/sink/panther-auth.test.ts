import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isRelayError } from '../../src/errors.js';
import { createAuth, redactSecrets, type AuthConfig } from '../../src/sink/panther-auth.js';
import { HttpSender, type SendOutcome } from '../../src/sink/http-sender.js';
import { startPantherStandin, type StandinAuth } from '../helpers/panther-standin.js';

const RETRY = { initialBackoffMs: 1, maxBackoffMs: 5, maxRetries: 2 };
const LINES = ['{"LogTimestamp": "Mon Mar  2 02:57:01 2020","Customer": "Acme, Inc."}', '{"ObjectID":216196257331380392}'];

/** Sends one body through a real sender to a stand-in demanding `demand`, authenticating with `cfg`. */
async function sendWith(demand: StandinAuth, cfg: AuthConfig, env: NodeJS.ProcessEnv) {
  const panther = await startPantherStandin({ auth: demand });
  const auth = createAuth(cfg, env);
  const sender = new HttpSender({ url: panther.url, auth, requestTimeoutMs: 2000, concurrency: 1, retry: RETRY });
  try {
    const body = gzipSync(`${LINES.join('\n')}\n`);
    const outcome: SendOutcome = await sender.send(body);
    return { outcome, panther: { lines: [...panther.lines], requests: [...panther.requests] }, auth, sender, body };
  } finally {
    await sender.close();
    await panther.close();
  }
}

const MODES: Array<{ name: string; demand: StandinAuth; wrong: StandinAuth; cfg: AuthConfig; env: NodeJS.ProcessEnv }> = [
  { name: 'none', demand: { type: 'none' }, wrong: { type: 'bearer', token: 'needed' }, cfg: { type: 'none' }, env: {} },
  {
    name: 'shared-secret',
    demand: { type: 'shared-secret', header: 'X-Panther-Secret', secret: 'sh4red' },
    wrong: { type: 'shared-secret', header: 'X-Panther-Secret', secret: 'other' },
    cfg: { type: 'shared-secret', header: 'X-Panther-Secret', secretEnv: 'ZPA_TEST_SECRET' },
    env: { ZPA_TEST_SECRET: 'sh4red' },
  },
  {
    name: 'bearer',
    demand: { type: 'bearer', token: 'tok-123' },
    wrong: { type: 'bearer', token: 'tok-456' },
    cfg: { type: 'bearer', tokenEnv: 'ZPA_TEST_TOKEN' },
    env: { ZPA_TEST_TOKEN: 'tok-123\n' },
  },
  {
    name: 'basic',
    demand: { type: 'basic', username: 'relay', password: 'pässword' },
    wrong: { type: 'basic', username: 'relay', password: 'nope' },
    cfg: { type: 'basic', username: 'relay', passwordEnv: 'ZPA_TEST_PASSWORD' },
    env: { ZPA_TEST_PASSWORD: 'pässword' },
  },
];

for (const m of MODES) {
  test(`auth ${m.name}: accepted by the stand-in`, async () => {
    const { outcome, panther } = await sendWith(m.demand, m.cfg, m.env);
    assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 1 });
    assert.deepEqual(panther.lines, LINES);
  });
  test(`auth ${m.name}: wrong credentials -> 401 -> rejected without retry`, async () => {
    const { outcome, panther } = await sendWith(m.wrong, m.cfg, m.env);
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.httpStatus, 401);
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(panther.lines, []);
    if (outcome.status === 'rejected') {
      assert.match(outcome.message, /HTTP 401/);
      for (const v of Object.values(m.env)) assert.ok(!outcome.message.includes(String(v).trim()), 'no secret in message');
    }
  });
}

for (const algorithm of ['sha256', 'sha512'] as const) {
  for (const encoding of ['hex', 'base64'] as const) {
    test(`auth hmac ${algorithm}/${encoding}: signs the exact body bytes sent`, async () => {
      const secret = 'hm4c-secret';
      const demand: StandinAuth = { type: 'hmac', header: 'X-Signature', secret, algorithm, encoding };
      const cfg: AuthConfig = { type: 'hmac', header: 'X-Signature', secretEnv: 'ZPA_TEST_HMAC', algorithm, encoding };
      const { outcome, panther, body } = await sendWith(demand, cfg, { ZPA_TEST_HMAC: secret });
      assert.deepEqual(outcome, { status: 'delivered', httpStatus: 200, attempts: 1 });
      assert.deepEqual(panther.lines, LINES);
      const expected = createHmac(algorithm, secret).update(body).digest(encoding);
      assert.equal(panther.requests[0]?.headers['x-signature'], expected);

      const wrong = await sendWith({ ...demand, secret: 'other' }, cfg, { ZPA_TEST_HMAC: secret });
      assert.equal(wrong.outcome.status, 'rejected');
      assert.equal(wrong.outcome.httpStatus, 401);
    });
  }
}

test('auth hmac: signature changes with the body', () => {
  const auth = createAuth({ type: 'hmac', header: 'x-sig', secretEnv: 'K', algorithm: 'sha256', encoding: 'hex' }, { K: 'k' });
  const a = auth.headers(Buffer.from('a'))['x-sig'];
  const b = auth.headers(Buffer.from('b'))['x-sig'];
  assert.notEqual(a, b);
  assert.equal(a, createHmac('sha256', 'k').update('a').digest('hex'));
});

test('auth: missing or empty env secret -> ZPA_ERR_CONFIG_INVALID naming the variable, not the value', () => {
  const cases: Array<[AuthConfig, NodeJS.ProcessEnv, string]> = [
    [{ type: 'shared-secret', header: 'x-s', secretEnv: 'ZPA_MISSING' }, {}, 'ZPA_MISSING'],
    [{ type: 'bearer', tokenEnv: 'ZPA_EMPTY' }, { ZPA_EMPTY: '\n' }, 'ZPA_EMPTY'],
    [{ type: 'basic', username: 'u', passwordEnv: 'ZPA_PW' }, {}, 'ZPA_PW'],
    [{ type: 'hmac', header: 'x-s', algorithm: 'sha256', encoding: 'hex' }, {}, 'secretEnv or secretFile'],
  ];
  for (const [cfg, env, named] of cases) {
    assert.throws(
      () => createAuth(cfg, env),
      (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') && err.message.includes(named),
      named,
    );
  }
  // A value that cannot go into a header is refused without being echoed.
  const leaky = 'top-secret\r\nInjected: yes';
  assert.throws(
    () => createAuth({ type: 'shared-secret', header: 'x-s', secretEnv: 'ZPA_BAD' }, { ZPA_BAD: leaky }),
    (err: unknown) =>
      isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') &&
      err.message.includes('ZPA_BAD') &&
      !err.message.includes('top-secret') &&
      !JSON.stringify(err.details).includes('top-secret'),
  );
  assert.throws(
    () => createAuth({ type: 'shared-secret', header: 'bad header', secretEnv: 'S' }, { S: 'x' }),
    (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'),
  );
  assert.throws(
    () => createAuth({ type: 'bearer', tokenEnv: 'A', tokenFile: '/x' }, { A: 'x' }),
    (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') && /only one/.test(err.message),
  );
});

test('auth: secret file is trimmed of its trailing newline, named on error, and reloadable', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zpa-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  writeFileSync(file, 'first-token\n');
  const auth = createAuth({ type: 'bearer', tokenFile: file });
  assert.deepEqual(auth.headers(Buffer.alloc(0)), { authorization: 'Bearer first-token' });

  writeFileSync(file, 'second-token\r\n');
  auth.reload?.();
  assert.deepEqual(auth.headers(Buffer.alloc(0)), { authorization: 'Bearer second-token' });
  assert.deepEqual([...auth.secrets].sort(), ['first-token', 'second-token'], 'old values stay redacted');

  writeFileSync(file, '');
  assert.throws(() => auth.reload?.(), (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') && err.message.includes(file));
  assert.deepEqual(auth.headers(Buffer.alloc(0)), { authorization: 'Bearer second-token' }, 'a failed reload keeps the old secret');

  const missing = join(dir, 'absent');
  assert.throws(
    () => createAuth({ type: 'bearer', tokenFile: missing }),
    (err: unknown) => isRelayError(err, 'ZPA_ERR_CONFIG_INVALID') && err.message.includes(missing) && err.message.includes('ENOENT'),
  );
});

test('auth: basic lists the password and the encoded credentials as secrets; redactSecrets hides them', () => {
  const auth = createAuth({ type: 'basic', username: 'relay', passwordEnv: 'P' }, { P: 'pw' });
  const header = auth.headers(Buffer.alloc(0)).authorization ?? '';
  const encoded = Buffer.from('relay:pw').toString('base64');
  assert.equal(header, `Basic ${encoded}`);
  assert.ok(auth.secrets.includes('pw') && auth.secrets.includes(encoded));
  assert.equal(redactSecrets(`sent ${header} with pw`, auth.secrets), 'sent Basic [redacted] with [redacted]');
  assert.throws(() => createAuth({ type: 'basic', username: 'a:b', passwordEnv: 'P' }, { P: 'x' }), (err: unknown) => isRelayError(err));
});
