/**
 * Builds the configured output, wiring its request telemetry to the metrics. The S3 output's modules (and
 * the AWS SDK behind them) are imported only when it is the one configured.
 */
import type { RelayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import { createAuth } from './panther-auth.js';
import { HttpSender } from './http-sender.js';
import { HttpSink } from './http-sink.js';
import { DirectorySink } from './directory-sink.js';
import { loadZstd } from './zstd-body.js';
import { resolveGzipLibrary } from './isal-gzip.js';
import type { Sink, SinkHooks } from './sink.js';

export async function createSink(cfg: RelayConfig, hooks: SinkHooks, metrics: RelayMetrics, log: Logger, env: NodeJS.ProcessEnv): Promise<Sink> {
  const out = cfg.output;
  if (out.type === 'directory') {
    const sink = new DirectorySink({ ...out.directory, flushIntervalMs: out.flushIntervalMs }, hooks);
    await sink.open();
    return sink;
  }
  if (out.type === 's3') {
    // Loaded only for the S3 output: the AWS SDK adds about 24 MB to the process (RSS, measured with Node
    // 20), a tenth of the 300 MB a pod sending over HTTP is sized for.
    const { createS3Sink } = await import('./s3-create.js');
    return createS3Sink(cfg, hooks, metrics, log, env);
  }
  const http = out.http!;
  let failing = false;
  let compression = http.compression;
  if (compression === 'zstd' && !loadZstd()) {
    log.warn({ compression: 'gzip' }, 'zstd-napi is not available on this machine: sending gzip bodies instead');
    compression = 'gzip';
  }
  const sender = new HttpSender({
    contentEncoding: compression,
    url: http.url,
    auth: createAuth(http.auth, env),
    requestTimeoutMs: http.requestTimeoutMs,
    concurrency: http.concurrency,
    retry: http.retry,
    onAttempt: (a) => {
      metrics.requestsTotal.inc({ output: 'http', status: String(a.status) });
      metrics.requestDuration.observe({ output: 'http' }, a.durationSeconds);
      metrics.sentBytes.inc({ output: 'http' }, a.wireBytes);
      if (failing && a.status >= 200 && a.status < 300) {
        failing = false;
        log.info({ status: a.status }, 'output recovered');
      }
    },
    onRetry: (r) => {
      metrics.retries.inc({ output: 'http' });
      if (!failing) {
        failing = true;
        // One line per incident: the next one is logged after the output recovers.
        log.warn({ status: r.status, error: r.error, delayMs: r.delayMs }, 'output failing: retrying with backoff');
      }
    },
  });
  const gzip = resolveGzipLibrary(http.gzipLibrary, http.compressionLevel);
  if (compression === 'gzip' && gzip.missing !== undefined) {
    log.info({ reason: gzip.missing }, 'the ISA-L gzip module is not available: compressing gzip bodies with zlib (about 3.6x the CPU per byte)');
  }
  return new HttpSink({ sender, maxRequestBytes: http.maxRequestBytes, compressionLevel: http.compressionLevel, flushIntervalMs: http.flushIntervalMs || out.flushIntervalMs, compression, gzipLibrary: gzip.library }, hooks);
}
