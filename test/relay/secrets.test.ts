/**
 * Secrets (tokens, passwords, HMAC keys) never appear in logs, metrics, error messages, `config check`
 * output or dead-letter records: the relay runs against a stand-in that refuses it, and every output is
 * searched for the secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPantherStandin } from '../helpers/panther-standin.js';
import { spawnRelay, runBin, writeRelayConfig } from '../helpers/relay-process.js';
import { deadLetterText, sendAndClose, waitFor, metricValue } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';

const CASES = [
  { name: 'shared-secret from env', auth: { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'ZPA_T_SECRET' }, env: { ZPA_T_SECRET: 'Sh4redSecretValue-91' }, secret: 'Sh4redSecretValue-91' },
  { name: 'bearer from a file', auth: { type: 'bearer', tokenFile: 'TOKENFILE' }, env: {}, secret: 'B3arerTokenValue-77', file: 'B3arerTokenValue-77\n' },
  { name: 'basic from env', auth: { type: 'basic', username: 'zpa', passwordEnv: 'ZPA_T_PASS' }, env: { ZPA_T_PASS: 'Passw0rdValue-55' }, secret: 'Passw0rdValue-55', also: Buffer.from('zpa:Passw0rdValue-55').toString('base64') },
  { name: 'hmac from env', auth: { type: 'hmac', header: 'x-sig', secretEnv: 'ZPA_T_HMAC', algorithm: 'sha256', encoding: 'hex' }, env: { ZPA_T_HMAC: 'HmacKeyValue-33' }, secret: 'HmacKeyValue-33' },
];

for (const c of CASES) {
  test(`secrets never leak: ${c.name}`, async () => {
    // The stand-in demands a different secret: every request is refused with 401, so the relay logs
    // (at debug level), counts and dead-letters the refusal: every path a secret could leak through runs.
    const panther = await startPantherStandin({ auth: { type: 'bearer', token: 'something-else' } });
    const dir = mkdtempSync(join(tmpdir(), 'zpa-secrets-'));
    const auth: Record<string, unknown> = { ...c.auth };
    if (c.file) {
      const f = join(dir, 'token');
      writeFileSync(f, c.file);
      auth.tokenFile = f;
    }
    const cfgFile = writeRelayConfig(dir, {
        listeners: [{ name: 'ua', host: '127.0.0.1', port: 0, logType: 'Zscaler.ZPA.UserActivity' }],
        admin: { host: '127.0.0.1', port: 0 },
        output: { type: 'http', flushIntervalMs: 20, http: { url: panther.url, auth } },
        deadLetter: { path: join(dir, 'dl') },
        logLevel: 'debug',
      });
    const env = { ...process.env, ...c.env };
    const relay = await spawnRelay(['run', '--config', cfgFile], { env });
    const gen = new LssGenerator(3);
    await sendAndClose(relay.ports.ua, [gen.userActivity(), gen.userActivity()].join('\n') + '\n');
    const admin = `http://127.0.0.1:${relay.adminPort}`;
    await waitFor(async () => (await metricValue(admin, 'zpa_relay_dead_letter_records_total', { reason: 'sink_rejected' })) === 2, 'refused records dead-lettered');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
    const check = await runBin(['config', 'check', cfgFile], { env });
    assert.equal(check.code, 0, check.stderr);
    // Every file the relay wrote there: the store's (compressed frames, read through the frame reader) and
    // the unknown-field sample's (samples/).
    const dlFiles = (readdirSync(join(dir, 'dl'), { recursive: true }) as string[]).filter((f) => statSync(join(dir, 'dl', f)).isFile());
    const dl = dlFiles.map((f) => deadLetterText(join(dir, 'dl', f))).join('');
    assert.match(dl, /"status":401/);
    const everything = [JSON.stringify(relay.logs), relay.stderr(), metrics, check.stdout, check.stderr, dl].join('\n');
    for (const s of [c.secret, c.also].filter(Boolean) as string[]) {
      assert.ok(!everything.includes(s), `secret ${s.slice(0, 3)}... leaked`);
    }
    await panther.close();
  });
}
