/**
 * What an error from the AWS SDK means for an object upload: try again later, or give up on it.
 *
 * The rule follows the HTTP output (retry-policy.ts): records are dead-lettered only when S3 says the request
 * itself can never succeed (AccessDenied, NoSuchBucket, InvalidAccessKeyId, ...). Throttling, server faults,
 * timeouts, the network, and failures to obtain credentials (an instance-metadata or STS hiccup) are retried,
 * because giving up on good records is data loss. S3 also reports a few transient conditions with a 4xx
 * status; those are matched by their stable error code (never by message).
 */
import { classifyStatus, errorCode } from './retry-policy.js';

/** S3 error codes that are transient even though their HTTP status is 4xx (or that a 2xx body can carry). */
const RETRYABLE_S3_CODES: ReadonlySet<string> = new Set([
  'RequestTimeout', // 400: the connection was idle too long while sending the body.
  'ExpiredToken', // 400: temporary credentials expired; the SDK's provider refreshes them.
  'TokenRefreshRequired', // 400: same, for session tokens.
  'RequestTimeTooSkewed', // 403: the SDK corrects its clock offset from the response.
  'SlowDown', // 503 normally, listed in case a proxy maps it.
  'OperationAborted', // 409: a conflicting operation on the bucket is in progress.
  'BadDigest', // 400: the body was damaged on the way; the same bytes will arrive whole next time.
  'IncompleteBody', // 400: the connection broke while sending the body.
  'InternalError', // 500, or inside a 200 CompleteMultipartUpload answer.
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TimeoutError',
  'RequestTimeoutException',
]);

/** The verdict on one failed upload attempt, with what the operator and the metrics see of it. */
export interface S3ErrorVerdict {
  verdict: 'retry' | 'reject';
  /** HTTP status of S3's answer; 0 when there was none (network error, timeout, no credentials). */
  status: number;
  /** S3's error code (`NoSuchBucket`), or the SDK/Node error code or name when S3 did not answer. */
  code: string;
}

/** Classifies an error thrown by an S3 command or by lib-storage's Upload. */
export function classifyS3Error(err: unknown): S3ErrorVerdict {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
    Code?: unknown;
  };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? 0;
  const code = typeof e.Code === 'string' && e.Code !== '' ? e.Code : errorCode(err);
  if (status === 0 || RETRYABLE_S3_CODES.has(code)) return { verdict: 'retry', status, code };
  // A 2xx with an error (a CompleteMultipartUpload answer carrying one) is not delivered: retry it.
  const byStatus = classifyStatus(status);
  return { verdict: byStatus === 'reject' ? 'reject' : 'retry', status, code };
}
