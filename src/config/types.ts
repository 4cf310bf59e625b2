/**
 * The shape of a validated configuration. `config-schema.ts` declares the same shape once with defaults,
 * units and documentation; a loaded config is deeply frozen.
 */
import type { AuthConfig } from '../sink/panther-auth.js';

export interface ListenerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly logType: string;
  readonly maxLineBytes: number;
}

export interface RetryConfig {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetries: number;
}

export interface HttpOutputConfig {
  readonly url: string;
  readonly auth: AuthConfig;
  readonly maxRequestBytes: number;
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  readonly compression: 'gzip' | 'zstd';
  readonly compressionLevel: number;
  readonly retry: RetryConfig;
}

export interface DirectoryOutputConfig {
  readonly path: string;
  readonly maxFileBytes: number;
  readonly maxFileAgeMs: number;
  readonly compressionLevel: number;
}

export interface OutputConfig {
  readonly type: 'http' | 'directory';
  readonly flushIntervalMs: number;
  readonly http?: HttpOutputConfig;
  readonly directory: DirectoryOutputConfig;
}

export interface RelayConfig {
  readonly listeners: readonly ListenerConfig[];
  readonly schemas: { readonly path: string };
  readonly repairs: { readonly stripSyslogPri: boolean; readonly emptyListToArray: boolean };
  readonly batch: { readonly maxBytes: number; readonly maxRecords: number; readonly maxWaitMs: number };
  readonly workers: { readonly threads: number };
  readonly maxBufferedBytes: number;
  readonly resumeBufferedBytes: number;
  readonly output: OutputConfig;
  readonly spool: { readonly path: string; readonly maxBytes: number; readonly syncIntervalMs: number };
  readonly onReject: import('../durability/reject-policy.js').RejectPolicyConfig;
  readonly deadLetter: { readonly path: string; readonly maxBytes: number; readonly maxFileBytes: number };
  readonly admin: { readonly host: string; readonly port: number };
  readonly drainTimeoutMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}
