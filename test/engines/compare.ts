/**
 * Runs the simdjson and reference engines on the same batch and lists every difference: framing, verdict,
 * reason, field, log type, message, event time and an accepted record's unknown fields (as a set), both for the native checker's own per-line results
 * (before any reference help; a rejection's message as the simdjson engine words it) and for the engines'
 * complete outputs (what the worker forwards).
 */
import assert from 'node:assert/strict';
import type { BatchVerdicts } from '../../workers/engines/engine-types.js';
import { LINE_ACCEPTED, LINE_REJECTED } from '../../workers/engines/engine-types.js';
import { NATIVE_ACCEPTED, NATIVE_DELEGATE, NATIVE_REJECTED, NATIVE_TOO_LONG } from '../../workers/engines/native-addon.js';
import type { ReferenceEngine } from '../../workers/engines/reference-engine.js';
import type { SimdjsonEngine } from '../../workers/engines/simdjson-engine.js';

const REASON_CODES: Record<string, number> = { wrong_type: 2, out_of_range: 3, bad_timestamp: 4, missing_required: 5, unknown_log_type: 8 };

/** Counts over every compared line. */
export class DiffStats {
  lines = 0;
  /** Lines the native checker decided itself (not delegated to the reference). */
  decided = 0;
  delegated = 0;
  accepted = 0;
  rejected = 0;
  /** Natively rejected lines whose message the simdjson engine wrote itself, and those it left to the reference. */
  worded = 0;
  wordedByReference = 0;
  readonly mismatches: string[] = [];

  add(other: DiffStats): void {
    this.lines += other.lines;
    this.decided += other.decided;
    this.delegated += other.delegated;
    this.accepted += other.accepted;
    this.rejected += other.rejected;
    this.worded += other.worded;
    this.wordedByReference += other.wordedByReference;
    this.mismatches.push(...other.mismatches.slice(0, 20 - this.mismatches.length));
  }
}

