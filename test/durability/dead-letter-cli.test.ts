/**
 * `zpa-relay dead-letter list|replay` through the real binary, against a crafted store (see
 * dead-letter-fixture.ts) and a real stand-in Panther: after a schema fix the fixable records are delivered
 * byte for byte and removed, exactly those; everything else stays, updated to its new verdict; the file the
 * relay is writing is never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { runBin } from '../helpers/relay-process.js';
import { BIN } from '../helpers/repo.js';
import { startPantherStandin, type Standin } from '../helpers/panther-standin.js';
import { readDeadLetters, startRelay, sendAndClose, waitFor } from '../helpers/relay-harness.js';
import { LssGenerator } from '../../bench/lss/generate.js';
import { craftStore, readStore, writeConfig, writeFixedSchemas, FILE_FIXABLE, FILE_MIXED, FILE_OLD, FILE_OPEN, TORN_LINE, UA, type Store } from './dead-letter-fixture.js';

const CLOSED = [FILE_OLD, FILE_MIXED, FILE_FIXABLE];

async function withStandin(fn: (panther: Standin) => Promise<void>): Promise<void> {
  const panther = await startPantherStandin();
  try {
    await fn(panther);
  } finally {
    await panther.close();
  }
}

function snapshot(s: Store): Map<string, string> {
  return new Map(readdirSync(s.store).map((n) => [n, readFileSync(join(s.store, n), 'latin1')]));
}

function remaining(s: Store): string[] {
  return readdirSync(s.store).filter((n) => n.endsWith('.jsonl')).sort();
}

test('list: a summary per file, reason and log type; --json prints the stored records; --reason and --since filter; .open is read, never changed', { timeout: 30_000 }, async () => {
  const s = craftStore();
  const cfg = writeConfig(s, 'http://127.0.0.1:9/unused');
  const before = snapshot(s);
  const openMtime = statSync(join(s.store, FILE_OPEN)).mtimeMs;

  const all = await runBin(['dead-letter', 'list', '--config', cfg]);
  assert.equal(all.code, 0, all.stderr);
  // The file the relay is writing is read too (read-only: see the mtime check below).
  assert.match(all.stdout, /^11 records in 4 files$/m);
  assert.match(all.stdout, new RegExp(`^${FILE_OLD}\\s+wrong_type\\s+${UA.replace(/\./g, '\\.')}\\s+2\\s`, 'm'));
  assert.match(all.stdout, new RegExp(`^${FILE_MIXED}\\s+sink_rejected\\s+\\S+\\s+2\\s`, 'm'));
  assert.match(all.stdout, new RegExp(`^${FILE_OLD}\\s+line_too_long\\s+\\S+\\s+1\\s`, 'm'));
  assert.match(all.stdout, /^by reason: wrong_type 7, sink_rejected 2, invalid_json 1, line_too_long 1$/m);
  assert.match(all.stdout, /1 line is not a stored record/);
  assert.match(all.stdout, new RegExp(`being written by the relay, shown up to the last record written: ${FILE_OPEN.replace(/\./g, '\\.')}`));

  const json = await runBin(['dead-letter', 'list', '--config', cfg, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const stored = readStore(s.store, [...CLOSED, FILE_OPEN]).lines.filter((l) => l !== TORN_LINE);
  assert.deepEqual(json.stdout.split('\n').filter(Boolean), stored, '--json prints the stored lines exactly, in store order');

  const wrongType = await runBin(['dead-letter', 'list', '--config', cfg, '--json', '--reason', 'wrong_type']);
  const wt = wrongType.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(wt.length, 7);
  assert.ok(wt.every((r) => r.reason === 'wrong_type'));

  const recent = await runBin(['dead-letter', 'list', '--config', cfg, '--since', '1h', '--reason', 'wrong_type,sink_rejected']);
  assert.equal(recent.code, 0, recent.stderr);
  assert.match(recent.stdout, /^7 records \(of 11 stored\) in 3 files$/m, 'the three-day-old records are left out');
  assert.doesNotMatch(recent.stdout, new RegExp(FILE_OLD));
  const rfc = await runBin(['dead-letter', 'list', '--config', cfg, '--since', new Date(Date.now() - 3600_000).toISOString().replace('Z', '+00:00')]);
  assert.match(rfc.stdout, /^7 records \(of 11 stored\) in 3 files$/m, 'RFC 3339 with an offset works like the duration');

  assert.deepEqual(snapshot(s), before, 'list changes nothing');
  assert.equal(statSync(join(s.store, FILE_OPEN)).mtimeMs, openMtime);
});

test('replay after a schema fix: fixable records delivered byte for byte and removed; the rest kept with their new verdict', { timeout: 60_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    const cfg = writeConfig(s, panther.url, s.fixedSchemas);
    const openBefore = readFileSync(join(s.store, FILE_OPEN));
    const r = await runBin(['dead-letter', 'replay', '--config', cfg]);
    assert.equal(r.code, 1, `not every selected record was delivered: exit 1\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /10 selected: 7 delivered, 2 still rejected, 0 refused by the output, 1 skipped/);
    assert.match(r.stdout, /still rejected: invalid_json 1, wrong_type ServicePort 1/);
    assert.match(r.stdout, /skipped: +line_too_long \(only the head of the line is stored\) 1/);
    assert.match(r.stdout, /store: 2 file\(s\) rewritten, 1 deleted/);

    assert.deepEqual([...panther.lines].sort(), [...s.fixable].sort(), 'exactly the fixable records reached Panther, byte for byte');
    const sent = panther.requests.filter((q) => q.status === 200).reduce((n, q) => n + q.lines, 0);
    assert.equal(sent, 7, 'each once');

    assert.deepEqual(remaining(s), [FILE_OLD, FILE_MIXED], 'a file whose records were all delivered is deleted');
    const left = readStore(s.store, remaining(s));
    assert.deepEqual(left.records.map((x) => x.reason).sort(), ['invalid_json', 'line_too_long', 'wrong_type']);
    const still = left.records.find((x) => x.reason === 'wrong_type')!;
    assert.equal(still.line, s.unfixable);
    assert.equal(still.field, 'ServicePort');
    assert.match(String(still.message), /ServicePort/, 'the stale message is replaced by the new verdict');
    const inv = left.records.find((x) => x.reason === 'invalid_json')!;
    assert.match(String(inv.message), /^invalid JSON: /);
    const tooLong = left.records.find((x) => x.reason === 'line_too_long')!;
    assert.equal(tooLong.line, s.tooLongHead, 'the over-long record is kept unchanged');
    assert.equal(tooLong.message, 'line of 5000000 bytes exceeds maxLineBytes 1048576');
    assert.equal(tooLong.length, 5_000_000);
    assert.ok(left.lines.includes(TORN_LINE), 'a line that is not a record is kept as it was');
    assert.deepEqual(readFileSync(join(s.store, FILE_OPEN)), openBefore, 'the .open file is untouched');
    assert.deepEqual(readdirSync(s.store).filter((n) => n.includes('tmp') || n.includes('lock')), [], 'no temporary or lock file left');

    // A second replay finds nothing more to deliver and sends nothing.
    const again = await runBin(['dead-letter', 'replay', '--config', cfg, '--reason', 'wrong_type']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /1 selected: 0 delivered, 1 still rejected/);
    assert.equal(panther.lines.length, 7);
  });
});

test('replay --since/--reason select a subset; exit 0 when every selected record was delivered; the others stay byte for byte', { timeout: 60_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    const cfg = writeConfig(s, panther.url); // bundled schemas: only the records Panther refused are fixable
    const before = readStore(s.store, CLOSED).lines;
    const r = await runBin(['dead-letter', 'replay', '--config', cfg, '--since', '1h', '--reason', 'sink_rejected']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 selected: 2 delivered, 0 still rejected, 0 refused by the output, 0 skipped/);
    assert.deepEqual([...panther.lines].sort(), [...s.refused400].sort());
    const after = readStore(s.store, CLOSED).lines;
    assert.deepEqual(after, before.filter((l) => l === TORN_LINE || !s.refused400.includes(String((JSON.parse(l) as Record<string, unknown>).line))));
    assert.equal(after.length, before.length - 2);
  });
});

test('replay --force sends records that fail the check as stored, never invalid_json or over-long ones', { timeout: 60_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    const cfg = writeConfig(s, panther.url); // the documented schema: Policy names still fail
    const r = await runBin(['dead-letter', 'replay', '--config', cfg, '--force']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /10 selected: 8 delivered, 0 still rejected, 0 refused by the output, 2 skipped/);
    assert.match(r.stdout, /invalid_json \(cannot be forced: Panther cannot parse it\) 1/);
    assert.deepEqual([...panther.lines].sort(), [...s.fixable, s.unfixable].sort());
    const left = readStore(s.store, remaining(s));
    assert.deepEqual(left.records.map((x) => x.reason).sort(), ['invalid_json', 'line_too_long']);
    assert.equal(left.records.find((x) => x.reason === 'invalid_json')!.message, 'invalid JSON', 'skipped records are not rewritten');
  });
});

test('replay when Panther answers 400: nothing removed, records kept as sink_rejected with the new status', { timeout: 60_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    panther.script(() => ({ status: 400 }));
    const cfg = writeConfig(s, panther.url, s.fixedSchemas);
    const r = await runBin(['dead-letter', 'replay', '--config', cfg, '--reason', 'wrong_type']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /6 selected: 0 delivered, 1 still rejected, 5 refused by the output, 0 skipped/);
    assert.match(r.stdout, /refused: +status 400 5/);
    assert.equal(panther.lines.length, 0);
    const left = readStore(s.store, CLOSED).records;
    assert.equal(left.length, 10, 'every record is still there');
    const refused = left.filter((x) => x.reason === 'sink_rejected' && x.status === 400);
    assert.equal(refused.length, 7, '5 refused now, plus the 2 stored refusals that were not selected');
    for (const n of s.named) assert.ok(refused.some((x) => x.line === n), 'a Policy-name record now carries the output refusal');
  });
});

test('replay --dry-run sends nothing and changes nothing', { timeout: 30_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    const cfg = writeConfig(s, panther.url, s.fixedSchemas);
    const before = snapshot(s);
    const r = await runBin(['dead-letter', 'replay', '--config', cfg, '--dry-run', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const sum = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(sum.dryRun, true);
    assert.equal(sum.selected, 10);
    assert.equal(sum.delivered, 7);
    assert.equal(sum.stillRejected, 2);
    assert.equal(sum.skipped, 1);
    assert.equal(panther.requests.length, 0);
    assert.deepEqual(snapshot(s), before);
  });
});

test('a record stored as lineBase64 (not UTF-8) is sent as its original bytes (directory output)', { timeout: 30_000 }, async () => {
  const s = craftStore();
  const out = join(s.dir, 'out');
  const cfg = join(s.dir, 'dir-output.yaml');
  writeFileSync(cfg, `listeners: [{ name: ua, port: 0, logType: ${UA} }]\noutput: { type: directory, directory: { path: "${out}" } }\ndeadLetter: { path: "${s.store}" }\nschemas: { path: "${s.fixedSchemas}" }\n`);
  const r = await runBin(['dead-letter', 'replay', '--config', cfg, '--since', '1h', '--reason', 'wrong_type']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /4 selected: 3 delivered, 1 still rejected/);
  const files = readdirSync(join(out, UA)).filter((n) => n.endsWith('.json.gz'));
  const body = Buffer.concat(files.map((f) => gunzipSync(readFileSync(join(out, UA, f)))));
  assert.ok(body.includes(Buffer.concat([s.base64Bytes, Buffer.from('\n')])), 'the 0xff byte arrives as it was read');
  assert.equal(body.toString('latin1').split('\n').filter(Boolean).length, 3);
});

test('SIGINT while Panther keeps failing: the replay stops, unsettled records stay unchanged, exit 1', { timeout: 30_000 }, async () => {
  const s = craftStore();
  await withStandin(async (panther) => {
    panther.script(() => ({ status: 503 }));
    // maxRetries 0: retry forever, as the relay's default; only the operator's Ctrl-C ends it.
    const cfg = writeConfig(s, panther.url, '', 0);
    const before = snapshot(s);
    const child = spawn(process.execPath, [BIN, 'dead-letter', 'replay', '--config', cfg, '--reason', 'sink_rejected'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => panther.requests.length >= 2, 'the replay retrying');
    child.kill('SIGINT');
    assert.equal(await exited, 1);
    assert.match(stdout, /2 selected: 0 delivered, 0 still rejected, 0 refused by the output, 0 skipped, 2 not sent \(interrupted\)/);
    assert.deepEqual(snapshot(s), before, 'the store is as it was, and no lock is left behind');
  });
});

test('dead letters the real relay wrote are replayed after the schema fix and the store empties', { timeout: 60_000 }, async () => {
  const gen = new LssGenerator(93, { policyNameShare: 1 });
  const named = Array.from({ length: 30 }, (_, i) => gen.userActivity().replace('"SessionID": "', `"SessionID": "q${i}`));
  const h = await startRelay();
  let store: string;
  try {
    await sendAndClose(h.port('ua'), named.join('\n') + '\n');
    store = join(h.dir, 'dead-letter');
    await waitFor(() => readDeadLetters(store).length === 30, '30 dead letters');
  } finally {
    await h.stop(); // closes the .open file
  }
  await withStandin(async (panther) => {
    const s = { dir: h.dir, store } as Store;
    const cfg = writeConfig(s, panther.url, writeFixedSchemas(h.dir));
    const r = await runBin(['dead-letter', 'replay', '--config', cfg]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /30 selected: 30 delivered/);
    assert.deepEqual([...panther.lines].sort(), [...named].sort());
    assert.deepEqual(readdirSync(store).filter((n) => /\.jsonl(\.gz)?$/.test(n)), []);
  });
});

test('usage and lock errors exit 2 with a code', { timeout: 30_000 }, async () => {
  const s = craftStore();
  const cfg = writeConfig(s, 'http://127.0.0.1:9/unused');
  for (const [args, re] of [
    [['dead-letter'], /ZPA_ERR_USAGE: name a subcommand/],
    [['dead-letter', 'purge'], /ZPA_ERR_USAGE: unknown subcommand "purge"/],
    [['dead-letter', 'list', '--since', 'yesterday'], /ZPA_ERR_USAGE: --since: "yesterday"/],
    [['dead-letter', 'list', '--reason', 'bogus'], /ZPA_ERR_USAGE: --reason: unknown reason "bogus"/],
    [['dead-letter', 'list', '--force'], /ZPA_ERR_USAGE: --force does not apply to list/],
    [['dead-letter', 'list', '--config', join(s.dir, 'missing.yaml')], /ZPA_ERR_CONFIG_READ/],
  ] as const) {
    const r = await runBin([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // A live process holds the lock (this test process): a second replay must not run.
  writeFileSync(join(s.store, '.replay.lock'), `${process.pid}\n`);
  const busy = await runBin(['dead-letter', 'replay', '--config', cfg]);
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, /ZPA_ERR_DEAD_LETTER_BUSY/);
  assert.ok(existsSync(join(s.store, FILE_FIXABLE)), 'nothing was replayed');
  const help = await runBin(['dead-letter', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /zpa-relay dead-letter <list\|replay\|report>/);
});
