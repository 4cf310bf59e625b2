/**
 * Pinned verdicts of LSS records: one row per line of a file, with the verdict under the file's log type
 * and under auto-detection, the repairs applied, and why. The project's own records (test/fixtures/lss,
 * fixtures.test.ts) and the public samples beside a clone (../shared/samples, samples.test.ts) use it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SchemaEngine } from '../../src/schema/engine.js';

export const UA = 'Zscaler.ZPA.UserActivity';
export const US = 'Zscaler.ZPA.UserStatus';
export const ACS = 'Zscaler.ZPA.AppConnectorStatus';
export const ACM = 'Zscaler.ZPA.AppConnectorMetrics';
export const AUDIT = 'Zscaler.ZPA.AuditLog';

/** status / reason / field, as a compact string: `accepted`, `wrong_type Policy`, `invalid_json`. */
export type Pin = string;

/** One pinned line. */
export interface Row {
  /** file:line relative to the directory of records */
  at: string;
  /** log type the file holds ('auto' when no schema exists for it) */
  logType: string;
  typed: Pin;
  /** verdict under auto-detection, with the detected type for accepted ones */
  auto: Pin;
  repairs?: string;
  why: string;
}

function pin(v: { status: string; reason?: string; field?: string; logType: string | null }, withType: boolean): Pin {
  if (v.status === 'accepted') return withType ? `accepted ${v.logType}` : 'accepted';
  return v.field === undefined ? v.reason! : `${v.reason} ${v.field}`;
}

/** The lines of a records file (without the final empty one). */
export function readLines(dir: string, rel: string): string[] {
  const lines = readFileSync(path.join(dir, rel), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The line a row pins. */
export function lineOf(dir: string, at: string): string {
  const [file, lineNo] = at.split(':') as [string, string];
  return readLines(dir, file)[Number(lineNo) - 1]!;
}

/** Asserts a row's verdicts, typed and under auto, and its repairs. */
export function assertRow(engine: SchemaEngine, dir: string, row: Row): void {
  const line = lineOf(dir, row.at);
  const typed = engine.checkLine(line, row.logType);
  assert.equal(pin(typed.verdict, false), row.typed, typed.verdict.status === 'rejected' ? typed.verdict.message : '');
  if (row.logType !== 'auto') assert.equal(typed.verdict.logType, row.logType);
  assert.equal(typed.repairs.join(','), row.repairs ?? '');
  const auto = engine.checkLine(line, 'auto');
  assert.equal(pin(auto.verdict, true), row.auto);
  if (auto.verdict.status === 'rejected') assert.equal(auto.verdict.logType, null);
}
