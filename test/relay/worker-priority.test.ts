/**
 * workers.niceIncrement: the worker threads run that much below the main thread (Linux nice), so that the
 * thread that reads the sockets and hands batches over gets a core at once. Read from /proc, the kernel's
 * own word on each thread's priority, while a real relay (in this process) checks real records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startRelay, sendAndClose, waitFor } from '../helpers/relay-harness.js';
import { sumMetric } from '../helpers/metrics-text.js';
import { LssGenerator } from '../../bench/lss/generate.js';

/** Why the priorities cannot be read or set here, or null when they can. */
function unsupported(): string | null {
  if (process.platform !== 'linux') return `thread priorities are read from /proc (Linux only), not on ${process.platform}`;
  try {
    createRequire(import.meta.url)('@napi-rs/nice');
  } catch {
    return 'the optional @napi-rs/nice package (piscina installs it) is not installed: the workers cannot be niced';
  }
  return null;
}

/** The nice value of each thread of this process, by thread id (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // Fields after the command name (which may hold spaces) start at state (field 3); nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

const skip = unsupported();

for (const niceIncrement of [7, 0]) {
  test(`workers.niceIncrement ${niceIncrement}: two worker threads at nice ${niceIncrement}, the main thread unchanged`, { skip: skip ?? false }, async () => {
    const before = threadNices();
    const mainNice = before.get(process.pid)!;
    const h = await startRelay({ workers: { threads: 2, niceIncrement } });
    try {
      // Records flow through the niced workers: the priority does not stop them from checking.
      const gen = new LssGenerator(5);
      await sendAndClose(h.port('ua'), Array.from({ length: 50 }, () => gen.userActivity()).join('\n') + '\n');
      const received = async () => sumMetric(await (await fetch(`${h.adminUrl}/metrics`)).text(), 'zpa_relay_records_received_total');
      await waitFor(async () => (await received()) === 50, 'the 50 records checked', 10_000);
      const after = threadNices();
      const fresh = [...after].filter(([tid]) => !before.has(tid));
      const niced = fresh.filter(([, n]) => n === mainNice + niceIncrement);
      assert.equal(after.get(process.pid), mainNice, 'the main thread keeps its priority');
      if (niceIncrement > 0) {
        // Exactly the two workers: the relay's other threads (libuv's pool, V8's helpers) are not lowered.
        assert.equal(niced.length, 2, `threads at nice ${mainNice + niceIncrement}: ${JSON.stringify(fresh)}`);
        assert.ok(fresh.every(([, n]) => n === mainNice || n === mainNice + niceIncrement), JSON.stringify(fresh));
      } else {
        assert.ok(fresh.every(([, n]) => n === mainNice), `every new thread at the main thread's nice: ${JSON.stringify(fresh)}`);
      }
    } finally {
      await h.stop();
    }
  });
}
