/**
 * What the schema engine says about one record. Rejecting is data, never an exception:
 * every stage boundary (engine -> worker -> relay -> dead-letter store) passes these values.
 */

/** The closed set of reasons a record can be refused for. Metric labels and dead-letter records use these. */
export const REJECT_REASONS = [
  'invalid_json',
  'not_an_object',
  'missing_required',
  'wrong_type',
  'out_of_range',
  'bad_timestamp',
  'line_too_long',
  'unknown_log_type',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** The record satisfies its schema. `eventTime` is milliseconds since the Unix epoch (UTC). */
export interface AcceptedVerdict {
  readonly status: 'accepted';
  readonly logType: string;
  readonly eventTime: number;
}

/** The record does not satisfy its schema. `field` is the dotted path of the failing field where one applies. */
export interface RejectedVerdict {
  readonly status: 'rejected';
  /** The log type the record was checked against; null when none could be chosen (auto-detection failed). */
  readonly logType: string | null;
  readonly reason: RejectReason;
  readonly field?: string;
  readonly message: string;
}

export type Verdict = AcceptedVerdict | RejectedVerdict;
