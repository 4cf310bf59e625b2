/**
 * Schema check failures counted by log type, top-level schema field and reason: the labels of
 * zpa_relay_schema_mismatch_total and the rows of the hourly drift log line. A field outside the schema
 * (or none) counts as '' so that the label set stays closed: it comes from the schemas, never from traffic.
 */
import type { RejectReason } from '../schema/verdict.js';

export type MismatchCount = [logType: string, field: string, reason: RejectReason, count: number];

/** Counts `records` (the refused ones of a batch); `schemaFields` gives a log type's top-level field names. */
export function countMismatches(
  records: ReadonlyArray<{ logType: string | null; field?: string; reason: RejectReason }>,
  schemaFields: (logType: string) => ReadonlySet<string> | undefined,
): MismatchCount[] {
  // By log type, field and reason, in nested maps: the records' strings are shared (their hashes cached),
  // where a key built per record was hashed anew each time (a refused record's share of a worker's time).
  const counts = new Map<string, Map<string, Map<RejectReason, MismatchCount>>>();
  // A batch's refused records mostly share a few fields: their top-level names are worked out once each.
  const tops = new Map<string, string>();
  let fieldsOf: string | undefined;
  let fields: ReadonlySet<string> | undefined;
  for (const r of records) {
    const lt = r.logType ?? 'unknown';
    let top = r.field ? tops.get(r.field) : '';
    if (top === undefined) tops.set(r.field!, (top = r.field!.split(/[.[]/, 1)[0]!));
    if (lt !== fieldsOf) {
      fieldsOf = lt;
      fields = schemaFields(lt);
    }
    const field = fields?.has(top) ? top : '';
    let byField = counts.get(lt);
    if (byField === undefined) counts.set(lt, (byField = new Map()));
    let byReason = byField.get(field);
    if (byReason === undefined) byField.set(field, (byReason = new Map()));
    const c = byReason.get(r.reason);
    if (c) c[3]++;
    else byReason.set(r.reason, [lt, field, r.reason, 1]);
  }
  return [...counts.values()].flatMap((byField) => [...byField.values()].flatMap((byReason) => [...byReason.values()]));
}
