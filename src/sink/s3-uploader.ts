/**
 * Puts one finished object into the bucket, retrying until S3 confirms it, refuses it for good, or the
 * output is aborted. Every attempt uses the same key, so a retry overwrites rather than adds: however often
 * an upload is tried, the bucket ends up with at most one object per key.
 *
 * lib-storage's Upload sends an object up to `partSize` as one PutObject and a larger one as a multipart
 * upload in parts of `partSize`; when a multipart attempt fails it aborts the upload (leavePartsOnError
 * false), so no parts are left behind to be billed. The SDK's own retries (3 attempts, standard mode) run
 * inside each of our attempts; ours add the unbounded, slower backoff an outage needs.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { backoffDelayMs, type RetryOptions } from './retry-policy.js';
import { classifyS3Error } from './s3-errors.js';

/** The bucket, multipart part size, backoff and retry callback of an uploader. */
export interface S3UploaderOptions {
  client: S3Client;
  bucket: string;
  /** Objects above this many bytes go as multipart uploads in parts of this size (at least 5 MiB). */
  partSize: number;
  retry: RetryOptions;
  /** Called before each backoff wait. */
  onRetry?: (r: { attempt: number; delayMs: number; status: number; error: string }) => void;
}

/** How an upload ended. */
export type UploadOutcome =
  | { status: 'delivered'; attempts: number }
  | { status: 'rejected'; httpStatus: number; attempts: number; message: string }
  | { status: 'aborted'; httpStatus: number; attempts: number };

/** Parts of one multipart upload sent at once; the sink's concurrency bounds the objects. */
const PARTS_IN_FLIGHT = 4;

/** Uploads whole objects with retries under a fixed key (see the file comment). */
export class S3Uploader {
  constructor(private readonly opts: S3UploaderOptions) {}

  /** Closes the client's idle connections; call once nothing is in flight. */
  destroy(): void {
    this.opts.client.destroy();
  }

  /** Uploads `body` under `key`; resolves with the outcome, never rejects. */
  async upload(key: string, body: Buffer, contentType: string, signal: AbortSignal): Promise<UploadOutcome> {
    let attempts = 0;
    let lastStatus = 0;
    for (;;) {
      if (signal.aborted) return { status: 'aborted', httpStatus: lastStatus, attempts };
      attempts++;
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await new Upload({
          client: this.opts.client,
          params: { Bucket: this.opts.bucket, Key: key, Body: body, ContentType: contentType },
          partSize: this.opts.partSize,
          queueSize: PARTS_IN_FLIGHT,
          leavePartsOnError: false,
          abortController: controller,
        }).done();
        return { status: 'delivered', attempts };
      } catch (err) {
        if (signal.aborted) return { status: 'aborted', httpStatus: lastStatus, attempts };
        const v = classifyS3Error(err);
        lastStatus = v.status;
        if (v.verdict === 'reject') {
          return { status: 'rejected', httpStatus: v.status, attempts, message: `S3 refused the object: ${v.code} (HTTP ${v.status}) for s3://${this.opts.bucket}/${key}` };
        }
        const retryNumber = attempts;
        if (this.opts.retry.maxRetries > 0 && retryNumber > this.opts.retry.maxRetries) {
          return { status: 'rejected', httpStatus: v.status, attempts, message: `gave up after ${attempts} attempts: ${v.code} (HTTP ${v.status})` };
        }
        const delayMs = backoffDelayMs(retryNumber, this.opts.retry);
        this.opts.onRetry?.({ attempt: retryNumber, delayMs, status: v.status, error: v.code });
        if (!(await sleep(delayMs, signal))) return { status: 'aborted', httpStatus: lastStatus, attempts };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }
}

/** Waits `ms`; resolves false early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
