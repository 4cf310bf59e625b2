/**
 * The relay end to end with `output.type: s3`: App Connector-like TCP clients -> real relay (listeners,
 * worker threads, spool, S3 output) -> s3rver on 127.0.0.1, read back through the S3 API and gunzipped.
 * Credentials reach the SDK only through the env passed to the relay (the test process has none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load-config.js';
import { isRelayError } from '../../src/errors.js';
import { startRelay, sendAndClose, waitFor, metricValue, sumMetric, type Harness, readDeadLetters, LISTENER_OF } from '../helpers/relay-harness.js';
import { gunzipLines, startS3Server, S3RVER_ENV, type S3TestServer } from '../helpers/s3-server.js';
import { LssGenerator, LOG_TYPES } from '../../bench/lss/generate.js';

const BUCKET = 'zpa-logs';
const KEY = /^zpa\/(Zscaler\.ZPA\.\w+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[0-9a-f-]{36}\.json\.gz$/;

/** The environment the relay gets: no AWS settings of the test process, s3rver's keys. */
function relayEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, ...S3RVER_ENV, ...extra };
}

function s3Output(server: S3TestServer, extra: Record<string, unknown> = {}) {
  return {
    type: 's3',
    s3: { bucket: BUCKET, region: 'us-east-1', prefix: 'zpa', endpoint: server.endpoint, forcePathStyle: true, retry: { initialBackoffMs: 20, maxBackoffMs: 200 }, ...extra },
  };
}

const deadLetters = (dir: string) => readDeadLetters(join(dir, 'dead-letter'));

/** `yyyy/mm/dd/HH` of a time, in UTC. */
function utcHour(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/-/g, '/').replace('T', '/');
}

async function metricsText(h: Harness): Promise<string> {
  return h.relay.metrics.registry.metrics();
}

test('all five log types land in S3 byte for byte under <prefix>/<logType>/yyyy/mm/dd/HH/, delivered by the drain (stop)', async () => {
  const started = Date.now();
  const server = await startS3Server();
  // objectMaxAgeMs is the default (60 s): nothing is uploaded before stop(), so the drain must deliver it all.
  const h = await startRelay({ output: s3Output(server) }, relayEnv());
  let stopped = false;
  try {
    const gen = new LssGenerator(31);
    const sent = new Map<string, string[]>();
    await Promise.all(
      LOG_TYPES.map((lt) => {
        const lines = Array.from({ length: 200 }, () => gen.record(lt));
        sent.set(lt, lines);
        return sendAndClose(h.port(LISTENER_OF[lt]), lines.join('\n') + '\n');
      }),
    );
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_received_total')) === 1000, 'records checked');
    assert.equal((await server.objects(BUCKET)).length, 0, 'objects wait for their age or size');
    await h.stop();
    stopped = true;
    // The key's time is the UTC hour the object was opened: between the start of the test and now.
    const hours = new Set([utcHour(started), utcHour(Date.now())]);
    const objects = await server.objects(BUCKET);
    const byType = new Map<string, string[]>();
    for (const o of objects) {
      const m = KEY.exec(o.key);
      assert.ok(m, `key layout: ${o.key}`);
      assert.ok(hours.has(m.slice(2, 6).join('/')), `${m.slice(2, 6).join('/')} in ${[...hours].join(', ')}`);
      byType.set(m[1], [...(byType.get(m[1]) ?? []), ...gunzipLines(o.body)]);
    }
    assert.equal(objects.length, 5, 'one object per log type');
    for (const lt of LOG_TYPES) assert.deepEqual(byType.get(lt)!.sort(), [...sent.get(lt)!].sort(), `${lt} byte for byte`);
    assert.ok(byType.get('Zscaler.ZPA.AuditLog')!.some((l) => /"ObjectID":2161996181\d{8}/.test(l)), '18-digit ids exactly as sent');
    const text = await metricsText(h);
    assert.equal(sumMetric(text, 'zpa_relay_records_delivered_total', { output: 's3' }), 1000);
    assert.equal(sumMetric(text, 'zpa_relay_requests_total', { output: 's3', status: '200' }), 5);
    assert.equal(sumMetric(text, 'zpa_relay_sent_bytes_total', { output: 's3' }), objects.reduce((n, o) => n + o.body.length, 0), 'sent bytes = object bytes');
    assert.equal(sumMetric(text, 'zpa_relay_request_duration_seconds_count', { output: 's3' }), 5);
    assert.equal(sumMetric(text, 'zpa_relay_buffered_bytes'), 0);
    assert.equal(h.relay.heldBytes, 0, 'every byte settled');
  } finally {
    if (!stopped) await h.stop();
    await server.close();
  }
});