function show(line: Uint8Array): string {
  const s = Buffer.from(line).toString('utf8');
  return JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}...(${s.length})` : s);
}

/** Same event time: identical, or both the parse time (the record has no event time) within the call. */
function sameTime(a: number, b: number, t0: number, t1: number): boolean {
  if (a === b) return true;
  return a >= t0 && a <= t1 && b >= t0 && b <= t1;
}

/** Compares the engines on `lines` (joined with '\n') under `logType`; differences go to `stats.mismatches`. */
export function compareEngines(
  simd: SimdjsonEngine,
  ref: ReferenceEngine,
  lines: readonly (string | Uint8Array)[],
  logType: string,
  stats: DiffStats,
  maxLineBytes = 1 << 20,
): void {
  const data = Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')]));
  const miss = (what: string, line: Uint8Array): void => {
    if (stats.mismatches.length < 20) stats.mismatches.push(`${logType}: ${what}: ${show(line)}`);
  };
  const t0 = Date.now();
  const raw = simd.nativeBatch(data, logType, maxLineBytes)!;
  const r = ref.checkBatch(data, logType, maxLineBytes);
  const s = simd.checkBatch(data, logType, maxLineBytes);
  const t1 = Date.now();
  assert.equal(raw.count, r.count, 'framing: line count');
  assert.deepEqual([...raw.starts], [...r.starts], 'framing: starts');
  assert.deepEqual([...raw.ends], [...r.ends], 'framing: ends');
  let rejectedSeen = 0;
  for (let i = 0; i < r.count; i++) {
    stats.lines++;
    const line = data.subarray(r.starts[i]!, r.ends[i]!);
    const want = r.outcomes.get(i)?.verdict;
    const refAccepted = r.status[i] === LINE_ACCEPTED;
    if (refAccepted) stats.accepted++;
    else if (r.status[i] === LINE_REJECTED) stats.rejected++;
    // 1. The native checker's own verdict.
    const st = raw.status[i]!;
    if (st === NATIVE_DELEGATE) {
      stats.delegated++;
    } else if (st === NATIVE_TOO_LONG) {
      stats.decided++;
      if (r.status[i] !== NATIVE_TOO_LONG) miss('native too long, reference not', line);
    } else {
      stats.decided++;
      const path = st === NATIVE_REJECTED ? raw.paths[rejectedSeen++]! : '';
      const refType = r.typeIndex[i]!;
      if (st === NATIVE_ACCEPTED) {
        if (!refAccepted) miss(`native accepted, reference ${want?.status === 'rejected' ? `${want.reason} ${want.field ?? ''}` : 'too long'}`, line);
        else if (raw.typeIndex[i] !== refType) miss(`log type ${raw.typeIndex[i]} vs ${refType}`, line);
        else if (!sameTime(Number.isNaN(raw.eventMs[i]!) ? t0 : raw.eventMs[i]!, r.eventTimes[i]!, t0, t1)) {
          miss(`event time ${raw.eventMs[i]} vs ${r.eventTimes[i]}`, line);
        }
      } else if (want === undefined || want.status !== 'rejected') {
        miss(`native rejected (${raw.reason[i]} ${path}), reference accepted`, line);
      } else {
        const field = want.reason === 'unknown_log_type' ? '' : (want.field ?? '');
        const nativeField = want.reason === 'unknown_log_type' ? '' : path;
        if (REASON_CODES[want.reason] !== raw.reason[i] || field !== nativeField || raw.typeIndex[i] !== refType) {
          miss(`native ${raw.reason[i]} "${nativeField}" type ${raw.typeIndex[i]}, reference ${want.reason} "${field}" type ${refType}`, line);
        }
        const own = simd.nativeRejection(data, raw, i, path);
        if (own === undefined) stats.wordedByReference++;
        else {
          stats.worded++;
          if (own.message !== want.message) miss(`message ${JSON.stringify(own.message)}, reference ${JSON.stringify(want.message)}`, line);
        }
      }
    }
    // 2. The complete outputs, as the worker consumes them.
    compareOutputs(s, r, i, t0, t1, (what) => miss(`engine output: ${what}`, line));
  }
}

function compareOutputs(s: BatchVerdicts, r: BatchVerdicts, i: number, t0: number, t1: number, miss: (what: string) => void): void {
  if (s.status[i] !== r.status[i]) return miss(`status ${s.status[i]} vs ${r.status[i]}`);
  if (s.typeIndex[i] !== r.typeIndex[i]) return miss(`type ${s.typeIndex[i]} vs ${r.typeIndex[i]}`);
  const so = s.outcomes.get(i);
  const ro = r.outcomes.get(i);
  if (r.status[i] === LINE_ACCEPTED) {
    if (!sameTime(s.eventTimes[i]!, r.eventTimes[i]!, t0, t1)) return miss(`event time ${s.eventTimes[i]} vs ${r.eventTimes[i]}`);
    if ((so?.repairs ?? []).join() !== (ro?.repairs ?? []).join()) return miss('repairs differ');
    if (so?.repairedLine !== ro?.repairedLine) return miss('repaired line differs');
    const su = unknownOf(s, i);
    const ru = unknownOf(r, i);
    if (su !== ru) return miss(`unknown fields ${su} vs ${ru}`);
    return;
  }
  if (r.status[i] === LINE_REJECTED) {
    const sm = so?.verdict.status === 'rejected' ? so.verdict.message : undefined;
    const rm = ro?.verdict.status === 'rejected' ? ro.verdict.message : undefined;
    if (sm !== rm) return miss(`message ${JSON.stringify(sm)} vs ${JSON.stringify(rm)}`);
    try {
      assert.deepEqual(so, ro);
    } catch {
      miss(`rejection ${JSON.stringify(so)} vs ${JSON.stringify(ro)}`);
    }
  }
}

/** Line `i`'s unknown fields as a comparable text: its set's log type and sorted names ('' when none). */
export function unknownOf(v: BatchVerdicts, i: number): string {
  const s = v.unknownSet[i]!;
  if (s < 0) return '';
  const set = v.unknownSets[s]!;
  return JSON.stringify([set.logType, [...set.names].sort()]);
}
