/**
 * The in-memory model of a Panther custom log schema, as read from `schemas/*.yaml` and validated by
 * schema-validator.ts. It mirrors the YAML keys one to one; nothing here is compiled yet.
 */

/** Panther's value types (docs.panther.com custom log reference). */
export const VALUE_TYPES = [
  'string',
  'int',
  'smallint',
  'bigint',
  'float',
  'boolean',
  'timestamp',
  'json',
  'array',
  'object',
] as const;

export type ValueType = (typeof VALUE_TYPES)[number];

/** Built-in time formats; any other timeFormat is a strftime pattern. */
export const BUILTIN_TIME_FORMATS = ['rfc3339', 'unix', 'unix_ms', 'unix_us', 'unix_ns'] as const;

/** Indicator names Panther accepts on string fields, and the standard field each one fills. */
export const INDICATOR_FIELDS = {
  ip: 'p_any_ip_addresses',
  domain: 'p_any_domain_names',
  hostname: 'p_any_domain_names',
  url: 'p_any_domain_names',
  net_addr: 'p_any_domain_names',
  email: 'p_any_emails',
  username: 'p_any_usernames',
  actor_id: 'p_any_actor_ids',
  md5: 'p_any_md5_hashes',
  sha1: 'p_any_sha1_hashes',
  sha256: 'p_any_sha256_hashes',
  mac: 'p_any_mac_addresses',
  trace_id: 'p_any_trace_ids',
  aws_arn: 'p_any_aws_arns',
  aws_account_id: 'p_any_aws_account_ids',
  aws_instance_id: 'p_any_aws_instance_ids',
  aws_tag: 'p_any_aws_tags',
} as const;

export type IndicatorName = keyof typeof INDICATOR_FIELDS;

/** A value description: a field without its name (also what `element` holds). */
export interface ValueSpec {
  readonly type: ValueType;
  readonly timeFormats?: readonly string[];
  readonly indicators?: readonly IndicatorName[];
  /** For `array`: the element's value description. */
  readonly element?: ValueSpec;
  /** For `object`: the nested fields. */
  readonly fields?: readonly FieldSpec[];
}

/** One entry of `fields:`. */
export interface FieldSpec extends ValueSpec {
  readonly name: string;
  readonly required: boolean;
  readonly description?: string;
  readonly isEventTime: boolean;
}

/** One schema file. `file` is where it was read from, used in every message about it. */
export interface SchemaSpec {
  readonly file: string;
  readonly schema: string;
  readonly description?: string;
  readonly referenceURL?: string;
  readonly fields: readonly FieldSpec[];
}
