/**
 * CPU and memory of a process and its threads, read from /proc (Linux): CPU seconds from utime+stime of
 * /proc/<pid>/stat (which includes every thread: the workers and libuv's pool), RSS from /proc/<pid>/status;
 * and how busy each core of the machine was.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS = 100; // USER_HZ on Linux

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

export function sample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(f[11]) + Number(f[12])) / TICKS;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** CPU seconds the current process has used (all threads). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Busy and total CPU time of each core of the machine so far (os.cpus(): /proc/stat on Linux). */
export function coreTimes(): Array<{ busy: number; total: number }> {
  return cpus().map(({ times: t }) => ({ busy: t.user + t.nice + t.sys + t.irq, total: t.user + t.nice + t.sys + t.irq + t.idle }));
}

/** Each core's busy share (0..100 %) between two coreTimes() readings: the whole machine, relay and bench alike. */
export function coreBusyPercent(before: ReturnType<typeof coreTimes>, after: ReturnType<typeof coreTimes>): number[] {
  return after.map((a, i) => {
    const b = before[i] ?? { busy: 0, total: 0 };
    const total = a.total - b.total;
    return total > 0 ? Math.round(((a.busy - b.busy) / total) * 1000) / 10 : 0;
  });
}
