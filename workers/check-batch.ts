/**
 * The Piscina task: check a batch with the selected engine (workers/engines/: simdjson or reference, one
 * call per batch), and return the accepted records as their original bytes (never re-serialised: 18-digit
 * audit IDs must arrive intact) plus the rejections, in transferable buffers.
 */
import { Piscina } from 'piscina';
import { pack } from 'msgpackr';
import { lineTooLong } from '../src/schema/engine.js';
import type { RejectReason } from '../src/schema/verdict.js';
import type { BatchResult, BatchTask, RejectedRecord } from './batch-types.js';
import { createEngine } from './engines/create-engine.js';
import type { BatchEngine, BatchVerdicts } from './engines/engine-types.js';
import { SimdjsonEngine } from './engines/simdjson-engine.js';
import { LINE_ACCEPTED, LINE_TOO_LONG } from './engines/engine-types.js';
import { precompress } from './precompress.js';
import { encodeEntriesFrame } from '../src/durability/dead-letter-frame.js';
import { countMismatches } from '../src/durability/mismatch-counts.js';
import { RejectPolicy } from '../src/durability/reject-policy.js';
import { encodeSampleEntry } from '../src/durability/unknown-field-sample-entry.js';
import type { UnknownSampleCandidate } from '../src/durability/unknown-field-sample.js';
import { UnknownFieldTally } from './unknown-field-tally.js';
import { UnknownSamplePicker } from './unknown-field-sample-picker.js';

const TOO_LONG_HEAD_BYTES = 64 * 1024;
const engines = new Map<string, Promise<BatchEngine>>();

function engineFor(t: BatchTask): Promise<BatchEngine> {
  const choice = t.engine ?? 'auto';
  const key = `${t.generation}\0${t.schemasPath}\0${(t.schemasInclude ?? []).join('\0')}\0${t.stripSyslogPri}\0${t.emptyListToArray}\0${choice}`;
  let e = engines.get(key);
  if (!e) {
    engines.clear();
    // 'simdjson' without the addon runs the reference (see BatchTask.engine): the batch must still be checked.
    e = createEngine(choice === 'simdjson' ? 'auto' : choice, {
      schemasDir: t.schemasPath || undefined,
      include: t.schemasInclude,
      repairs: { stripSyslogPri: t.stripSyslogPri, emptyListToArray: t.emptyListToArray },
    });
    engines.set(key, e);
  }
  return e;
}

/** Per engine (a reload builds a new one): the unknown-field names counted so far, and the sample offered. */
const unknownState = new WeakMap<BatchEngine, { tally: UnknownFieldTally; picker: UnknownSamplePicker }>();

