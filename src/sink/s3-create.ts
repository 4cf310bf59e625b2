/**
 * Builds the S3 output from the config, wiring its requests, retries and uploads to the metrics and the
 * log the same way create-sink.ts does for the HTTP output (label output="s3").
 */
import type { RelayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import { createS3Client } from './s3-client.js';
import { S3Sink } from './s3-sink.js';
import { S3Uploader } from './s3-uploader.js';
import { loadZstd } from './zstd-body.js';
import type { SinkHooks } from './sink.js';

/** The S3 sink for `cfg.output.s3` (validated by load-config: present, with a region). */
export function createS3Sink(cfg: RelayConfig, hooks: SinkHooks, metrics: RelayMetrics, log: Logger, env: NodeJS.ProcessEnv): S3Sink {
  const s3 = cfg.output.s3!;
  let compression = s3.compression;
  if (compression === 'zstd' && !loadZstd()) {
    log.warn({ compression: 'gzip' }, 'zstd-napi is not available on this machine: writing gzip objects instead');
    compression = 'gzip';
  }
  let failing = false;
  const client = createS3Client(s3, env, (r) => {
    metrics.requestsTotal.inc({ output: 's3', status: String(r.status) });
    metrics.requestDuration.observe({ output: 's3' }, r.durationSeconds);
    metrics.sentBytes.inc({ output: 's3' }, r.bodyBytes);
    if (failing && r.status >= 200 && r.status < 300) {
      failing = false;
      log.info({ status: r.status }, 'output recovered');
    }
  });
  const uploader = new S3Uploader({
    client,
    bucket: s3.bucket,
    partSize: s3.multipartThresholdBytes,
    retry: s3.retry,
    onRetry: (r) => {
      metrics.retries.inc({ output: 's3' });
      if (!failing) {
        failing = true;
        // One line per incident: the next one is logged after the output recovers.
        log.warn({ status: r.status, error: r.error, delayMs: r.delayMs }, 'output failing: retrying with backoff');
      }
    },
  });
  return new S3Sink(
    {
      uploader,
      prefix: s3.prefix,
      compression,
      compressionLevel: compression === 'gzip' ? Math.min(s3.compressionLevel, 9) : s3.compressionLevel,
      objectMaxBytes: s3.objectMaxBytes,
      objectMaxAgeMs: s3.objectMaxAgeMs,
      // Half of the low-water mark: unfilled objects alone can never keep the budget from resuming ingestion.
      maxOpenBytes: Math.floor(cfg.resumeBufferedBytes / 2),
      concurrency: s3.concurrency,
      uploaded: (key, records, rawBytes, objectBytes) => log.debug({ key, records, rawBytes, objectBytes }, 's3 object uploaded'),
    },
    hooks,
  );
}
