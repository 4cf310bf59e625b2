/**
 * Every configuration option, declared once: type, default, unit (in the name) and one line of
 * documentation. Validation (ajv, all errors at once), defaults and the README's config reference all
 * come from this declaration.
 */

type JsonSchema = Record<string, unknown>;

/** An integer option. */
function int(description: string, def: number | undefined, minimum: number, maximum = Number.MAX_SAFE_INTEGER): JsonSchema {
  return def === undefined
    ? { type: 'integer', minimum, maximum, description }
    : { type: 'integer', minimum, maximum, default: def, description };
}

function str(description: string, def?: string, extra: JsonSchema = {}): JsonSchema {
  return def === undefined ? { type: 'string', description, ...extra } : { type: 'string', default: def, description, ...extra };
}

function bool(description: string, def: boolean): JsonSchema {
  return { type: 'boolean', default: def, description };
}

function obj(description: string, properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  // `default: {}` lets ajv descend and fill the defaults of an omitted section.
  return { type: 'object', description, properties, required, additionalProperties: false, default: {} };
}

const MiB = 1024 * 1024;

export const listenerSchema: JsonSchema = {
  type: 'object',
  description: 'One TCP listener per ZPA Log Receiver (ZPA sends one log type per receiver).',
  additionalProperties: false,
  required: ['name', 'port'],
  properties: {
    name: str('Listener name, used as the `listener` label in metrics and logs.', undefined, { pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    host: str('Address to bind.', '0.0.0.0'),
    port: int('TCP port to listen on (0 picks a free port).', undefined, 0, 65535),
    logType: str('Panther log type of every record on this listener (a bundled schema or one of schemas.include), or `auto` to detect it per record. SIGHUP changes it in place.', 'auto'),
    maxLineBytes: int('Longest accepted record in bytes; longer lines are rejected as line_too_long without being buffered.', MiB, 64, 64 * MiB),
    tls: obj('TLS on this listener (on when certFile is set). ZPA\'s TLS mode is mutual: by default a client must present a certificate chaining to caFile.', {
      certFile: str('PEM certificate chain the relay presents (for ZPA: one from a public root CA); empty = plain TCP. Re-read on SIGHUP.', ''),
      keyFile: str('PEM private key of certFile. Re-read on SIGHUP.', ''),
      caFile: str('PEM CA bundle client certificates must chain to (for ZPA: the App Connector enrollment chain). Re-read on SIGHUP.', ''),
      requireClientCert: bool('Refuse, before reading any of its bytes, a client without a certificate chaining to caFile (mutual TLS). Needs caFile; false = server-only TLS.', true),
      minVersion: { type: 'string', enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2', description: 'Oldest TLS version accepted.' },
      handshakeTimeoutMs: int('Time allowed for the TLS handshake before the connection is dropped (counted, reason timeout).', 10_000, 100, 600_000),
    }),
    allowCidrs: { type: 'array', items: { type: 'string', description: 'A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address.' }, default: [], description: 'IPv4/IPv6 CIDR blocks (or addresses) of admitted clients; others are closed at accept and counted. Empty = everyone. With proxyProtocol the real client address is checked.' },
    maxConnections: int('Connections open at once on this listener (including those still in the PROXY/TLS handshake); more are refused and counted.', 1024, 1, 1_000_000),
    idleTimeoutMs: int('Close a connection after this long without a byte (counted, reason idle_timeout); 0 = never (LSS connections may be quiet for long).', 0, 0, 86_400_000 * 30),
    maxConnectionAgeMs: int('Close a connection at a record boundary once it is this old (up to 10% earlier, to spread reconnects), after reading all it sent, so the App Connector reconnects through the load balancer; 0 = never.', 0, 0, 86_400_000 * 365),
    proxyProtocol: bool('Expect a PROXY protocol v1 or v2 header (from a load balancer) before any other byte; connections without a valid one are refused and counted.', false),
    proxyHeaderTimeoutMs: int('With proxyProtocol: time allowed for the PROXY header to arrive (counted, reason proxy_header_timeout).', 5_000, 100, 600_000),
    trustedProxyCidrs: { type: 'array', items: { type: 'string', description: 'A CIDR block or a single address of a load balancer.' }, default: [], description: 'With proxyProtocol: CIDR blocks of the load balancers allowed to send a PROXY header; others are refused (reason proxy_not_trusted). Empty = any peer.' },
  },
};

export const configSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listeners: { type: 'array', minItems: 1, items: listenerSchema, description: 'The TCP listeners.' },
    schemas: obj('Where the Panther schemas come from.', {
      path: str('Directory of Panther schema YAML files; empty means the bundled schemas/.', ''),
      include: { type: 'array', items: { type: 'string', minLength: 1, description: 'A directory of schema YAML files, or one file.' }, default: [], description: 'Custom schemas (directories or files, e.g. what `zpa-relay schema derive` writes) loaded beside the base set; a listener may name any of them and `auto` chooses among all. A name declared twice is refused, naming both files. Re-read on SIGHUP.' },
    }),
    repairs: obj('Fixes for known LSS output defects, applied before the schema check (each counted).', {
      stripSyslogPri: bool('Strip a leading syslog `<PRI>` prefix added by a syslog hop.', true),
      emptyListToArray: bool('Turn the old template\'s empty list `"Key": ,` into `"Key": []`.', true),
    }),
    batch: obj('How lines are grouped before they are handed to the worker pool.', {
      maxBytes: int('Largest batch handed to a worker, in bytes.', 512 * 1024, 1024, 64 * MiB),
      maxRecords: int('Most records in a batch (approximate: counted per received block).', 4096, 1, 1_000_000),
      maxWaitMs: int('Longest a partial batch waits before it is handed over.', 25, 1, 60_000),
    }),
    workers: obj('The Piscina worker pool that parses and checks records.', {
      threads: int('Worker threads; 0 means one per CPU core.', 0, 0, 256),
      niceIncrement: int('How much lower than the main thread the worker threads are scheduled (Linux nice increment, 0-19; 0 = the same). The main thread reads the sockets and hands every batch over: when it waits for a core behind a busy worker, the other workers wait for their next batch and cores go idle. Needs the optional `@napi-rs/nice` package (installed with piscina); where it is missing the workers run at the main thread\'s priority.', 10, 0, 19),
      engine: { type: 'string', enum: ['auto', 'reference', 'simdjson'], default: 'auto', description: 'The checking engine: `simdjson` (the native addon built at install, 3-6x faster), `reference` (the TypeScript engine), or `auto` (simdjson when the addon loads, else reference, with a warning). Both give identical verdicts; `simdjson` refuses to start where the addon is missing.' },
    }),
    maxBufferedBytes: int('Bound on record bytes held in the relay (read but not yet delivered); reaching it pauses every socket. 32 MiB keeps a 2-core pod under 300 MB RSS at full speed (bench) without costing throughput.', 32 * MiB, MiB, 64 * 1024 * MiB),
    resumeBufferedBytes: int('Sockets resume once the held bytes fall below this (low-water mark); 0 means 3/4 of maxBufferedBytes.', 0, 0, 64 * 1024 * MiB),
    output: obj('Where accepted records go.', {
      type: { type: 'string', enum: ['http', 'directory', 's3'], default: 'directory', description: 'Output kind: `http` (Panther HTTP source), `s3` (objects in a bucket a Panther S3 source pulls from) or `directory` (gzip\'d JSON-lines files).' },
      flushIntervalMs: int('Longest an accepted record waits for its body/file to fill before it is sent anyway.', 1000, 1, 600_000),
      http: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        description: 'The Panther HTTP source.',
        properties: {
          url: str('Panther HTTP source URL, `https://logs.<instance>.runpanther.net/http/<source-id>`.', undefined, { pattern: '^https?://' }),
          auth: {
            type: 'object',
            description: 'Authentication: `none`, `shared-secret` {header, secretEnv|secretFile}, `bearer` {tokenEnv|tokenFile}, `basic` {username, passwordEnv|passwordFile}, `hmac` {header, secretEnv|secretFile, algorithm, encoding}.',
            default: { type: 'none' },
          },
          maxRequestBytes: int('Largest request on the wire (compressed body plus headers); Panther\'s limit is 1 MB.', 1_000_000, 4096, 64 * MiB),
          flushIntervalMs: int('Per-output override of output.flushIntervalMs for the HTTP output; 0 means use output.flushIntervalMs.', 0, 0, 600_000),
          concurrency: int('Requests in flight at once.', 4, 1, 256),
          requestTimeoutMs: int('Time allowed for one request (headers and body) before it is retried.', 30_000, 100, 3_600_000),
          compression: { type: 'string', enum: ['gzip', 'zstd'], default: 'gzip', description: 'Body compression; Panther detects either from the content. zstd costs about a third of gzip\'s CPU here (falls back to gzip if zstd-napi cannot load).' },
          compressionLevel: int('Compression level: gzip 1 (fastest) .. 9, zstd 1 .. 19.', 1, 1, 19),
          gzipLibrary: { type: 'string', enum: ['auto', 'isal', 'zlib'], default: 'auto', description: 'What compresses gzip bodies: `isal` (Intel ISA-L\'s igzip, built at install where libisal-dev is present: about 3.6x zlib\'s speed for about 5% larger bodies; compressionLevel 1 is igzip level 1, 2-9 its best, 3), `zlib` (Node\'s zlib at compressionLevel), or `auto` (igzip at compressionLevel 1 when its module loads, else zlib). `isal` refuses to start where the module is missing.' },
          retry: obj('Retries of 408, 429, 5xx, timeouts and connection errors.', {
            initialBackoffMs: int('First backoff; doubles each attempt, with full jitter.', 500, 1, 3_600_000),
            maxBackoffMs: int('Longest backoff between attempts.', 60_000, 1, 3_600_000),
            maxRetries: int('Retries before a batch is dead-lettered; 0 means retry forever (never drop).', 0, 0, 1_000_000),
          }),
        },
      },
      s3: {
        type: 'object',
        additionalProperties: false,
        required: ['bucket'],
        description: 'The S3 output: gzip\'d (or zstd) JSON-lines objects under `<prefix>/<logType>/<yyyy>/<mm>/<dd>/<HH>/<uuid>.json.gz`. Credentials come from the AWS SDK default chain (environment, web identity/IRSA, instance profile).',
        properties: {
          bucket: str('Bucket name.', undefined, { minLength: 3, maxLength: 63 }),
          region: str('Bucket region; empty = AWS_REGION or AWS_DEFAULT_REGION from the environment.', ''),
          prefix: str('Key prefix before the log type (slashes at either end are ignored); empty = keys start with the log type.', ''),
          endpoint: str('Custom endpoint URL (an S3-compatible server or a VPC endpoint); empty = AWS\'s regional endpoint.', '', { pattern: '^(https?://.*)?$' }),
          forcePathStyle: bool('Address the bucket in the path (`<endpoint>/<bucket>/<key>`) instead of the host name; most S3-compatible servers need it.', false),
          objectMaxBytes: int('Close an object once it holds this many uncompressed bytes (all open objects together are also cut at half of resumeBufferedBytes, so they never stall ingestion).', 8 * MiB, 1024, 4096 * MiB),
          objectMaxAgeMs: int('Close and upload an object this long after its first record arrived.', 60_000, 10, 86_400_000),
          compression: { type: 'string', enum: ['gzip', 'zstd'], default: 'gzip', description: 'Object compression (`.json.gz` or `.json.zst`); Panther reads either. zstd falls back to gzip if zstd-napi cannot load.' },
          compressionLevel: int('Compression level: gzip 1 (fastest) .. 9, zstd 1 .. 19.', 1, 1, 19),
          multipartThresholdBytes: int('Objects larger than this (compressed) are uploaded in parts of this size (S3 multipart; at least 5 MiB).', 8 * MiB, 5 * MiB, 5 * 1024 * MiB),
          concurrency: int('Object uploads in flight at once.', 4, 1, 64),
          requestTimeoutMs: int('A request to S3 idle this long (no bytes either way) is abandoned and retried.', 30_000, 100, 3_600_000),
          retry: obj('Retries of throttling, 5xx, timeouts and network errors; an upload is always retried under the same key.', {
            initialBackoffMs: int('First backoff; doubles each attempt, with full jitter.', 500, 1, 3_600_000),
            maxBackoffMs: int('Longest backoff between attempts.', 60_000, 1, 3_600_000),
            maxRetries: int('Retries before an object\'s records are dead-lettered; 0 means retry forever (never drop).', 0, 0, 1_000_000),
          }),
        },
      },
      directory: obj('The directory output.', {
        path: str('Directory for gzip\'d JSON-lines files, one subdirectory per log type.', './data/out'),
        maxFileBytes: int('Rotate a file after this many uncompressed bytes.', 64 * MiB, 1024, 16 * 1024 * MiB),
        maxFileAgeMs: int('Rotate a file this long after it was opened.', 60_000, 10, 86_400_000),
        compressionLevel: int('gzip level (1 fastest .. 9 smallest).', 1, 1, 9),
      }),
    }),
    spool: obj('Write-ahead log on local disk of everything read and not yet delivered; survives kill -9 (off when path is empty).', {
      path: str('Spool directory; empty disables the spool.', ''),
      maxBytes: int('Bound on the spool; reaching it pauses ingestion (nothing is evicted).', 1024 * MiB, MiB, 1024 * 1024 * MiB),
      syncIntervalMs: int('Group-commit interval: data read more than this long before a crash is on disk.', 200, 1, 60_000),
    }),
    onReject: {
      type: 'object',
      description: 'What to do with records the schema refuses, per reason (`default` or a reason name): `dead-letter` (keep, do not send), `forward` (send anyway, counted), `forward-and-keep` (send and keep a copy). invalid_json, not_an_object and line_too_long can only be dead-lettered.',
      default: { default: 'dead-letter' },
      additionalProperties: { type: 'string', enum: ['dead-letter', 'forward', 'forward-and-keep'] },
    },
    deadLetter: obj('Local store of records that were rejected or that Panther refused.', {
      path: str('Directory of dead-letter files (gzip-compressed JSON lines).', './data/dead-letter'),
      maxBytes: int('Bound on the store, in bytes on disk (compressed); what happens at it is whenFull.', 1024 * MiB, 1024, 1024 * 1024 * MiB),
      maxFileBytes: int('Rotate a dead-letter file once it holds this many bytes of JSON lines (before compression): a replay reads one file at a time.', 16 * MiB, 1024, 1024 * MiB),
      whenFull: { type: 'string', enum: ['pause', 'evict'], default: 'pause', description: 'When the store reaches maxBytes: `pause` stops reading the listeners whose records wait to be dead-lettered (TCP backpressure on their App Connectors; nothing is evicted) until files are moved away or replayed; `evict` deletes the oldest file (its records are lost, counted and logged).' },
    }),
    admin: obj('The admin HTTP server: /metrics, /healthz, /readyz.', {
      host: str('Address to bind the admin server (can be a separate interface).', '0.0.0.0'),
      port: int('Admin port (0 picks a free port).', 9100, 0, 65535),
    }),
    drainTimeoutMs: int('On SIGTERM/SIGINT, the longest the relay spends delivering what it holds before it exits.', 30_000, 100, 3_600_000),
    logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info', description: 'pino log level.' },
  },
  required: ['listeners'],
};
