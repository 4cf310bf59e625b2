/**
 * The S3 output against a real S3-compatible server (s3rver on 127.0.0.1): object content byte for byte
 * after decompression, key layout, rollover by size and by age, multipart uploads, an outage, permanent
 * errors (no such bucket, unknown access key), an aborted shutdown, and the bound on uploads in flight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decompress } from 'fzstd';
import type { S3OutputConfig } from '../../src/config/types.js';
import { createS3Client, type S3RequestReport } from '../../src/sink/s3-client.js';
import { classifyS3Error } from '../../src/sink/s3-errors.js';
import { objectKey } from '../../src/sink/s3-key.js';
import { S3Sink, type S3SinkOptions } from '../../src/sink/s3-sink.js';
import { S3Uploader } from '../../src/sink/s3-uploader.js';
import { loadZstd } from '../../src/sink/zstd-body.js';
import type { AcceptedChunk, OutRecord, SinkHooks } from '../../src/sink/sink.js';
import { gunzipLines, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { waitFor } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';

const BUCKET = 'zpa-logs';
const MiB = 1024 * 1024;
const UA = 'Zscaler.ZPA.UserActivity';
const AUDIT = 'Zscaler.ZPA.AuditLog';
const KEY_SHAPE = /^(?:(.+)\/)?(Zscaler\.ZPA\.\w+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json\.(gz|zst)$/;

function s3Config(server: S3TestServer, extra: Partial<S3OutputConfig> = {}): S3OutputConfig {
  return {
    bucket: BUCKET,
    region: 'us-east-1',
    prefix: '',
    endpoint: server.endpoint,
    forcePathStyle: true,
    objectMaxBytes: 8 * MiB,
    objectMaxAgeMs: 60_000,
    compression: 'gzip',
    compressionLevel: 1,
    multipartThresholdBytes: 5 * MiB,
    concurrency: 4,
    requestTimeoutMs: 5_000,
    retry: { initialBackoffMs: 20, maxBackoffMs: 200, maxRetries: 0 },
    ...extra,
  };
}

/** Records what the sink settles, as the relay's hooks would see it, and the bytes still held. */
class Settled implements SinkHooks {
  readonly deliveredBatches: OutRecord[][] = [];
  readonly refusedBatches: Array<{ records: readonly OutRecord[]; reason: string; status: number; message: string }> = [];
  heldBytes = 0;
  delivered(records: readonly OutRecord[], rawBytes: number): void {
    this.deliveredBatches.push([...records]);
    this.heldBytes -= rawBytes;
  }
  refused(records: readonly OutRecord[], reason: string, status: number, message: string, rawBytes: number): void {
    this.refusedBatches.push({ records: [...records], reason, status, message });
    this.heldBytes -= rawBytes;
  }
  get deliveredCount(): number {
    return this.deliveredBatches.reduce((n, r) => n + r.length, 0);
  }
}

/** An uploader that counts the uploads it runs at once. */
class CountingUploader extends S3Uploader {
  open = 0;
  maxOpen = 0;
  override async upload(...args: Parameters<S3Uploader['upload']>) {
    this.maxOpen = Math.max(this.maxOpen, ++this.open);
    try {
      return await super.upload(...args);
    } finally {
      this.open--;
    }
  }
}

function makeSink(server: S3TestServer, settled: Settled, cfg: S3OutputConfig, env: NodeJS.ProcessEnv, extra: Partial<S3SinkOptions> = {}, reports: S3RequestReport[] = [], retries: number[] = []) {
  const client = createS3Client(cfg, env, (r) => reports.push(r));
  const uploader = new CountingUploader({ client, bucket: cfg.bucket, partSize: cfg.multipartThresholdBytes, retry: cfg.retry, onRetry: (r) => retries.push(r.status) });
  const sink = new S3Sink(
    {
      uploader,
      prefix: cfg.prefix,
      compression: cfg.compression,
      compressionLevel: cfg.compressionLevel,
      objectMaxBytes: cfg.objectMaxBytes,
      objectMaxAgeMs: cfg.objectMaxAgeMs,
      maxOpenBytes: 64 * MiB,
      concurrency: cfg.concurrency,
      ...extra,
    },
    settled,
  );
  return { sink, uploader };
}