export default async function checkBatch(task: BatchTask): Promise<BatchResult> {
  const engine = await engineFor(task);
  let unknownOf = unknownState.get(engine);
  if (unknownOf === undefined) unknownState.set(engine, (unknownOf = { tally: new UnknownFieldTally(), picker: new UnknownSamplePicker() }));
  // Only the first dataLength bytes are the batch: the buffer is recycled, and what follows is left from earlier use.
  const data = Buffer.from(task.data, 0, task.dataLength ?? task.data.byteLength);
  let out = data;
  let inPlace = true;
  let outLen = 0;
  const ends: number[] = [];
  const types: number[] = [];
  const times: number[] = [];
  const typeNames: string[] = [];
  const typeIdx = new Map<string, number>();
  const received: Record<string, number> = {};
  const rejected: RejectedRecord[] = [];
  // By log type, then reason: lookups by strings the verdicts share (their hashes are cached), no key built per record.
  const rejectedCounts = new Map<string, Map<RejectReason, [string, RejectReason, number]>>();
  const repairs: Record<string, number> = {};

  const reject = (logType: string | null, reason: RejectReason, field: string | undefined, message: string, line: Buffer) => {
    const length = line.length;
    const kept = length > TOO_LONG_HEAD_BYTES && reason === 'line_too_long' ? line.subarray(0, TOO_LONG_HEAD_BYTES) : line;
    // A view, not a copy: with refused lines in the batch the input is never written over (see below).
    rejected.push({ logType, reason, field, message, line: inPlace ? Uint8Array.from(kept) : kept, length });
    const lt = logType ?? 'unknown';
    let byReason = rejectedCounts.get(lt);
    if (byReason === undefined) rejectedCounts.set(lt, (byReason = new Map()));
    const c = byReason.get(reason);
    if (c) c[2]++;
    else byReason.set(reason, [lt, reason, 1]);
  };

  let v: BatchVerdicts;
  try {
    v = engine.checkBatch(data, task.logType, task.maxLineBytes);
  } catch (err) {
    // The engines never throw for bad input; if a bug in the native one does, the reference checks the batch
    // (a thrown batch would cost every record in it without a spool).
    if (!(engine instanceof SimdjsonEngine)) throw err;
    console.error(`zpa-relay worker: the simdjson engine failed on a batch, checked by the reference engine: ${(err as Error).message}`);
    v = engine.reference.checkBatch(data, task.logType, task.maxLineBytes);
  }
  const { starts, ends: lineEnds, status, typeIndex: lineType, eventTimes, logTypes, outcomes, unknownSet, unknownSets } = v;
  // Accepted records' fields their schema lacks: counted, and a few records offered to the sample.
  const unknown = unknownOf.tally.batch(unknownSets);
  const unknownSaturated = new Uint8Array(unknownSets.length);
  const sample: UnknownSampleCandidate[] = [];
  let sampleTime: string | undefined;
  // Where accepted records go. When every line is accepted they are written over the input, in place: each
  // lands at or before where it was read, so nothing unread is overwritten, and without repairs nothing moves
  // at all; the input's buffer then goes back as the result (no allocation, no copy, no dead batch left in
  // this worker for its GC: memory the relay's byte budget cannot see). A repair that lengthens a line past
  // its room switches to a separate, growing buffer. When some lines are refused, the input stays as it is
  // (refused lines are packed straight from it) and the accepted ones are copied into a buffer of their size.
  let acceptedBytes = 0;
  let refused = false;
  for (let i = 0; i < v.count; i++) {
    if (status[i] === LINE_ACCEPTED) acceptedBytes += lineEnds[i]! - starts[i]! + 1;
    else refused = true;
  }
  if (refused) {
    out = Buffer.allocUnsafeSlow(acceptedBytes + 1024);
    inPlace = false;
  }
  // A line is its offsets in `data`: a view (a Buffer object) is made only where one is needed (a refused
  // line, a sampled one), not for each of the hundreds of records of a batch.
  for (let i = 0; i < v.count; i++) {
    const start = starts[i]!;
    const end = lineEnds[i]!;
    if (status[i] === LINE_TOO_LONG) {
      const lt = task.logType === 'auto' ? null : task.logType;
      received[lt ?? 'unknown'] = (received[lt ?? 'unknown'] ?? 0) + 1;
      const tl = lineTooLong(lt, end - start, task.maxLineBytes);
      reject(lt, 'line_too_long', undefined, tl.status === 'rejected' ? tl.message : 'line too long', data.subarray(start, end));
      continue;
    }
    const outcome = outcomes.get(i);
    let logType: string;
    let eventTime: number;
    // The repaired text, when a repair changed the line; else the line's own bytes are forwarded.
    let repaired: Buffer | undefined;
    if (outcome === undefined) {
      // The common case: accepted as is, no repair; the verdict is in the typed arrays.
      logType = logTypes[lineType[i]!]!;
      eventTime = eventTimes[i]!;
    } else {
      const { verdict, repairs: applied, repairedLine } = outcome;
      for (const r of applied) repairs[r] = (repairs[r] ?? 0) + 1;
      if (verdict.status === 'rejected') {
        const lt = verdict.logType ?? 'unknown';
        received[lt] = (received[lt] ?? 0) + 1;
        reject(verdict.logType, verdict.reason, verdict.field, verdict.message, data.subarray(start, end));
        continue;
      }
      logType = verdict.logType;
      eventTime = verdict.eventTime;
      if (repairedLine !== undefined) repaired = Buffer.from(repairedLine, 'utf8');
    }
    received[logType] = (received[logType] ?? 0) + 1;
    const us = unknownSet[i]!;
    if (us >= 0) {
      unknown.add(us);
      if (unknownSaturated[us] === 0) {
        // Before the record may be written over: data[start, end) still holds its original bytes.
        if (unknownOf.picker.wants(logType, unknown.labels[us]!)) {
          // Sorted: the engines list a record's keys in different orders (document order, or JSON.parse's).
          const fields = [...unknownSets[us]!.names].sort();
          sample.push({ logType, fields, entry: encodeSampleEntry((sampleTime ??= new Date().toISOString()), task.listener, logType, fields, data.subarray(start, end)) });
        } else unknownSaturated[us] = 1;
      }
    }
    const length = repaired !== undefined ? repaired.length : end - start;
    const room = inPlace ? (i + 1 < v.count ? starts[i + 1]! : data.length) : out.length;
    if (outLen + length + 1 > room) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(data.length + 1024, out.length * 2, outLen + length + 1));
      out.copy(bigger, 0, 0, outLen);
      out = bigger;
      inPlace = false;
    }
    if (repaired !== undefined) repaired.copy(out, outLen);
    else if (!inPlace) data.copy(out, outLen, start, end);
    else if (outLen !== start) data.copyWithin(outLen, start, end);
    outLen += length;
    out[outLen++] = 0x0a;
    let ti = typeIdx.get(logType);
    if (ti === undefined) {
      ti = typeNames.length;
      typeNames.push(logType);
      typeIdx.set(logType, ti);
    }
    ends.push(outLen);
    types.push(ti);
    times.push(eventTime);
  }

  const { deadLetters, deadLetterCounts, forward } = settleRefused(task, rejected);
  // Mostly rejected: return an exact copy rather than hold the whole input on the main thread until delivery.
  const accepted = outLen === 0 ? new Uint8Array(0) : outLen < out.length / 2 ? Uint8Array.from(out.subarray(0, outLen)) : new Uint8Array(out.buffer, out.byteOffset, outLen);
  const result: BatchResult = {
    accepted,
    ends: Uint32Array.from(ends),
    typeIndex: Uint8Array.from(types),
    eventTimes: Float64Array.from(times),
    typeNames,
    received,
    // Copy: msgpackr packs into a shared scratch buffer that must not be transferred away.
    rejected: forward.length > 0 ? Uint8Array.from(pack(forward)) : new Uint8Array(0),
    deadLetters,
    deadLetterCounts,
    mismatches: rejected.length > 0 ? countMismatches(rejected, (lt) => schemaFieldsOf(engine, lt)) : [],
    rejectedCounts: [...rejectedCounts.values()].flatMap((byReason) => [...byReason.values()]),
    repairs,
    inputBytes: data.length,
    unknownFields: unknown.counts(),
  };
  if (sample.length > 0) result.unknownSample = sample;
  // Rejections are encoded or packed copies and accepted records are elsewhere: the input can go back for reuse.
  if (accepted.buffer !== task.data) result.spare = task.data;
  if (task.compress !== undefined && outLen > 0) {
    const compressed = precompress(result.accepted, task.compress, result.ends);
    if (compressed !== undefined) {
      result.compressed = compressed.bytes;
      result.compressedRuns = compressed.runs;
      if (compressed.crcs !== undefined) result.compressedCrcs = compressed.crcs;
      result.compression = task.compress;
    }
  }
  // Transfer every typed array instead of structured-cloning it: the accepted bytes are most of the batch.
  return Piscina.move(movable(result) as never) as unknown as BatchResult;
}

