/**
 * Builds the S3 client of the S3 output and reports every HTTP request it makes (each SDK retry, each
 * multipart part) to the request metrics through `onRequest`.
 *
 * Credentials come from the SDK's default provider chain (environment, web identity token for IRSA on
 * Kubernetes, shared config, container and instance metadata), so nothing secret is in our config. The one
 * exception is for an embedding that passes its own environment (the relay's `env` option): keys found there
 * are used as static credentials, which is what the chain's first link would do with process.env.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3OutputConfig } from '../config/types.js';
import { errorCode } from './retry-policy.js';

/** One HTTP request to S3 as seen on the wire. */
export interface S3RequestReport {
  /** HTTP status, 0 when no response arrived (connection refused, reset, timeout). */
  status: number;
  durationSeconds: number;
  /** Request body bytes (object data for PutObject/UploadPart). */
  bodyBytes: number;
  /** The Node/SDK error code when no response arrived. */
  error?: string;
}

/** The region to use: the configured one, else the environment's. */
export function resolveRegion(cfg: Pick<S3OutputConfig, 'region'>, env: NodeJS.ProcessEnv): string | undefined {
  return cfg.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/** A client for `cfg`, with its requests reported to `onRequest`. */
export function createS3Client(cfg: S3OutputConfig, env: NodeJS.ProcessEnv, onRequest?: (r: S3RequestReport) => void): S3Client {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const fromEnv = env !== process.env && accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined;
  const client = new S3Client({
    region: resolveRegion(cfg, env),
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    forcePathStyle: cfg.forcePathStyle,
    ...(fromEnv ? { credentials: fromEnv } : {}),
    // requestTimeout is an idle timeout on the socket: a stalled upload is abandoned and retried, while a
    // large part that keeps moving is not cut off.
    requestHandler: { requestTimeout: cfg.requestTimeoutMs, connectionTimeout: Math.min(cfg.requestTimeoutMs, 10_000) },
  });
  if (onRequest) {
    // Added at the deserialize step with low priority, this runs innermost, once per wire attempt (after the
    // SDK's retry and signing middleware), and sees the raw response before the deserializer turns an error
    // status into an exception.
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: unknown };
        const length = Number(req.headers?.['content-length'] ?? req.headers?.['Content-Length']);
        const bodyBytes = Number.isFinite(length) ? length : req.body instanceof Uint8Array ? req.body.byteLength : 0;
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const result = await next(args);
          const status = (result.response as { statusCode?: number }).statusCode ?? 0;
          onRequest({ status, durationSeconds: seconds(), bodyBytes });
          return result;
        } catch (err) {
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
          onRequest({ status, durationSeconds: seconds(), bodyBytes, ...(status === 0 ? { error: errorCode(err) } : {}) });
          throw err;
        }
      },
      { step: 'deserialize', priority: 'low', name: 'zpaRelayRequestTelemetry' },
    );
  }
  return client;
}