const S3RVER = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/** One worker batch of `lines` (all of `logType`), as the relay hands it to a sink. */
function chunk(lines: readonly string[], logType: string, settled?: Settled): AcceptedChunk {
  const parts = lines.map((l) => Buffer.from(l + '\n', 'utf8'));
  const data = Buffer.concat(parts);
  const ends = new Uint32Array(lines.length);
  let at = 0;
  parts.forEach((p, i) => (ends[i] = at += p.length));
  if (settled) settled.heldBytes += data.length;
  return { listener: 'test', data, ends, typeIndex: new Uint8Array(lines.length), eventTimes: new Float64Array(lines.length).fill(Date.now()), typeNames: [logType] };
}

test('objectKey: prefix/logType/yyyy/mm/dd/HH/uuid.ext in UTC, no leading slash without a prefix', () => {
  const at = new Date(Date.UTC(2024, 0, 2, 3, 59, 59));
  assert.equal(objectKey('', UA, at, '.json.gz', 'id'), `${UA}/2024/01/02/03/id.json.gz`);
  assert.equal(objectKey('/zpa/', UA, at, '.json.gz', 'id'), `zpa/${UA}/2024/01/02/03/id.json.gz`);
  assert.equal(objectKey('a/b', AUDIT, at, '.json.zst', 'id'), `a/b/${AUDIT}/2024/01/02/03/id.json.zst`);
  assert.match(objectKey('p', UA, at, '.json.gz'), KEY_SHAPE);
});

test('classifyS3Error: permanent 4xx refuse; throttling, 5xx, transient codes and network errors retry', () => {
  const s3 = (Code: string, httpStatusCode: number) => Object.assign(new Error(Code), { name: Code, Code, $metadata: { httpStatusCode } });
  assert.deepEqual(classifyS3Error(s3('NoSuchBucket', 404)), { verdict: 'reject', status: 404, code: 'NoSuchBucket' });
  assert.equal(classifyS3Error(s3('AccessDenied', 403)).verdict, 'reject');
  assert.equal(classifyS3Error(s3('InvalidAccessKeyId', 403)).verdict, 'reject');
  assert.equal(classifyS3Error(s3('SlowDown', 503)).verdict, 'retry');
  assert.equal(classifyS3Error(s3('InternalError', 500)).verdict, 'retry');
  assert.equal(classifyS3Error(s3('InternalError', 200)).verdict, 'retry');
  assert.equal(classifyS3Error(s3('RequestTimeout', 400)).verdict, 'retry');
  assert.equal(classifyS3Error(s3('ExpiredToken', 400)).verdict, 'retry');
  assert.equal(classifyS3Error(s3('Whatever', 429)).verdict, 'retry');
  assert.deepEqual(classifyS3Error(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), { verdict: 'retry', status: 0, code: 'ECONNREFUSED' });
  assert.equal(classifyS3Error(Object.assign(new Error('no creds'), { name: 'CredentialsProviderError' })).verdict, 'retry');
});

