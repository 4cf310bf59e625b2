/**
 * The Piscina task: split a batch into lines, check each with the schema engine, and return the
 * accepted records as their original bytes (never re-serialised: 18-digit audit IDs must arrive
 * intact) plus the rejections, in transferable buffers.
 */
import { Piscina } from 'piscina';
import { pack } from 'msgpackr';
import { SchemaEngine, lineTooLong, type CheckOutcome } from '../src/schema/engine.js';
import type { RejectReason } from '../src/schema/verdict.js';
import type { BatchResult, BatchTask, RejectedRecord } from './batch-types.js';

const TOO_LONG_HEAD_BYTES = 64 * 1024;
const engines = new Map<string, Promise<SchemaEngine>>();

function engineFor(t: BatchTask): Promise<SchemaEngine> {
  const key = `${t.generation}\0${t.schemasPath}\0${t.stripSyslogPri}\0${t.emptyListToArray}`;
  let e = engines.get(key);
  if (!e) {
    engines.clear();
    e = SchemaEngine.load(t.schemasPath || undefined, {
      repairs: { stripSyslogPri: t.stripSyslogPri, emptyListToArray: t.emptyListToArray },
    });
    engines.set(key, e);
  }
  return e;
}

export default async function checkBatch(task: BatchTask): Promise<BatchResult> {
  const engine = await engineFor(task);
  const data = Buffer.from(task.data);
  // Accepted output is at most the input plus repairs; grow if a repair lengthens a line.
  let out = Buffer.allocUnsafeSlow(data.length + 1024);
  let outLen = 0;
  const ends: number[] = [];
  const types: number[] = [];
  const times: number[] = [];
  const typeNames: string[] = [];
  const typeIdx = new Map<string, number>();
  const received: Record<string, number> = {};
  const rejected: RejectedRecord[] = [];
  const rejectedCounts = new Map<string, [string, RejectReason, number]>();
  const repairs: Record<string, number> = {};

  const reject = (logType: string | null, reason: RejectReason, field: string | undefined, message: string, line: Buffer) => {
    const length = line.length;
    const kept = length > TOO_LONG_HEAD_BYTES && reason === 'line_too_long' ? line.subarray(0, TOO_LONG_HEAD_BYTES) : line;
    rejected.push({ logType, reason, field, message, line: Uint8Array.from(kept), length });
    const lt = logType ?? 'unknown';
    const key = `${lt}\0${reason}`;
    const c = rejectedCounts.get(key);
    if (c) c[2]++;
    else rejectedCounts.set(key, [lt, reason, 1]);
  };

  let start = 0;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl === -1) nl = data.length;
    let end = nl;
    if (end > start && data[end - 1] === 0x0d) end--; // CRLF tolerated
    const next = nl + 1;
    if (end === start) {
      start = next; // empty line: nothing to check or forward
      continue;
    }
    const line = data.subarray(start, end);
    start = next;
    if (line.length > task.maxLineBytes) {
      const lt = task.logType === 'auto' ? null : task.logType;
      received[lt ?? 'unknown'] = (received[lt ?? 'unknown'] ?? 0) + 1;
      const v = lineTooLong(lt, line.length, task.maxLineBytes);
      reject(lt, 'line_too_long', undefined, v.status === 'rejected' ? v.message : 'line too long', line);
      continue;
    }
    const text = line.toString('utf8');
    let outcome: CheckOutcome;
    try {
      outcome = engine.checkLine(text, task.logType);
    } catch (err) {
      // The engine's contract is to never throw; if a bug breaks it, the record is kept, not lost.
      const lt = task.logType === 'auto' ? null : task.logType;
      received[lt ?? 'unknown'] = (received[lt ?? 'unknown'] ?? 0) + 1;
      reject(lt, 'invalid_json', undefined, `engine error: ${(err as Error).message}`, line);
      continue;
    }
    const { verdict, repairs: applied, repairedLine } = outcome;
    for (const r of applied) repairs[r] = (repairs[r] ?? 0) + 1;
    const lt = verdict.logType ?? 'unknown';
    received[lt] = (received[lt] ?? 0) + 1;
    if (verdict.status === 'rejected') {
      reject(verdict.logType, verdict.reason, verdict.field, verdict.message, line);
      continue;
    }
    const bytes = repairedLine === undefined ? line : Buffer.from(repairedLine, 'utf8');
    if (outLen + bytes.length + 1 > out.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, outLen + bytes.length + 1));
      out.copy(bigger, 0, 0, outLen);
      out = bigger;
    }
    bytes.copy(out, outLen);
    outLen += bytes.length;
    out[outLen++] = 0x0a;
    let ti = typeIdx.get(verdict.logType);
    if (ti === undefined) {
      ti = typeNames.length;
      typeNames.push(verdict.logType);
      typeIdx.set(verdict.logType, ti);
    }
    ends.push(outLen);
    types.push(ti);
    times.push(verdict.eventTime);
  }

  const result: BatchResult = {
    accepted: new Uint8Array(out.buffer, 0, outLen),
    ends: Uint32Array.from(ends),
    typeIndex: Uint8Array.from(types),
    eventTimes: Float64Array.from(times),
    typeNames,
    received,
    // Copy: msgpackr packs into a shared scratch buffer that must not be transferred away.
    rejected: rejected.length > 0 ? Uint8Array.from(pack(rejected)) : new Uint8Array(0),
    rejectedCounts: [...rejectedCounts.values()],
    repairs,
    inputBytes: data.length,
  };
  // Transfer every typed array instead of structured-cloning it: the accepted bytes are most of the batch.
  return Piscina.move(movable(result) as never) as unknown as BatchResult;
}

/** Wraps a result so Piscina transfers its buffers (the Transferable protocol of piscina). */
function movable(result: BatchResult): object {
  const buffers = [result.accepted.buffer, result.ends.buffer, result.typeIndex.buffer, result.eventTimes.buffer];
  if (result.rejected.byteLength > 0 && result.rejected.buffer !== result.accepted.buffer) buffers.push(result.rejected.buffer);
  return {
    [Piscina.transferableSymbol]: [...new Set(buffers)],
    [Piscina.valueSymbol]: result,
  };
}
