/**
 * A real S3-compatible server for tests: s3rver (npm, devDependency) on 127.0.0.1, storing objects in a
 * temporary directory, checking SigV4 signatures against its built-in account (S3RVER / S3RVER). The helper
 * records every request line and every object-created event, so tests can see whether an object went up as
 * one PutObject or as a multipart upload, and can stop the server and start it again on the same port and
 * directory to play an outage.
 */
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import type { Server, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (e: { Records: Array<{ eventName: string; s3: { object: { key: string } } }> }) => void): void;
  httpServer: Server;
}
type S3rverClass = new (opts: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

/** The credentials s3rver accepts. */
export const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

export interface StoredObject {
  key: string;
  body: Buffer;
  etag: string;
  contentType: string | undefined;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`, for output.s3.endpoint (with forcePathStyle). */
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  /** `METHOD path?query` of every request received, in order. */
  readonly requests: string[];
  /** `eventName key` of every object created (`ObjectCreated:Put` for PutObject, `ObjectCreated:Post` for a completed multipart upload). */
  readonly events: string[];
  /** A client with s3rver's credentials, for reading back. */
  readonly client: S3Client;
  /** Every object of `bucket` (path-style, read back through the S3 API), sorted by key. */
  objects(bucket: string): Promise<StoredObject[]>;
  /** Stops answering: every open connection is cut. */
  stop(): Promise<void>;
  /** Starts again on the same port and directory (the buckets and objects are kept). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Starts s3rver with `buckets` created. */
export async function startS3Server(buckets: readonly string[] = ['zpa-logs']): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'zpa-relay-s3rver-'));
  const requests: string[] = [];
  const events: string[] = [];
  let port = 0;
  let server: S3rverInstance | null = null;
  const launch = async (configure: boolean) => {
    const s = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      configureBuckets: configure ? buckets.map((name) => ({ name })) : [],
    });
    s.on('event', (e) => {
      for (const r of e.Records) events.push(`${r.eventName} ${decodeURIComponent(r.s3.object.key)}`);
    });
    const addr = await s.run();
    port = addr.port;
    s.httpServer.prependListener('request', (req: IncomingMessage) => requests.push(`${req.method} ${req.url}`));
    server = s;
  };
  await launch(true);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const stop = async () => {
    const s = server;
    if (!s) return;
    server = null;
    s.httpServer.closeAllConnections();
    await s.close();
  };
  return {
    endpoint,
    get port() {
      return port;
    },
    directory,
    requests,
    events,
    client,
    async objects(bucket: string) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.NextContinuationToken;
      } while (token);
      keys.sort();
      return Promise.all(
        keys.map(async (key) => {
          const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          const body = Buffer.from(await res.Body!.transformToByteArray());
          return { key, body, etag: res.ETag ?? '', contentType: res.ContentType };
        }),
      );
    },
    stop,
    start: () => launch(false),
    async close() {
      await stop();
      client.destroy();
    },
  };
}

/** The JSON lines of a gzip'd object, each without its '\n' (the object must end in '\n'). */
export function gunzipLines(body: Buffer): string[] {
  const text = gunzipSync(body).toString('utf8');
  if (!text.endsWith('\n')) throw new Error('object does not end with a newline');
  return text.slice(0, -1).split('\n');
}
