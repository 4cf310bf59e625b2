/**
 * Every error code zpa-relay raises, in one place. Callers match on `err.code`, never on the message.
 * The README's "Error codes" table lists each of these; a test keeps the two in step.
 */
export const ERROR_CODES = {
  ZPA_ERR_USAGE: 'bad command-line usage',
  ZPA_ERR_FILE_NOT_FOUND: 'an input file does not exist or cannot be read',
  ZPA_ERR_SCHEMA_READ: 'a schema file cannot be read or is not valid YAML',
  ZPA_ERR_SCHEMA_INVALID: 'a schema file is not a valid Panther schema (unknown type, bad timeFormat, ...)',
  ZPA_ERR_UNKNOWN_LOG_TYPE: 'a log type is named that no loaded schema declares',
  ZPA_ERR_CONFIG_INVALID: 'the configuration has one or more problems (all are listed)',
  ZPA_ERR_CONFIG_READ: 'the configuration file cannot be read or is not valid YAML',
  ZPA_ERR_DEAD_LETTER_BUSY: 'another `dead-letter replay` is working on the same dead-letter store',
  ZPA_ERR_METRICS_READ: 'the relay metrics given to `dead-letter report --metrics` cannot be read',
  ZPA_ERR_DEAD_LETTER_READ: 'the dead-letter store (or a record file given to `schema derive`) cannot be read',
  ZPA_ERR_SCHEMA_TEST_INVALID: 'a schema test file is not valid YAML, or a test lacks name, logType, input or result',
  ZPA_ERR_OUTPUT_WRITE: 'an output directory or file (`schema derive --out`) cannot be written',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code. `details` lists every problem when there are several (config, schema). */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'RelayError';
    this.code = code;
    this.details = details;
  }
}

/** True when `err` is a RelayError with the given code. */
export function isRelayError(err: unknown, code?: ErrorCode): err is RelayError {
  return err instanceof RelayError && (code === undefined || err.code === code);
}
