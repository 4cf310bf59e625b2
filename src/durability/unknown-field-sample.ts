/**
 * The sample of accepted records that carry fields their schema lacks, kept for `zpa-relay schema derive`
 * (format and location: unknown-field-sample-entry.ts). Small and bounded, per log type:
 * - a record is kept only if it carries an unknown field with fewer than SAMPLE_RECORDS_PER_FIELD kept records
 *   so far, so that every field's shapes are seen and the sample stops growing once each field has its share;
 * - at most SAMPLE_MAX_RECORDS records and SAMPLE_MAX_BYTES bytes per file in all, counting what earlier runs
 *   left (read at `open`).
 * The workers pick the candidates and encode their lines (workers/unknown-field-sample-picker.ts); this class,
 * on the main thread, applies the bounds and appends. No fsync: it is a sample, and a record lost in a crash
 * costs nothing (a torn last line is skipped by the reader and counted here as bytes only).
 */
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_FILE_SUFFIX, parseSampleEntry, sampleDir, sampleFileName } from './unknown-field-sample-entry.js';

/** Kept records per unknown field and log type after which the field no longer makes a record worth keeping. */
export const SAMPLE_RECORDS_PER_FIELD = 16;
/** Records per log type file, in all. */
export const SAMPLE_MAX_RECORDS = 256;
/** Bytes per log type file, in all. */
export const SAMPLE_MAX_BYTES = 4 * 1024 * 1024;

/** A record a worker offers: its log type, its unknown fields and its encoded line (without '\n'). */
export interface UnknownSampleCandidate {
  logType: string;
  fields: readonly string[];
  entry: string;
}

interface TypeState {
  file: string;
  records: number;
  bytes: number;
  perField: Map<string, number>;
  /** Appends in order: the previous one's promise. */
  writing: Promise<void>;
  /** The file ends in a torn line (a crash mid-append): the next append starts a new line. */
  torn: boolean;
}

export class UnknownFieldSample {
  private readonly dir: string;
  private readonly types = new Map<string, TypeState>();
  private opened = false;

  /** `warn` hears of a failed append (the sample is best effort: the relay goes on). */
  constructor(
    deadLetterPath: string,
    private readonly warn: (msg: string, err: Error) => void,
  ) {
    this.dir = sampleDir(deadLetterPath);
  }

  /** Created with the first record kept, so that a store without any holds no sample directory. */
  private made: Promise<unknown> | undefined;

  /** Counts what earlier runs kept (records, bytes, records per field). */
  async open(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = [];
    }
    for (const name of names) {
      if (!name.endsWith(SAMPLE_FILE_SUFFIX)) continue;
      const logType = name.slice(0, -SAMPLE_FILE_SUFFIX.length);
      if (sampleFileName(logType) !== name) continue;
      const text = await readFile(join(this.dir, name), 'utf8');
      const st = this.stateOf(logType, name);
      st.bytes = Buffer.byteLength(text);
      st.torn = text.length > 0 && !text.endsWith('\n');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        st.records++;
        for (const f of parseSampleEntry(line)?.fields ?? []) st.perField.set(f, (st.perField.get(f) ?? 0) + 1);
      }
    }
    this.opened = true;
  }

  /** Keeps the candidates the bounds allow; the appends run in the background (see `flush`). */
  offer(listener: string, candidates: readonly UnknownSampleCandidate[]): void {
    if (!this.opened) return;
    const text = new Map<TypeState, string>();
    for (const c of candidates) {
      let st = this.types.get(c.logType);
      if (st === undefined) {
        const file = sampleFileName(c.logType);
        if (file === undefined) continue;
        st = this.stateOf(c.logType, file);
      }
      const bytes = Buffer.byteLength(c.entry) + 1 + (st.torn ? 1 : 0);
      if (st.records >= SAMPLE_MAX_RECORDS || st.bytes + bytes > SAMPLE_MAX_BYTES) continue;
      if (!c.fields.some((f) => (st.perField.get(f) ?? 0) < SAMPLE_RECORDS_PER_FIELD)) continue;
      st.records++;
      st.bytes += bytes;
      for (const f of c.fields) st.perField.set(f, (st.perField.get(f) ?? 0) + 1);
      let t = text.get(st) ?? '';
      if (st.torn) {
        t += '\n';
        st.torn = false;
      }
      text.set(st, t + c.entry + '\n');
    }
    for (const [st, t] of text) {
      st.writing = st.writing
        .then(() => (this.made ??= mkdir(this.dir, { recursive: true })))
        .then(() => appendFile(join(this.dir, st.file), t))
        .catch((err: Error) => this.warn(`could not append to the unknown-field sample ${st.file} (listener ${listener})`, err));
    }
  }

  /** Resolves once every append so far is done. */
  async flush(): Promise<void> {
    await Promise.all([...this.types.values()].map((st) => st.writing));
  }

  private stateOf(logType: string, file: string): TypeState {
    let st = this.types.get(logType);
    if (st === undefined) this.types.set(logType, (st = { file, records: 0, bytes: 0, perField: new Map(), writing: Promise.resolve(), torn: false }));
    return st;
  }
}
