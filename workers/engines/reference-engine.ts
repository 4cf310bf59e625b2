/**
 * The reference batch engine: frames the batch and runs the TypeScript SchemaEngine on each line. Its
 * verdicts define correct; the simdjson engine is tested against it (test/engines/differential.test.ts).
 */
import type { CheckOutcome, SchemaEngine } from '../../src/schema/engine.js';
import type { BatchEngine, BatchVerdicts } from './engine-types.js';
import { LINE_ACCEPTED, LINE_REJECTED, LINE_TOO_LONG } from './engine-types.js';
import { UnknownFieldSets } from './unknown-field-sets.js';

/** Wraps a loaded SchemaEngine as a BatchEngine. */
export class ReferenceEngine implements BatchEngine {
  readonly name = 'reference' as const;
  readonly logTypes: readonly string[];
  private readonly typeIndexOf: ReadonlyMap<string, number>;

  constructor(readonly schemaEngine: SchemaEngine) {
    this.logTypes = schemaEngine.logTypes;
    this.typeIndexOf = new Map(this.logTypes.map((t, i) => [t, i]));
  }

  /** One line's outcome; an engine bug becomes a rejection that keeps the line, never a lost record. */
  checkLine(line: Uint8Array, logType: string): CheckOutcome {
    const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
    try {
      return this.schemaEngine.checkLine(text, logType);
    } catch (err) {
      const lt = logType === 'auto' ? null : logType;
      return {
        verdict: { status: 'rejected', logType: lt, reason: 'invalid_json', message: `engine error: ${(err as Error).message}` },
        repairs: [],
      };
    }
  }

  checkBatch(data: Uint8Array, logType: string, maxLineBytes: number): BatchVerdicts {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const starts: number[] = [];
    const ends: number[] = [];
    const status: number[] = [];
    const typeIndex: number[] = [];
    const eventTimes: number[] = [];
    const outcomes = new Map<number, CheckOutcome>();
    const unknownSet: number[] = [];
    const sets = new UnknownFieldSets();
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(0x0a, start);
      if (nl === -1) nl = buf.length;
      let end = nl;
      if (end > start && buf[end - 1] === 0x0d) end--; // CRLF tolerated
      const lineStart = start;
      start = nl + 1;
      if (end === lineStart) continue; // empty line: nothing to check or forward
      const i = starts.length;
      starts.push(lineStart);
      ends.push(end);
      if (end - lineStart > maxLineBytes) {
        status.push(LINE_TOO_LONG);
        typeIndex.push(-1);
        eventTimes.push(NaN);
        unknownSet.push(-1);
        continue;
      }
      const outcome = this.checkLine(buf.subarray(lineStart, end), logType);
      const v = outcome.verdict;
      typeIndex.push(v.logType === null ? -1 : (this.typeIndexOf.get(v.logType) ?? -1));
      if (v.status === 'accepted') {
        status.push(LINE_ACCEPTED);
        eventTimes.push(v.eventTime);
        unknownSet.push(outcome.unknownFields === undefined ? -1 : sets.add(v.logType, outcome.unknownFields));
        if (outcome.repairs.length > 0) outcomes.set(i, outcome);
      } else {
        status.push(LINE_REJECTED);
        eventTimes.push(NaN);
        unknownSet.push(-1);
        outcomes.set(i, outcome);
      }
    }
    return {
      count: starts.length,
      starts: Uint32Array.from(starts),
      ends: Uint32Array.from(ends),
      status: Uint8Array.from(status),
      typeIndex: Int16Array.from(typeIndex),
      eventTimes: Float64Array.from(eventTimes),
      logTypes: this.logTypes,
      outcomes,
      unknownSet: Int32Array.from(unknownSet),
      unknownSets: sets.sets,
    };
  }
}
