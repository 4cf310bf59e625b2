/**
 * Every metric the relay exports, defined in one place. Counters are incremented once per batch (never
 * per line) and every label value comes from a closed set: listener names and log types from the
 * config and schemas, reasons from REJECT_REASONS, statuses as numbers.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class RelayMetrics {
  readonly registry = new Registry();

  readonly connectionsOpen = new Gauge({ name: 'zpa_relay_connections_open', help: 'TCP connections open now.', labelNames: ['listener'], registers: [this.registry] });
  readonly connectionsTotal = new Counter({ name: 'zpa_relay_connections_total', help: 'TCP connections accepted.', labelNames: ['listener'], registers: [this.registry] });
  readonly connectionsRefused = new Counter({ name: 'zpa_relay_connections_refused_total', help: 'Connections closed before any record byte was read, by reason (max_connections, not_allowed, proxy_not_trusted, proxy_header_invalid, proxy_header_timeout).', labelNames: ['listener', 'reason'], registers: [this.registry] });
  readonly tlsHandshakeFailures = new Counter({ name: 'zpa_relay_tls_handshake_failures_total', help: 'TLS connections refused before any record byte was read, by reason (no_certificate, bad_certificate, protocol, timeout, aborted, other).', labelNames: ['listener', 'reason'], registers: [this.registry] });
  readonly connectionsClosedByRelay = new Counter({ name: 'zpa_relay_connections_closed_by_relay_total', help: 'Connections the relay ended on its own, at a record boundary and after reading all the client sent, by reason (idle_timeout, max_age).', labelNames: ['listener', 'reason'], registers: [this.registry] });
  readonly receivedBytes = new Counter({ name: 'zpa_relay_received_bytes_total', help: 'Bytes read from App Connector sockets.', labelNames: ['listener'], registers: [this.registry] });
  readonly recordsReceived = new Counter({ name: 'zpa_relay_records_received_total', help: 'Records framed and checked.', labelNames: ['listener', 'log_type'], registers: [this.registry] });
  readonly recordsRejected = new Counter({ name: 'zpa_relay_records_rejected_total', help: 'Records refused by the schema check, by reason.', labelNames: ['listener', 'log_type', 'reason'], registers: [this.registry] });
  readonly recordsRepaired = new Counter({ name: 'zpa_relay_records_repaired_total', help: 'Records changed by an LSS repair before the check.', labelNames: ['listener', 'repair'], registers: [this.registry] });
  readonly recordsDelivered = new Counter({ name: 'zpa_relay_records_delivered_total', help: 'Records confirmed delivered by the output.', labelNames: ['output', 'log_type'], registers: [this.registry] });
  readonly requestsTotal = new Counter({ name: 'zpa_relay_requests_total', help: 'Output requests by HTTP status (0 = network error or timeout).', labelNames: ['output', 'status'], registers: [this.registry] });
  readonly requestDuration = new Histogram({
    name: 'zpa_relay_request_duration_seconds', help: 'Duration of output requests.', labelNames: ['output'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry],
  });
  readonly sentBytes = new Counter({ name: 'zpa_relay_sent_bytes_total', help: 'Bytes sent by the output on the wire (compressed bodies plus headers).', labelNames: ['output'], registers: [this.registry] });
  /** Where zpa_relay_buffered_bytes is read from at scrape time (the relay's byte budget). */
  private heldBytes: () => number = () => 0;
  readonly bufferedBytes: Gauge = new Gauge({
    name: 'zpa_relay_buffered_bytes', help: 'Record bytes held in the relay: read but not yet delivered or dead-lettered.', registers: [this.registry],
    collect: (): void => this.bufferedBytes.set(this.heldBytes()),
  });
  readonly ingestPaused = new Gauge({ name: 'zpa_relay_ingest_paused', help: '1 while sockets are paused because maxBufferedBytes was reached.', registers: [this.registry] });
  readonly ingestPausedSeconds = new Counter({ name: 'zpa_relay_ingest_paused_seconds_total', help: 'Time sockets spent paused by backpressure (its rate is the share of time ingestion waits).', registers: [this.registry] });
  readonly eventLag = new Histogram({
    name: 'zpa_relay_event_lag_seconds', help: 'Delivery time minus event time, observed per delivered body and log type (mean of its records).',
    labelNames: ['log_type'], buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400], registers: [this.registry],
  });
  readonly deadLetterRecords = new Counter({ name: 'zpa_relay_dead_letter_records_total', help: 'Records written to the dead-letter store, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly deadLetterBytes = new Gauge({ name: 'zpa_relay_dead_letter_bytes', help: 'Size of the dead-letter store on disk.', registers: [this.registry] });
  readonly deadLetterEvicted = new Counter({ name: 'zpa_relay_dead_letter_evicted_files_total', help: 'Dead-letter files evicted because deadLetter.maxBytes was reached.', registers: [this.registry] });
  readonly deadLetterFull = new Gauge({ name: 'zpa_relay_dead_letter_full', help: '1 while the dead-letter store is full and writes wait for room (deadLetter.whenFull: pause): the listeners whose records wait are paused.', registers: [this.registry] });
  readonly deadLetterPausedSeconds = new Counter({ name: 'zpa_relay_dead_letter_paused_seconds_total', help: 'Time each listener spent paused because the dead-letter store was full (deadLetter.whenFull: pause).', labelNames: ['listener'], registers: [this.registry] });
  readonly sinkRejected = new Counter({ name: 'zpa_relay_sink_rejected_batches_total', help: 'Bodies the output refused for good (non-retryable 4xx), by status.', labelNames: ['output', 'status'], registers: [this.registry] });
  readonly retries = new Counter({ name: 'zpa_relay_retries_total', help: 'Output attempts that are retried.', labelNames: ['output'], registers: [this.registry] });
  readonly spoolBytes = new Gauge({ name: 'zpa_relay_spool_bytes', help: 'Bytes in the spool (read, not yet settled).', registers: [this.registry] });
  readonly spoolSegments = new Gauge({ name: 'zpa_relay_spool_segments', help: 'Segment files in the spool.', registers: [this.registry] });
  readonly spoolReplayed = new Counter({ name: 'zpa_relay_spool_replayed_records_total', help: 'Records replayed from the spool at start (may include duplicates of what was in flight).', registers: [this.registry] });
  readonly spoolCorrupt = new Counter({ name: 'zpa_relay_spool_corrupt_tails_total', help: 'Torn or corrupt segment tails found at start and moved aside, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly spoolWriteErrors = new Counter({ name: 'zpa_relay_spool_write_errors_total', help: 'Spool appends that failed (disk full, I/O error); ingestion pauses until the volume takes writes.', registers: [this.registry] });
  readonly workerErrors = new Counter({ name: 'zpa_relay_worker_errors_total', help: 'Batches a worker thread failed on (the engine never throws for bad input; this means a crashed worker).', registers: [this.registry] });
  readonly rejectedForwarded = new Counter({ name: 'zpa_relay_rejected_forwarded_total', help: 'Records the schema refused that were sent to the output anyway (onReject forward or forward-and-keep).', labelNames: ['listener', 'log_type', 'reason'], registers: [this.registry] });
  readonly schemaMismatch = new Counter({ name: 'zpa_relay_schema_mismatch_total', help: 'Schema check failures by log type, top-level schema field and reason: where real traffic and the schema disagree.', labelNames: ['log_type', 'field', 'reason'], registers: [this.registry] });
  readonly unknownFields = new Counter({ name: 'zpa_relay_unknown_fields_total', help: 'Accepted records carrying a top-level field their schema lacks (Panther drops it), by log type and field; at most 64 field names per log type (first come), the rest count as other (once per field and record).', labelNames: ['log_type', 'field'], registers: [this.registry] });
  readonly engineInfo = new Gauge({ name: 'zpa_relay_engine_info', help: 'The schema engine the workers run (value 1).', labelNames: ['engine'], registers: [this.registry] });
  readonly compressionInfo = new Gauge({ name: 'zpa_relay_compression_info', help: 'How the HTTP output compresses its bodies (value 1): format gzip or zstd, library isal, zlib or zstd-napi.', labelNames: ['output', 'format', 'library'], registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Makes zpa_relay_buffered_bytes report `read()` whenever it is scraped. */
  readBufferedBytes(read: () => number): void {
    this.heldBytes = read;
  }
}
