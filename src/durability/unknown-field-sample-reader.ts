/**
 * Reads the unknown-field sample the relay keeps (format: unknown-field-sample-entry.ts), for
 * `zpa-relay schema derive` and `zpa-relay dead-letter report`. Files are small (at most 4 MiB per log type).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_FILE_SUFFIX, parseSampleEntry, sampleDir, sampleFileName, type UnknownFieldSampleRecord } from './unknown-field-sample-entry.js';

export type { UnknownFieldSampleRecord } from './unknown-field-sample-entry.js';

/**
 * The sampled records of `logType` (every log type when absent), in file order, from
 * `<deadLetterPath>/samples/`. A missing directory or file is an empty sample; lines that are not sample
 * records (a torn last line) are skipped.
 */
export async function readUnknownFieldSample(deadLetterPath: string, logType?: string): Promise<UnknownFieldSampleRecord[]> {
  const dir = sampleDir(deadLetterPath);
  let names: string[];
  if (logType !== undefined) {
    const name = sampleFileName(logType);
    names = name === undefined ? [] : [name];
  } else {
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(SAMPLE_FILE_SUFFIX)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
  const out: UnknownFieldSampleRecord[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const r = parseSampleEntry(line);
      if (r !== undefined) out.push(r);
    }
  }
  return out;
}
