/**
 * The schema-drift report over the dead-letter store (`zpa-relay dead-letter report`): per log type, which
 * fields fail and why, how often, three example values each, and the share of records affected.
 *
 * Example values are what an operator needs to decide on a schema fix, and no more: the failing field's
 * value taken from the stored line, JSON-encoded, cut to 80 characters, and replaced by `[redacted]` when the
 * field's name looks like a secret (secret, token, password, key). Records without a failing field
 * (invalid_json, line_too_long, sink refusals) show the start of their line instead.
 */
import { recordBytes, type StoredRecord } from './dead-letter-reader.js';

/** Longest example value shown, in characters. */
export const EXAMPLE_MAX_CHARS = 80;
const EXAMPLES_PER_ROW = 3;
const SECRET_NAME = /secret|token|password|key/i;

/** One (reason, field, status) group of a log type. */
export interface DriftRow {
  reason: string;
  field: string | null;
  status?: number;
  count: number;
  /** count / records of this log type in the store. */
  shareOfStored: number;
  /** count / records of this log type the relay received (only with relay metrics). */
  shareOfReceived?: number;
  examples: string[];
}

/** The rows of one log type. */
export interface DriftType {
  logType: string;
  stored: number;
  /** zpa_relay_records_received_total for this log type, summed over listeners (only with relay metrics). */
  received?: number;
  rows: DriftRow[];
}

/** The whole report. */
export interface DriftReport {
  records: number;
  unreadable: number;
  logTypes: DriftType[];
}

/** Accumulates stored records into a report, holding only counts and a few examples. */
export class DriftReportBuilder {
  private readonly types = new Map<string, { stored: number; rows: Map<string, DriftRow> }>();
  private records = 0;
  private unreadable = 0;

  /** Counts a line that is not a stored record. */
  addUnreadable(): void {
    this.unreadable++;
  }

  add(r: StoredRecord): void {
    this.records++;
    const lt = r.logType ?? 'unknown';
    let t = this.types.get(lt);
    if (!t) this.types.set(lt, (t = { stored: 0, rows: new Map() }));
    t.stored++;
    const field = typeof r.field === 'string' && r.field !== '' ? r.field : null;
    const status = typeof r.status === 'number' ? r.status : undefined;
    const key = `${r.reason}\0${field ?? ''}\0${status ?? ''}`;
    let row = t.rows.get(key);
    if (!row) {
      row = { reason: r.reason, field, ...(status !== undefined ? { status } : {}), count: 0, shareOfStored: 0, examples: [] };
      t.rows.set(key, row);
    }
    row.count++;
    if (row.examples.length < EXAMPLES_PER_ROW) {
      const ex = exampleOf(r, field);
      if (!row.examples.includes(ex)) row.examples.push(ex);
    }
  }

  /** The report; `received` (log type -> records received) adds the share of all traffic. */
  build(received?: ReadonlyMap<string, number>): DriftReport {
    const logTypes: DriftType[] = [];
    for (const [logType, t] of this.types) {
      const recv = received?.get(logType);
      const rows = [...t.rows.values()]
        .map((row) => ({ ...row, shareOfStored: row.count / t.stored, ...(recv ? { shareOfReceived: row.count / recv } : {}) }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || (a.field ?? '').localeCompare(b.field ?? ''));
      logTypes.push({ logType, stored: t.stored, ...(received ? { received: recv ?? 0 } : {}), rows });
    }
    logTypes.sort((a, b) => b.stored - a.stored || a.logType.localeCompare(b.logType));
    return { records: this.records, unreadable: this.unreadable, logTypes };
  }
}

/** The example shown for a record: its failing field's value, or the start of its line. */
export function exampleOf(r: StoredRecord, field: string | null): string {
  if (field !== null) {
    if (SECRET_NAME.test(field)) return '[redacted]';
    if (r.line !== undefined) {
      let obj: unknown;
      try {
        obj = JSON.parse(r.line);
      } catch {
        // A stored line that no longer parses (a repaired record): fall through to the start of the line.
        obj = undefined;
      }
      if (obj !== undefined) {
        const v = valueAt(obj, field);
        return truncate(v === undefined ? '(missing)' : JSON.stringify(v));
      }
    }
  }
  if (r.line === undefined) return `(${recordBytes(r).length} bytes, not UTF-8)`;
  return truncate(r.line);
}

/** The value at a verdict's field path (`Policy`, `Apps[2].Name`); undefined when absent. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    else cur = Object.prototype.hasOwnProperty.call(cur, m[1]!) ? (cur as Record<string, unknown>)[m[1]!] : undefined;
  }
  return cur;
}

/** Cuts to EXAMPLE_MAX_CHARS characters (code points, never half a surrogate pair), marking the cut with '...'. */
export function truncate(s: string): string {
  const chars = Array.from(s);
  return chars.length <= EXAMPLE_MAX_CHARS ? s : chars.slice(0, EXAMPLE_MAX_CHARS).join('') + '...';
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
}

/** The report as text for a terminal. */
export function formatDriftReport(rep: DriftReport): string {
  const out: string[] = [];
  out.push(`${rep.records} stored record${rep.records === 1 ? '' : 's'}` + (rep.unreadable > 0 ? ` (${rep.unreadable} unreadable line${rep.unreadable === 1 ? '' : 's'} not counted)` : ''));
  for (const t of rep.logTypes) {
    out.push('');
    out.push(`${t.logType}: ${t.stored} stored` + (t.received !== undefined ? `, ${t.received} received by the relay` : ''));
    for (const row of t.rows) {
      const what = `${row.reason}${row.field !== null ? ` ${row.field}` : ''}${row.status !== undefined ? ` (status ${row.status})` : ''}`;
      const shares = `${pct(row.shareOfStored)} of stored` + (row.shareOfReceived !== undefined ? `, ${pct(row.shareOfReceived)} of received` : '');
      out.push(`  ${what}: ${row.count} (${shares})`);
      for (const ex of row.examples) out.push(`      e.g. ${ex}`);
    }
  }
  return out.join('\n') + '\n';
}
