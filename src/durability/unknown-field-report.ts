/**
 * The unknown-field section of `zpa-relay dead-letter report`: per log type, the top-level fields records
 * carry that the log type's schema lacks (Panther drops them), and how often, in three places:
 * - the stored records (refused ones: their share of that type's stored records),
 * - the unknown-field sample of accepted records (src/durability/unknown-field-sample.ts: their share of it),
 * - with --metrics, the relay's zpa_relay_unknown_fields_total as a share of zpa_relay_records_received_total
 *   (counted since that relay started; at most 64 names per log type, the rest as `other`).
 */
import { recordBytes, type StoredRecord } from './dead-letter-reader.js';
import type { UnknownFieldSampleRecord } from './unknown-field-sample-entry.js';

/** One field of a log type. */
export interface UnknownFieldRow {
  field: string;
  /** Stored records carrying it, and their share of the type's stored records. */
  stored: number;
  shareOfStored: number;
  /** Sampled records carrying it, and their share of the type's sample. */
  sampled: number;
  shareOfSampled: number;
  /** zpa_relay_unknown_fields_total (only with relay metrics), and its share of the type's received records. */
  counted?: number;
  shareOfReceived?: number;
}

/** The fields of one log type. */
export interface UnknownFieldType {
  logType: string;
  stored: number;
  sampled: number;
  /** zpa_relay_records_received_total of this log type (only with relay metrics). */
  received?: number;
  fields: UnknownFieldRow[];
}

/** What the relay's /metrics say: records received, and unknown fields counted, by log type. */
export interface RelayCounts {
  received: ReadonlyMap<string, number>;
  unknownFields: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

interface Tally {
  stored: number;
  sampled: number;
  fields: Map<string, { stored: number; sampled: number }>;
}

/** Accumulates stored and sampled records; `schemaFields` gives a loaded log type's top-level field names. */
export class UnknownFieldReportBuilder {
  private readonly types = new Map<string, Tally>();

  constructor(private readonly schemaFields: (logType: string) => ReadonlySet<string> | undefined) {}

  /** A stored record: its line's top-level keys that its log type's schema lacks (none for an unknown log type or a line that is not a JSON object). */
  addStored(r: StoredRecord): void {
    if (r.logType === null) return;
    const known = this.schemaFields(r.logType);
    if (known === undefined) return;
    const t = this.tallyOf(r.logType);
    t.stored++;
    for (const f of unknownKeys(recordBytes(r).toString('utf8'), known)) this.fieldOf(t, f).stored++;
  }

  /** A sampled record: its `fields`, as the relay found them. */
  addSampled(r: UnknownFieldSampleRecord): void {
    const t = this.tallyOf(r.logType);
    t.sampled++;
    for (const f of new Set(r.fields)) this.fieldOf(t, f).sampled++;
  }

  /** The section, log types and fields by how often they occur; `relay` adds the relay's counts. */
  build(relay?: RelayCounts): UnknownFieldType[] {
    const names = new Set([...this.types.keys(), ...(relay?.unknownFields.keys() ?? [])]);
    const out: UnknownFieldType[] = [];
    for (const logType of names) {
      const t = this.types.get(logType) ?? { stored: 0, sampled: 0, fields: new Map() };
      const counted = relay?.unknownFields.get(logType);
      const received = relay?.received.get(logType) ?? 0;
      const fieldNames = new Set([...t.fields.keys(), ...(counted?.keys() ?? [])]);
      if (fieldNames.size === 0) continue;
      const fields = [...fieldNames].map((field): UnknownFieldRow => {
        const f = t.fields.get(field) ?? { stored: 0, sampled: 0 };
        const row: UnknownFieldRow = { field, stored: f.stored, shareOfStored: share(f.stored, t.stored), sampled: f.sampled, shareOfSampled: share(f.sampled, t.sampled) };
        if (relay !== undefined) {
          row.counted = counted?.get(field) ?? 0;
          row.shareOfReceived = share(row.counted, received);
        }
        return row;
      });
      fields.sort((a, b) => (b.counted ?? 0) - (a.counted ?? 0) || b.stored + b.sampled - (a.stored + a.sampled) || (a.field < b.field ? -1 : 1));
      out.push({ logType, stored: t.stored, sampled: t.sampled, ...(relay !== undefined ? { received } : {}), fields });
    }
    return out.sort((a, b) => b.stored + b.sampled - (a.stored + a.sampled) || (a.logType < b.logType ? -1 : 1));
  }

  private tallyOf(logType: string): Tally {
    let t = this.types.get(logType);
    if (t === undefined) this.types.set(logType, (t = { stored: 0, sampled: 0, fields: new Map() }));
    return t;
  }

  private fieldOf(t: Tally, field: string): { stored: number; sampled: number } {
    let f = t.fields.get(field);
    if (f === undefined) t.fields.set(field, (f = { stored: 0, sampled: 0 }));
    return f;
  }
}

/** The top-level keys of a record's text that are not in `known`; none when the text is not a JSON object. */
function unknownKeys(text: string, known: ReadonlySet<string>): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // invalid_json, an over-long record's head, a <PRI> prefix: no keys to tell.
    return [];
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.keys(v).filter((k) => !known.has(k));
}

function share(n: number, of: number): number {
  return of > 0 ? n / of : 0;
}

/** Reads zpa_relay_unknown_fields_total from /metrics text: log type -> field -> records. */
export function unknownFieldsFromMetrics(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('zpa_relay_unknown_fields_total{')) continue;
    const lt = /log_type="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    const field = /field="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (lt === undefined || field === undefined || !Number.isFinite(v)) continue;
    let m = out.get(lt);
    if (m === undefined) out.set(lt, (m = new Map()));
    m.set(field, (m.get(field) ?? 0) + v);
  }
  return out;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
}

/** The section as text for a terminal (a heading line, then one block per log type). */
export function formatUnknownFields(types: readonly UnknownFieldType[], note?: string): string {
  const out = ['', 'Fields the schemas lack (Panther drops them; stored: refused records in the store, sampled: accepted records in the unknown-field sample):'];
  if (note !== undefined) out.push(`  (${note})`);
  if (types.length === 0) out.push('  none found');
  for (const t of types) {
    out.push(`${t.logType}: ${t.stored} stored, ${t.sampled} sampled` + (t.received !== undefined ? `, ${t.received} received by the relay` : ''));
    for (const f of t.fields) {
      const parts = [`${f.stored} stored (${pct(f.shareOfStored)})`, `${f.sampled} sampled (${pct(f.shareOfSampled)})`];
      if (f.counted !== undefined) parts.push(`${f.counted} counted (${pct(f.shareOfReceived ?? 0)} of received)`);
      out.push(`  ${f.field}: ${parts.join(', ')}`);
    }
  }
  return out.join('\n') + '\n';
}
