/**
 * The AWS SDK is loaded only by a relay whose output is S3: it adds about 24 MB to the process, and a pod
 * sending over HTTP is sized for 300 MB. Each case runs in a fresh Node process (a module, once loaded,
 * stays loaded), builds the output through createSink and reports which modules the process then holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

function loadedAfterCreating(output: Record<string, unknown>): { awsSdk: boolean; kind: string } {
  const script = `
    import { createRequire } from 'node:module';
    import { validateConfig } from ${JSON.stringify(dist('config/load-config.js'))};
    import { createSink } from ${JSON.stringify(dist('sink/create-sink.js'))};
    import { RelayMetrics } from ${JSON.stringify(dist('metrics/metrics.js'))};
    import { createLogger } from ${JSON.stringify(dist('log.js'))};
    const cfg = validateConfig({ listeners: [{ name: 'ua', port: 0, logType: 'Zscaler.ZPA.UserActivity' }], output: ${JSON.stringify(output)} }, { env: {} });
    const hooks = { delivered() {}, refused() {} };
    const sink = await createSink(cfg, hooks, new RelayMetrics({ defaultMetrics: false }), createLogger('silent'), {});
    const awsSdk = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/@aws-sdk/'));
    await sink.close({ abort: true });
    console.log(JSON.stringify({ awsSdk, kind: sink.kind }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { awsSdk: boolean; kind: string };
}

test('an HTTP output does not load the AWS SDK', () => {
  assert.deepEqual(loadedAfterCreating({ type: 'http', http: { url: 'http://127.0.0.1:9/x', auth: { type: 'none' } } }), { awsSdk: false, kind: 'http' });
});

test('an S3 output loads it when it is built', () => {
  // Proves the check above can see the SDK: the same probe, the other output.
  assert.deepEqual(loadedAfterCreating({ type: 's3', s3: { bucket: 'b-1', region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true } }), { awsSdk: true, kind: 's3' });
});
