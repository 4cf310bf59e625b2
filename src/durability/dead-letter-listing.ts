/**
 * The summary `zpa-relay dead-letter list` prints: one row per file, reason and log type with its record
 * count and time span, then totals by reason. Only counts are held, so any store size lists in bounded memory.
 */
import type { StoredRecord } from './dead-letter-reader.js';

interface Group {
  file: string;
  reason: string;
  logType: string;
  records: number;
  first: string;
  last: string;
}

/** Accumulates selected records into the listing. */
export class DeadLetterListing {
  private readonly groups = new Map<string, Group>();
  private readonly byReason = new Map<string, number>();
  private readonly files = new Set<string>();
  selected = 0;
  total = 0;
  unreadable = 0;

  /** Counts a record of the store; `selected` says whether it passed the filters. */
  add(file: string, r: StoredRecord, selected: boolean): void {
    this.total++;
    if (!selected) return;
    this.selected++;
    this.files.add(file);
    const logType = r.logType ?? '-';
    const key = `${file}\0${r.reason}\0${logType}`;
    const g = this.groups.get(key);
    if (g) {
      g.records++;
      if (r.time < g.first) g.first = r.time;
      if (r.time > g.last) g.last = r.time;
    } else this.groups.set(key, { file, reason: r.reason, logType, records: 1, first: r.time, last: r.time });
    this.byReason.set(r.reason, (this.byReason.get(r.reason) ?? 0) + 1);
  }

  /** The listing as text; `header` describes the store and the filters. */
  format(header: string, openFiles: readonly string[]): string {
    const out = [header];
    const filtered = this.selected !== this.total ? ` (of ${this.total} stored)` : '';
    out.push(`${this.selected} record${this.selected === 1 ? '' : 's'}${filtered} in ${this.files.size} file${this.files.size === 1 ? '' : 's'}`);
    if (this.groups.size > 0) {
      const rows = [['FILE', 'REASON', 'LOG TYPE', 'RECORDS', 'FIRST', 'LAST']];
      for (const g of this.groups.values()) rows.push([g.file, g.reason, g.logType, String(g.records), g.first, g.last]);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) out.push(r.map((v, c) => (c === 3 ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join('  ').trimEnd());
      const reasons = [...this.byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      out.push(`by reason: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (this.unreadable > 0) out.push(`${this.unreadable} line${this.unreadable === 1 ? ' is' : 's are'} not a stored record (left as they are)`);
    if (openFiles.length > 0) out.push(`${openFiles.length} file${openFiles.length === 1 ? ' is' : 's are'} being written by the relay, shown up to the last record written: ${openFiles.join(', ')}`);
    return out.join('\n') + '\n';
  }
}
