/**
 * The `field` label of zpa_relay_unknown_fields_total, bounded across every worker: the main thread, the one
 * place that sees every worker's counts (workers/unknown-field-tally.ts), names at most
 * UNKNOWN_FIELD_LABELS_MAX fields per log type, first come, and counts every further one as `other`. The
 * label set is closed: at most 65 values per log type.
 */
import { OTHER_FIELD } from '../../workers/unknown-field-tally.js';

/** Field names per log type in the metric's labels. */
export const UNKNOWN_FIELD_LABELS_MAX = 64;

export class UnknownFieldLabels {
  private readonly named = new Map<string, Set<string>>();

  constructor(private readonly maxNames = UNKNOWN_FIELD_LABELS_MAX) {}

  /** The label of `field` (as a worker counted it) for `logType`. */
  label(logType: string, field: string): string {
    if (field === OTHER_FIELD) return OTHER_FIELD;
    let named = this.named.get(logType);
    if (named === undefined) this.named.set(logType, (named = new Set()));
    if (named.has(field)) return field;
    if (named.size >= this.maxNames) return OTHER_FIELD;
    named.add(field);
    return field;
  }
}