/** Wraps a result so Piscina transfers its buffers (the Transferable protocol of piscina). */
function movable(result: BatchResult): object {
  const buffers = [result.accepted.buffer, result.ends.buffer, result.typeIndex.buffer, result.eventTimes.buffer];
  if (result.spare !== undefined) buffers.push(result.spare);
  if (result.rejected.byteLength > 0 && result.rejected.buffer !== result.accepted.buffer) buffers.push(result.rejected.buffer);
  if (result.deadLetters !== undefined) buffers.push(result.deadLetters.buffer);
  if (result.compressed !== undefined) buffers.push(result.compressed.buffer, result.compressedRuns!.buffer);
  if (result.compressedCrcs !== undefined) buffers.push(result.compressedCrcs.buffer);
  return {
    [Piscina.transferableSymbol]: [...new Set(buffers)],
    [Piscina.valueSymbol]: result,
  };
}

/**
 * The refused records by onReject: those to keep become dead-letter store lines here, compressed into one
 * store frame (src/durability/dead-letter-frame.ts), those to forward are packed for the main thread. Why
 * here: with real User Activity traffic most records are refused (a policy name in Policy), and encoding
 * them on the main thread (one object per record, JSON.stringify, a string of megabytes per write) took a
 * third of its time while the workers idled, and most of its heap. Compressed here, the main thread holds
 * and writes about a sixth of the bytes, and the lines are encoded without an object per record
 * (encodeEntries).
 */
function settleRefused(task: BatchTask, rejected: readonly RejectedRecord[]): { deadLetters?: Uint8Array; deadLetterCounts: Array<[string, number]>; forward: RejectedRecord[] } {
  const policy = new RejectPolicy(task.onReject ?? {});
  const keep: RejectedRecord[] = [];
  const forward: RejectedRecord[] = [];
  const counts = new Map<string, number>();
  for (const r of rejected) {
    const action = policy.actionFor(r.reason);
    if (action !== 'dead-letter') forward.push(r);
    if (action === 'forward') continue;
    keep.push(r);
    counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  }
  if (keep.length === 0) return { deadLetterCounts: [], forward };
  // encodeFrame returns a buffer of its own (never a slice of Node's shared pool): it can be moved away.
  const deadLetters = encodeEntriesFrame(keep, new Date().toISOString(), task.listener).frame;
  return { deadLetters: new Uint8Array(deadLetters.buffer, deadLetters.byteOffset, deadLetters.byteLength), deadLetterCounts: [...counts], forward };
}

/** A log type's top-level schema fields, as a set, cached per engine. */
const fieldSets = new WeakMap<BatchEngine, Map<string, ReadonlySet<string>>>();
function schemaFieldsOf(engine: BatchEngine, logType: string): ReadonlySet<string> | undefined {
  let sets = fieldSets.get(engine);
  if (sets === undefined) fieldSets.set(engine, (sets = new Map()));
  let set = sets.get(logType);
  if (set === undefined && engine.logTypes.includes(logType)) sets.set(logType, (set = new Set(engine.schemaEngine.schemaFields(logType))));
  return set;
}
