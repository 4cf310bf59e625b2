/**
 * The records `schema derive` works from, gathered from three places:
 *  - the dead-letter store (found through the relay's config): records of the base log type the relay
 *    refused, or that arrived on a listener of that type and matched no schema;
 *  - the sample the relay keeps of accepted records that carry fields their schema lacks
 *    (`<deadLetter.path>/samples/<logType>.jsonl`);
 *  - record files given on the command line: raw LSS lines (a capture of a listener's traffic), or
 *    dead-letter/sample files, whose stored lines are taken.
 * Each record's text is what the relay checks: the same repairs apply (a syslog `<PRI>` prefix stripped,
 * the old template's `"Key": ,` made `[]`). Records no schema can take are counted and left out.
 */
import { createReadStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { RelayError } from '../../errors.js';
import { isCompressedFile, isTruncated, listStoreFiles, parseStoredLine, readStoreFile, recordBytes, scanStore, type StoredRecord } from '../../durability/dead-letter-reader.js';
import { readUnknownFieldSample, type UnknownFieldSampleRecord } from '../../durability/unknown-field-sample-reader.js';
import { parseSampleEntry } from '../../durability/unknown-field-sample-entry.js';
import { repairEmptyLists, syslogPriLength, type RepairOptions } from '../lss-repairs.js';

/** Reasons a stored record cannot help derive a schema: Panther could not parse it under any schema. */
const UNFIXABLE = new Set(['invalid_json', 'not_an_object', 'line_too_long']);

export interface GatherOptions {
  /** The base log type. */
  readonly logType: string;
  /** The dead-letter store's directory, or undefined to leave the store and the sample out. */
  readonly storeDir?: string;
  /** Configured listeners' log types by name (records refused on an `auto` listener carry none). */
  readonly listenerTypes: ReadonlyMap<string, string>;
  readonly files: readonly string[];
  readonly repairs: RepairOptions;
  /** Gets each record's text, repairs applied (records are streamed: a store may hold gigabytes). */
  readonly onRecord: (text: string) => void;
}

export interface Gathered {
  /** Records handed to onRecord, by source. */
  readonly fromStore: number;
  readonly fromSample: number;
  readonly fromFiles: number;
  /** Records left out before derivation, by reason. */
  readonly leftOut: Record<string, number>;
  /** The store directory did not exist (an empty store). */
  readonly storeMissing: boolean;
}

/** The text the relay would check for `line` (repairs applied the same way the engine applies them). */
export function repaired(line: string, repairs: RepairOptions): string {
  let text = line;
  if (repairs.stripSyslogPri) text = text.slice(syslogPriLength(text));
  if (repairs.emptyListToArray) {
    try {
      JSON.parse(text);
    } catch {
      return repairEmptyLists(text) ?? text;
    }
  }
  return text;
}

/** Whether a stored record belongs to the base log type. */
function belongs(r: StoredRecord, opts: GatherOptions): boolean {
  if (r.logType === opts.logType) return true;
  if (r.logType !== null) return false;
  // Refused by auto-detection: the listener's type, or the schema the message names as the closest.
  return opts.listenerTypes.get(r.listener) === opts.logType || r.message.includes(`closest: ${opts.logType} `);
}

/** Reads every source; throws ZPA_ERR_DEAD_LETTER_READ naming what could not be read. */
export async function gatherRecords(opts: GatherOptions): Promise<Gathered> {
  const leftOut: Record<string, number> = {};
  let fromStore = 0;
  let fromSample = 0;
  let fromFiles = 0;
  let storeMissing = false;
  const take = (r: StoredRecord): boolean => {
    const bytes = recordBytes(r);
    if (UNFIXABLE.has(r.reason) || isTruncated(r, bytes.length)) {
      const why = isTruncated(r, bytes.length) ? 'line_too_long' : r.reason;
      leftOut[why] = (leftOut[why] ?? 0) + 1;
      return false;
    }
    opts.onRecord(repaired(bytes.toString('utf8'), opts.repairs));
    return true;
  };

  if (opts.storeDir !== undefined) {
    const dir = opts.storeDir;
    try {
      const files = await listStoreFiles(dir);
      storeMissing = files.missing;
      await scanStore(files, (_file, line) => {
        if (line.record !== undefined && belongs(line.record, opts) && take(line.record)) fromStore++;
      });
      for (const r of await readUnknownFieldSample(dir, opts.logType)) {
        opts.onRecord(repaired(sampleText(r), opts.repairs));
        fromSample++;
      }
    } catch (err) {
      throw new RelayError('ZPA_ERR_DEAD_LETTER_READ', `cannot read the dead-letter store at ${dir}: ${(err as Error).message} (run from the relay's working directory, or name its config with --config)`);
    }
  }

  for (const file of opts.files) {
    try {
      // A compressed dead-letter file (`dl-*.jsonl.gz`) is read through the store's frame reader.
      if (isCompressedFile(basename(file))) {
        const lines = await readStoreFile(dirname(file), basename(file), true);
        if (lines === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        for (const line of lines) {
          if (line.record !== undefined && belongs(line.record, opts) && take(line.record)) fromFiles++;
        }
        continue;
      }
      await readLines(file, (text) => {
        const stored = parseStoredLine(text);
        if (stored !== undefined && typeof stored.listener === 'string') {
          if (belongs(stored, opts) && take(stored)) fromFiles++;
          return;
        }
        const sampled = parseSampleEntry(text);
        opts.onRecord(repaired(sampled !== undefined ? sampleText(sampled) : text, opts.repairs));
        fromFiles++;
      });
    } catch (err) {
      throw new RelayError('ZPA_ERR_DEAD_LETTER_READ', `cannot read record file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { fromStore, fromSample, fromFiles, leftOut, storeMissing };
}

/** The record text of a sample record. */
function sampleText(r: UnknownFieldSampleRecord): string {
  return r.line ?? Buffer.from(r.lineBase64 ?? '', 'base64').toString('utf8');
}

/** Calls `onLine` for each non-empty line of `file` (CR before LF dropped). */
async function readLines(file: string, onLine: (text: string) => void): Promise<void> {
  const input = createReadStream(file, { encoding: 'utf8' });
  try {
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const text of rl) if (text.trim().length > 0) onLine(text);
  } finally {
    input.destroy();
  }
}
