/**
 * Counts, per batch, the fields accepted records carry that their schema lacks: Panther drops them, and
 * `zpa_relay_unknown_fields_total{log_type,field}` says which and how often. The metric's label set is
 * closed by the main thread (src/metrics/unknown-field-labels.ts: 64 names per log type, then `other`), the
 * one place that sees every worker's counts. Were each worker to stop at 64 names, two workers could name
 * different fields and count a field the main thread names as `other`. Here the bound only keeps a worker's
 * memory and its results small against a stream of ever new keys: WORKER_FIELD_NAMES_MAX names per log type,
 * first come, then OTHER_FIELD.
 *
 * Both engines feed it the same way (BatchVerdicts.unknownSet/unknownSets, the native lines and the delegated
 * ones in line order), so the names and the bound cannot differ between them. A record counts once per field;
 * past the bound, once per field in `other`.
 */
import type { UnknownFieldSet } from './engines/engine-types.js';

/** Names a worker counts per log type before the rest count as OTHER_FIELD. */
export const WORKER_FIELD_NAMES_MAX = 1024;
/** The label of the fields past the bound. */
export const OTHER_FIELD = 'other';

/** [logType, field (a name or 'other'), records] */
export type UnknownFieldCount = [logType: string, field: string, count: number];

/** The named fields of each log type, kept for the worker's life (one tally per engine). */
export class UnknownFieldTally {
  private readonly named = new Map<string, Set<string>>();

  constructor(private readonly maxNames = WORKER_FIELD_NAMES_MAX) {}

  /** Starts counting one batch whose verdicts have these sets. */
  batch(sets: readonly UnknownFieldSet[]): UnknownFieldBatch {
    return new UnknownFieldBatch(this, sets);
  }

  /**
   * The label of each name of `set`: the name, or OTHER_FIELD past the bound. New names are named in sorted
   * order, so that the order an engine lists a record's keys in (document order, or JSON.parse's) never
   * changes which get the last free names.
   */
  labelsOf(set: UnknownFieldSet): string[] {
    let named = this.named.get(set.logType);
    if (named === undefined) this.named.set(set.logType, (named = new Set()));
    if (named.size < this.maxNames) {
      const fresh = set.names.filter((n) => !named.has(n)).sort();
      for (const n of fresh) {
        if (named.size >= this.maxNames) break;
        named.add(n);
      }
    }
    return set.names.map((n) => (named.has(n) ? n : OTHER_FIELD));
  }
}

/** The counts of one batch: `add` each accepted line's set index, in line order, then `counts`. */
export class UnknownFieldBatch {
  private readonly records: number[];
  /** Labels of each set, decided when the set is first counted (in line order). */
  readonly labels: Array<string[] | undefined>;

  constructor(
    private readonly tally: UnknownFieldTally,
    readonly sets: readonly UnknownFieldSet[],
  ) {
    this.records = new Array<number>(sets.length).fill(0);
    this.labels = new Array<string[] | undefined>(sets.length);
  }

  /** Counts one accepted record carrying set `s` (-1: none). */
  add(s: number): void {
    if (s < 0) return;
    if (this.records[s]!++ === 0) this.labels[s] = this.tally.labelsOf(this.sets[s]!);
  }

  /**
   * The batch's counts, one row per log type and label, the most frequent first (then by name): the same rows
   * whichever engine checked, and the main thread, which names fields first come, meets a batch's commonest
   * fields first.
   */
  counts(): UnknownFieldCount[] {
    const rows = new Map<string, UnknownFieldCount>();
    for (let s = 0; s < this.sets.length; s++) {
      const n = this.records[s]!;
      if (n === 0) continue;
      const lt = this.sets[s]!.logType;
      for (const field of this.labels[s]!) {
        const key = `${lt}\0${field}`;
        const row = rows.get(key);
        if (row) row[2] += n;
        else rows.set(key, [lt, field, n]);
      }
    }
    const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...rows.values()].sort((a, b) => b[2] - a[2] || byName(a[0], b[0]) || byName(a[1], b[1]));
  }
}
