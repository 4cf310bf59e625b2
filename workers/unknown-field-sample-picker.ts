/**
 * Picks, in a worker, the accepted records worth offering to the unknown-field sample
 * (src/durability/unknown-field-sample.ts, which applies the bounds on the main thread): a record whose
 * unknown fields include a named one (not `other`: the worker's count names a bounded number per log type)
 * this worker has offered fewer than SAMPLE_RECORDS_PER_FIELD records of. So a worker offers at most that many
 * records per named field in its life, however long the stream: once every field has its share, the cost is
 * a lookup per set and batch.
 */
import { SAMPLE_RECORDS_PER_FIELD } from '../src/durability/unknown-field-sample.js';
import { OTHER_FIELD } from './unknown-field-tally.js';

export class UnknownSamplePicker {
  /** Per log type, per named field: records offered. */
  private readonly offered = new Map<string, Map<string, number>>();

  /**
   * Whether a record of `logType` whose unknown fields are labelled `labels` (UnknownFieldTally) is worth
   * offering; when it is, it counts as offered.
   */
  wants(logType: string, labels: readonly string[]): boolean {
    let m = this.offered.get(logType);
    if (m === undefined) this.offered.set(logType, (m = new Map()));
    if (!labels.some((l) => l !== OTHER_FIELD && (m.get(l) ?? 0) < SAMPLE_RECORDS_PER_FIELD)) return false;
    for (const l of labels) if (l !== OTHER_FIELD) m.set(l, (m.get(l) ?? 0) + 1);
    return true;
  }
}
