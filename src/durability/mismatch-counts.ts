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
  const counts = new Map<string, MismatchCount>();
  // A batch's refused records mostly share a few fields: their top-level names are worked out once each.
  const tops = new Map<string, string>();
  for (const r of records) {
    const lt = r.logType ?? 'unknown';
    let top = r.field ? tops.get(r.field) : '';
    if (top === undefined) tops.set(r.field!, (top = r.field!.split(/[.[]/, 1)[0]!));
    const field = schemaFields(lt)?.has(top) ? top : '';
    const key = `${lt}\0${field}\0${r.reason}`;
    const c = counts.get(key);
    if (c) c[3]++;
    else counts.set(key, [lt, field, r.reason, 1]);
  }
  return [...counts.values()];
}
