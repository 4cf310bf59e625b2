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
  /** TLS (mutual by default) on this listener; off while certFile is empty. */
  readonly tls: ListenerTlsConfig;
  /** CIDR blocks (IPv4/IPv6) of admitted peers; empty admits everyone. */
  readonly allowCidrs: readonly string[];
  /** Connections open at once (any phase); more are refused. */
  readonly maxConnections: number;
  /** Close a connection after this long without a byte; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Close a connection at a record boundary once it is this old; 0 = never. */
  readonly maxConnectionAgeMs: number;
  /** Expect a PROXY protocol v1/v2 header before any other byte. */
  readonly proxyProtocol: boolean;
  /** Time allowed for the PROXY header to arrive. */
  readonly proxyHeaderTimeoutMs: number;
  /** With proxyProtocol: peers allowed to send a PROXY header; empty = any peer. */
  readonly trustedProxyCidrs: readonly string[];
}

/** TLS settings of one listener (files are PEM; read at start and on SIGHUP). */
export interface ListenerTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly requireClientCert: boolean;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly handshakeTimeoutMs: number;
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
  /** 0 = output.flushIntervalMs. */
  readonly flushIntervalMs: number;
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  readonly compression: 'gzip' | 'zstd';
  readonly compressionLevel: number;
  readonly gzipLibrary: 'auto' | 'isal' | 'zlib';
  readonly retry: RetryConfig;
}

export interface DirectoryOutputConfig {
  readonly path: string;
  readonly maxFileBytes: number;
  readonly maxFileAgeMs: number;
  readonly compressionLevel: number;
}

/** The S3 output (see config-schema.ts for each option's documentation). */
export interface S3OutputConfig {
  readonly bucket: string;
  readonly region: string;
  readonly prefix: string;
  readonly endpoint: string;
  readonly forcePathStyle: boolean;
  readonly objectMaxBytes: number;
  readonly objectMaxAgeMs: number;
  readonly compression: 'gzip' | 'zstd';
  readonly compressionLevel: number;
  readonly multipartThresholdBytes: number;
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  readonly retry: RetryConfig;
}

export interface OutputConfig {
  readonly type: 'http' | 'directory' | 's3';
  readonly flushIntervalMs: number;
  readonly http?: HttpOutputConfig;
  readonly s3?: S3OutputConfig;
  readonly directory: DirectoryOutputConfig;
}

export interface RelayConfig {
  readonly listeners: readonly ListenerConfig[];
  /** The base schema directory ('' = bundled) and custom schemas loaded beside it (directories or files). */
  readonly schemas: { readonly path: string; readonly include: readonly string[] };
  readonly repairs: { readonly stripSyslogPri: boolean; readonly emptyListToArray: boolean };
  readonly batch: { readonly maxBytes: number; readonly maxRecords: number; readonly maxWaitMs: number };
  readonly workers: { readonly threads: number; readonly niceIncrement: number; readonly engine: 'auto' | 'reference' | 'simdjson' };
  readonly maxBufferedBytes: number;
  readonly resumeBufferedBytes: number;
  readonly output: OutputConfig;
  readonly spool: { readonly path: string; readonly maxBytes: number; readonly syncIntervalMs: number };
  readonly onReject: import('../durability/reject-policy.js').RejectPolicyConfig;
  readonly deadLetter: { readonly path: string; readonly maxBytes: number; readonly maxFileBytes: number; readonly whenFull: 'pause' | 'evict' };
  readonly admin: { readonly host: string; readonly port: number };
  readonly drainTimeoutMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}