test('objects hold the records byte for byte (gzip JSON lines), one stream per log type, keys in the layout', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const fixed = Date.UTC(2023, 10, 5, 22, 30, 0);
  const reports: S3RequestReport[] = [];
  const { sink } = makeSink(server, settled, s3Config(server, { prefix: '/zpa/relay/' }), S3RVER, { now: () => fixed }, reports);
  try {
    const gen = new LssGenerator(21);
    const ua = Array.from({ length: 300 }, () => gen.userActivity());
    const audit = Array.from({ length: 100 }, () => gen.audit());
    sink.write(chunk(ua.slice(0, 150), UA, settled));
    sink.write(chunk(audit, AUDIT, settled));
    sink.write(chunk(ua.slice(150), UA, settled));
    await sink.flush();
    assert.equal(settled.refusedBatches.length, 0);
    assert.equal(settled.deliveredCount, 400);
    assert.equal(settled.heldBytes, 0, 'every held byte released');
    const objects = await server.objects(BUCKET);
    assert.equal(objects.length, 2);
    for (const o of objects) {
      const m = KEY_SHAPE.exec(o.key);
      assert.ok(m, o.key);
      assert.deepEqual(m.slice(1, 7), ['zpa/relay', m[2], '2023', '11', '05', '22']);
      assert.equal(m[7], 'gz');
      assert.equal(o.contentType, 'application/gzip');
      assert.deepEqual(gunzipLines(o.body), m[2] === UA ? ua : audit, 'records in order, byte for byte');
    }
    assert.ok(gunzipLines(objects.find((o) => o.key.includes(AUDIT))!.body).some((l) => /"ObjectID":\d{17,18}\b/.test(l)), 'big integers untouched');
    const puts = reports.filter((r) => r.status === 200 && r.bodyBytes > 0);
    assert.equal(puts.length, 2, 'one PutObject per object');
    assert.equal(puts.reduce((n, r) => n + r.bodyBytes, 0), objects.reduce((n, o) => n + o.body.length, 0), 'reported body bytes = object bytes');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('rollover by size: objects close at objectMaxBytes raw and together hold every record once, in order', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const { sink } = makeSink(server, settled, s3Config(server, { objectMaxBytes: 20_000 }), S3RVER);
  try {
    const gen = new LssGenerator(5);
    const lines = Array.from({ length: 400 }, () => gen.userStatus());
    for (let i = 0; i < lines.length; i += 40) sink.write(chunk(lines.slice(i, i + 40), 'Zscaler.ZPA.UserStatus', settled));
    await sink.flush();
    const objects = await server.objects(BUCKET);
    const raw = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    assert.ok(objects.length >= Math.floor(raw / 20_000), `${objects.length} objects for ${raw} bytes`);
    const maxLine = Math.max(...lines.map((l) => Buffer.byteLength(l) + 1));
    const bodies = settled.deliveredBatches.map((recs) => recs.map((r) => r.bytes.toString('utf8')));
    for (const b of bodies) assert.ok(b.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) < 20_000 + maxLine, 'an object stops at the record that reaches the limit');
    const byKey = new Map(objects.map((o) => [o.key, gunzipLines(o.body)]));
    assert.deepEqual([...byKey.values()].flat().sort(), [...lines].sort(), 'every record exactly once');
    const inOrder = [...bodies].sort((a, b) => lines.indexOf(a[0]) - lines.indexOf(b[0]));
    assert.deepEqual(inOrder.flat(), lines, 'each object holds a contiguous run of the records, in order');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('rollover by age: an object is uploaded objectMaxAgeMs after its first record, without a flush', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const { sink } = makeSink(server, settled, s3Config(server, { objectMaxAgeMs: 150 }), S3RVER);
  try {
    const gen = new LssGenerator(6);
    const first = Array.from({ length: 10 }, () => gen.connectorStatus());
    const started = Date.now();
    sink.write(chunk(first, 'Zscaler.ZPA.AppConnectorStatus', settled));
    await waitFor(() => settled.deliveredCount === 10, 'first object', 5_000);
    const took = Date.now() - started;
    assert.ok(took >= 140 && took < 2_000, `uploaded after ${took} ms`);
    const second = Array.from({ length: 5 }, () => gen.connectorStatus());
    sink.write(chunk(second, 'Zscaler.ZPA.AppConnectorStatus', settled));
    await waitFor(() => settled.deliveredCount === 15, 'second object', 5_000);
    const objects = await server.objects(BUCKET);
    assert.equal(objects.length, 2);
    assert.deepEqual(objects.map((o) => gunzipLines(o.body)).sort((a, b) => b.length - a.length), [first, second]);
  } finally {
    await sink.close();
    await server.close();
  }
});

test('an object above multipartThresholdBytes goes up as a multipart upload and reads back whole', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const { sink } = makeSink(server, settled, s3Config(server, { objectMaxBytes: 64 * MiB, multipartThresholdBytes: 5 * MiB }), S3RVER);
  try {
    // Base64 of random bytes compresses to about 76%: 9 MiB raw makes a gzip object of ~7 MiB, two parts.
    const lines = Array.from({ length: 144 }, (_, i) => JSON.stringify({ i, Blob: randomBytes(48 * 1024).toString('base64') }));
    for (let i = 0; i < lines.length; i += 16) sink.write(chunk(lines.slice(i, i + 16), AUDIT, settled));
    const small = ['{"small":true}'];
    sink.write(chunk(small, UA, settled));
    await sink.flush();
    assert.equal(settled.refusedBatches.length, 0);
    const objects = await server.objects(BUCKET);
    const big = objects.find((o) => o.key.includes(AUDIT))!;
    assert.ok(big.body.length > 5 * MiB, `object of ${big.body.length} bytes`);
    assert.deepEqual(gunzipLines(big.body), lines);
    const bigPath = `/${BUCKET}/${encodeURI(big.key)}`;
    assert.ok(server.requests.some((r) => r.startsWith(`POST ${bigPath}?uploads`)), `CreateMultipartUpload in ${server.requests.map((r) => r.slice(0, 120)).join(', ')}`);
    const parts = server.requests.filter((r) => r.startsWith(`PUT ${bigPath}?`) && /partNumber=\d/.test(r));
    assert.equal(parts.length, Math.ceil(big.body.length / (5 * MiB)), 'one UploadPart per 5 MiB');
    assert.ok(server.events.includes(`ObjectCreated:Post ${big.key}`), 'completed as a multipart upload');
    const smallKey = objects.find((o) => o.key.includes(UA))!.key;
    assert.ok(server.events.includes(`ObjectCreated:Put ${smallKey}`), 'a small object is one PutObject');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('zstd objects (.json.zst) decode to the records byte for byte', async () => {
  assert.ok(loadZstd(), 'zstd-napi loads on this machine');
  const server = await startS3Server();
  const settled = new Settled();
  const { sink } = makeSink(server, settled, s3Config(server, { compression: 'zstd', compressionLevel: 3 }), S3RVER);
  try {
    const gen = new LssGenerator(8);
    const lines = Array.from({ length: 200 }, () => gen.connectorMetrics());
    sink.write(chunk(lines, 'Zscaler.ZPA.AppConnectorMetrics', settled));
    await sink.flush();
    const [o] = await server.objects(BUCKET);
    assert.match(o.key, /\.json\.zst$/);
    assert.equal(o.contentType, 'application/zstd');
    assert.equal(Buffer.from(decompress(o.body)).toString('utf8'), lines.join('\n') + '\n');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('an outage: uploads retry under the same key until the server is back, then every record arrives once', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const retries: number[] = [];
  const reports: S3RequestReport[] = [];
  const { sink } = makeSink(server, settled, s3Config(server, { objectMaxBytes: 30_000 }), S3RVER, {}, reports, retries);
  try {
    await server.stop();
    const gen = new LssGenerator(9);
    const lines = Array.from({ length: 300 }, () => gen.userActivity());
    for (let i = 0; i < lines.length; i += 50) sink.write(chunk(lines.slice(i, i + 50), UA, settled));
    const flushed = sink.flush();
    await waitFor(() => retries.length >= 8, 'retries during the outage', 10_000);
    assert.equal(settled.deliveredCount, 0);
    assert.equal(settled.refusedBatches.length, 0, 'nothing given up during an outage');
    assert.ok(retries.every((s) => s === 0), 'network errors (no status)');
    assert.ok(reports.length >= retries.length && reports.every((r) => r.status === 0 && r.error === 'ECONNREFUSED'), 'each wire attempt reported as status 0');
    await server.start();
    await flushed;
    assert.equal(settled.refusedBatches.length, 0);
    assert.equal(settled.deliveredCount, 300);
    const objects = await server.objects(BUCKET);
    assert.equal(objects.length, settled.deliveredBatches.length, 'one object per sealed object: no duplicates');
    const putKeys = server.requests.filter((r) => r.startsWith('PUT ')).map((r) => r.split('?')[0]);
    assert.equal(new Set(putKeys).size, objects.length, 'every upload went to the key its object was given');
    assert.deepEqual(objects.flatMap((o) => gunzipLines(o.body)).sort(), [...lines].sort());
  } finally {
    await sink.close();
    await server.close();
  }
});

test('a bucket that does not exist: records refused as sink_rejected with status 404, not retried', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const retries: number[] = [];
  const reports: S3RequestReport[] = [];
  const { sink } = makeSink(server, settled, s3Config(server, { bucket: 'no-such-bucket' }), S3RVER, {}, reports, retries);
  try {
    const lines = ['{"a":1}', '{"b":2}'];
    sink.write(chunk(lines, UA, settled));
    await sink.flush();
    assert.equal(settled.deliveredCount, 0);
    assert.equal(settled.refusedBatches.length, 1);
    const r = settled.refusedBatches[0];
    assert.equal(r.reason, 'sink_rejected');
    assert.equal(r.status, 404);
    assert.match(r.message, /NoSuchBucket/);
    assert.deepEqual(r.records.map((x) => x.bytes.toString()), lines);
    assert.equal(settled.heldBytes, 0);
    assert.deepEqual(retries, []);
    assert.deepEqual(reports.map((r) => r.status), [404], 'one request, reported with its status');
  } finally {
    await sink.close();
    await server.close();
  }
});

test('unknown credentials: refused with 403 (InvalidAccessKeyId)', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const { sink } = makeSink(server, settled, s3Config(server), { AWS_ACCESS_KEY_ID: 'NOT-A-KEY', AWS_SECRET_ACCESS_KEY: 'x' });
  try {
    sink.write(chunk(['{"a":1}'], UA, settled));
    await sink.flush();
    assert.equal(settled.refusedBatches.length, 1);
    assert.equal(settled.refusedBatches[0].status, 403);
    assert.match(settled.refusedBatches[0].message, /InvalidAccessKeyId/);
    assert.equal((await server.objects(BUCKET)).length, 0);
  } finally {
    await sink.close();
    await server.close();
  }
});

test('close({abort}) during an outage settles every held record as undelivered, promptly', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const retries: number[] = [];
  const { sink } = makeSink(server, settled, s3Config(server, { objectMaxBytes: 2_000, concurrency: 2 }), S3RVER, {}, [], retries);
  try {
    await server.stop();
    const gen = new LssGenerator(10);
    const lines = Array.from({ length: 60 }, () => gen.userStatus());
    sink.write(chunk(lines, 'Zscaler.ZPA.UserStatus', settled));
    await waitFor(() => retries.length >= 2, 'retrying', 10_000);
    const started = Date.now();
    await sink.close({ abort: true });
    assert.ok(Date.now() - started < 2_000);
    assert.equal(settled.deliveredCount, 0);
    assert.ok(settled.refusedBatches.every((r) => r.reason === 'undelivered'));
    assert.deepEqual(settled.refusedBatches.flatMap((r) => r.records.map((x) => x.bytes.toString())).sort(), [...lines].sort());
    assert.equal(settled.heldBytes, 0);
    sink.write(chunk(['{"late":1}'], UA, settled));
    assert.equal(settled.refusedBatches.at(-1)!.reason, 'undelivered', 'a write after close is refused, not held');
  } finally {
    await server.close();
  }
});

test('at most `concurrency` uploads are in flight, and unfilled objects past maxOpenBytes are cut, largest first', async () => {
  const server = await startS3Server();
  const settled = new Settled();
  const { sink, uploader } = makeSink(server, settled, s3Config(server, { objectMaxBytes: 1_000, concurrency: 2 }), S3RVER);
  try {
    const gen = new LssGenerator(12);
    const lines = Array.from({ length: 200 }, () => gen.userStatus());
    for (let i = 0; i < lines.length; i += 20) sink.write(chunk(lines.slice(i, i + 20), 'Zscaler.ZPA.UserStatus', settled));
    await sink.flush();
    assert.ok(settled.deliveredBatches.length >= 10, `${settled.deliveredBatches.length} objects`);
    assert.equal(uploader.maxOpen, 2, 'uploads overlap up to the bound and never beyond');
    assert.equal(settled.deliveredCount, 200);
  } finally {
    await sink.close();
    await server.close();
  }
  // maxOpenBytes: two log types, each below objectMaxBytes, together above the bound -> the larger is cut.
  const server2 = await startS3Server();
  const settled2 = new Settled();
  const { sink: sink2 } = makeSink(server2, settled2, s3Config(server2, { objectMaxBytes: MiB }), S3RVER, { maxOpenBytes: 3_000 });
  try {
    sink2.write(chunk(['{"x":"' + 'a'.repeat(1_800) + '"}'], UA, settled2));
    sink2.write(chunk(['{"y":"' + 'b'.repeat(1_300) + '"}'], AUDIT, settled2));
    await waitFor(() => settled2.deliveredCount === 1, 'the larger open object is cut', 5_000);
    assert.equal(settled2.deliveredBatches[0][0].logType, UA);
    await sink2.flush();
    assert.equal(settled2.deliveredCount, 2);
  } finally {
    await sink2.close();
    await server2.close();
  }
});