test('an S3 outage: records wait (spooled), uploads retry, and after the server is back every record arrives once', async () => {
  const server = await startS3Server();
  const h = await startRelay({ output: s3Output(server, { objectMaxAgeMs: 200, objectMaxBytes: 64 * 1024 }), spool: { path: mkdtempSync(join(tmpdir(), 'zpa-s3-spool-')), syncIntervalMs: 10 } }, relayEnv());
  try {
    await server.stop();
    const gen = new LssGenerator(32);
    const lines = Array.from({ length: 600 }, () => gen.userActivity());
    await sendAndClose(h.port('ua'), lines.join('\n') + '\n');
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_retries_total', { output: 's3' })) >= 5, 'retries during the outage', 10_000);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total'), 0);
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_spool_bytes')) > 0, 'undelivered records stay in the spool');
    assert.ok((await metricValue(h.adminUrl, 'zpa_relay_requests_total', { output: 's3', status: '0' })) >= 5, 'failed attempts counted with status 0');
    await server.start();
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_records_delivered_total', { output: 's3' })) === 600, 'delivery after the outage', 15_000);
    const objects = await server.objects(BUCKET);
    assert.deepEqual(objects.flatMap((o) => gunzipLines(o.body)).sort(), [...lines].sort(), 'zero loss, no duplicates');
    await waitFor(async () => (await metricValue(h.adminUrl, 'zpa_relay_spool_bytes')) === 0, 'spool acknowledged once S3 confirmed', 5_000);
    assert.equal(deadLetters(h.dir).length, 0);
  } finally {
    await h.stop();
    await server.close();
  }
});

test('a bucket that does not exist: the records are dead-lettered with reason sink_rejected and status 404', async () => {
  const server = await startS3Server();
  const h = await startRelay({ output: s3Output(server, { bucket: 'no-such-bucket', objectMaxAgeMs: 50 }) }, relayEnv());
  try {
    const gen = new LssGenerator(33);
    const lines = Array.from({ length: 30 }, () => gen.userStatus());
    await sendAndClose(h.port('us'), lines.join('\n') + '\n');
    await waitFor(() => deadLetters(h.dir).length === 30, 'dead letters', 10_000);
    const dl = deadLetters(h.dir);
    assert.ok(dl.every((d) => d.reason === 'sink_rejected' && d.status === 404 && /NoSuchBucket/.test(String(d.message))));
    assert.deepEqual(dl.map((d) => d.line).sort(), [...lines].sort());
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_sink_rejected_batches_total', { output: 's3', status: '404' }), 1);
    assert.equal(await metricValue(h.adminUrl, 'zpa_relay_retries_total', { output: 's3' }), 0, 'a permanent error is not retried');
  } finally {
    await h.stop();
    await server.close();
  }
});

test('wrong credentials (from the env given to the relay): dead-lettered with status 403', async () => {
  const server = await startS3Server();
  const h = await startRelay({ output: s3Output(server, { objectMaxAgeMs: 50 }) }, relayEnv({ AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG0', AWS_SECRET_ACCESS_KEY: 'wrong' }));
  try {
    const gen = new LssGenerator(34);
    const lines = Array.from({ length: 10 }, () => gen.connectorStatus());
    await sendAndClose(h.port('acs'), lines.join('\n') + '\n');
    await waitFor(() => deadLetters(h.dir).length === 10, 'dead letters', 10_000);
    const dl = deadLetters(h.dir);
    assert.ok(dl.every((d) => d.reason === 'sink_rejected' && d.status === 403 && /InvalidAccessKeyId/.test(String(d.message))));
    assert.equal((await server.objects(BUCKET)).length, 0);
    assert.ok(!JSON.stringify(dl).includes('wrong"'), 'the secret is not in the dead letters');
  } finally {
    await h.stop();
    await server.close();
  }
});

test('config: output.type s3 needs output.s3.bucket, and a region from the config or the environment', () => {
  const base = { listeners: [{ name: 'a', port: 0 }] };
  const problems = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
    try {
      validateConfig(raw, { env });
      return [];
    } catch (err) {
      assert.ok(isRelayError(err, 'ZPA_ERR_CONFIG_INVALID'));
      return [...err.details];
    }
  };
  assert.ok(problems({ ...base, output: { type: 's3' } }).some((p) => p.startsWith('output.s3:')));
  assert.ok(problems({ ...base, output: { type: 's3', s3: {} } }).some((p) => p.includes('bucket')));
  assert.ok(problems({ ...base, output: { type: 's3', s3: { bucket: 'b-1' } } }).some((p) => p.startsWith('output.s3.region:')));
  assert.deepEqual(problems({ ...base, output: { type: 's3', s3: { bucket: 'b-1' } } }, { AWS_REGION: 'eu-west-1' }), []);
  assert.ok(problems({ ...base, output: { type: 's3', s3: { bucket: 'b-1', region: 'us-east-1', compressionLevel: 12 } } }).some((p) => p.startsWith('output.s3.compressionLevel:')));
  const cfg = validateConfig({ ...base, output: { type: 's3', s3: { bucket: 'b-1', region: 'us-east-1' } } }, { env: {} });
  assert.deepEqual(
    { ...cfg.output.s3, retry: undefined },
    { bucket: 'b-1', region: 'us-east-1', prefix: '', endpoint: '', forcePathStyle: false, objectMaxBytes: 8 * 1024 * 1024, objectMaxAgeMs: 60_000, compression: 'gzip', compressionLevel: 1, multipartThresholdBytes: 8 * 1024 * 1024, concurrency: 4, requestTimeoutMs: 30_000, retry: undefined },
  );
});
