/**
 * What the bench samples every second of a step, kept as a time series for the report's line charts and the
 * soak's analysis: throughput in (the load generator) and out (bodies at the stand-in), records delivered,
 * the relay's RSS and CPU, the machine's CPU, and the relay's backlog (zpa_relay_buffered_bytes and the share
 * of the second its sockets were paused), all read from /proc and the relay's own /metrics.
 *
 * Columns rather than rows: a four-hour soak is 14,400 samples, and one array per figure keeps the JSON about
 * a third the size of an object per second and is what a chart reads.
 */
import { coreTimes, sample } from './process-stats.js';
import { sumMetric } from '../../test/helpers/metrics-text.js';

/** One value per second of a step; `t` is seconds since the step began. A figure that could not be read is null. */
export interface TimeSeries {
  t: number[];
  /** MB/s of records the load generator wrote. */
  mbIn: number[];
  /** MB/s of (compressed) bodies the stand-in received. */
  mbOut: number[];
  /** Records/s the relay settled (delivered or refused), from its metrics. */
  recordsOut: Array<number | null>;
  rssMb: number[];
  relayCpuCores: number[];
  /** Busy cores of the whole machine (relay, bench and anything else), 0..cores. */
  machineCpuCores: number[];
  /** zpa_relay_buffered_bytes, in MB. */
  bufferedMb: Array<number | null>;
  /** Share (0..1) of the second the relay's sockets were paused by backpressure. */
  pausedShare: Array<number | null>;
}

export function emptySeries(): TimeSeries {
  return { t: [], mbIn: [], mbOut: [], recordsOut: [], rssMb: [], relayCpuCores: [], machineCpuCores: [], bufferedMb: [], pausedShare: [] };
}

/** The relay's own figures the sampler reads from /metrics. */
interface RelayFigures {
  settled: number;
  bufferedBytes: number;
  pausedSeconds: number;
}

const round = (n: number, places = 3) => Math.round(n * 10 ** places) / 10 ** places;

export class StepSampler {
  readonly series = emptySeries();
  /** Highest RSS seen, in bytes. */
  peakRssBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private last: { at: number; bytesIn: number; bytesOut: number; cpu: number; cores: ReturnType<typeof coreTimes>; relay: RelayFigures | null; relayAt: number };

  constructor(
    private readonly pid: number,
    private readonly adminPort: number,
    private readonly now: () => number,
    /** Bytes written by the load generator and bytes of bodies received by the stand-in, so far. */
    private readonly bytes: () => { in: number; out: number },
    private readonly start = now(),
  ) {
    const p = sample(pid);
    this.peakRssBytes = p.rssBytes;
    const b = bytes();
    this.last = { at: start, bytesIn: b.in, bytesOut: b.out, cpu: p.cpuSeconds, cores: coreTimes(), relay: null, relayAt: start };
  }

  /** Samples every `everyMs` until stop(); `onSample` is told after each (the progress line). */
  begin(everyMs: number, onSample: (s: TimeSeries) => void): void {
    void this.relayFigures().then((r) => {
      this.last.relay = r;
      this.last.relayAt = this.now();
    });
    this.timer = setInterval(() => {
      // A scrape slower than the interval (a relay at the end of its tether) skips a beat rather than piling up.
      if (this.busy) return;
      this.busy = true;
      void this.take().then(() => {
        this.busy = false;
        onSample(this.series);
      });
    }, everyMs);
  }

  /** Stops sampling after a last sample (so that even a step of a second or two has a line to draw). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    await this.take();
  }

  private async relayFigures(): Promise<RelayFigures | null> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.adminPort}/metrics`)).text();
      return {
        settled: sumMetric(text, 'zpa_relay_records_delivered_total') + sumMetric(text, 'zpa_relay_records_rejected_total'),
        bufferedBytes: sumMetric(text, 'zpa_relay_buffered_bytes'),
        pausedSeconds: sumMetric(text, 'zpa_relay_ingest_paused_seconds_total'),
      };
    } catch {
      // The relay did not answer (it is exiting, or has died: the bench notices that from its exit): the
      // second's backlog figures are left out (null), the rest are still read.
      return null;
    }
  }

  private async take(): Promise<void> {
    const relay = await this.relayFigures();
    const at = this.now();
    let p: ReturnType<typeof sample>;
    try {
      p = sample(this.pid);
    } catch {
      return; // The process is gone: nothing to sample (see relayFigures).
    }
    const cores = coreTimes();
    const b = this.bytes();
    const dt = (at - this.last.at) / 1000;
    if (dt <= 0) return;
    const s = this.series;
    this.peakRssBytes = Math.max(this.peakRssBytes, p.rssBytes);
    s.t.push(round((at - this.start) / 1000, 2));
    s.mbIn.push(round((b.in - this.last.bytesIn) / 1e6 / dt));
    s.mbOut.push(round((b.out - this.last.bytesOut) / 1e6 / dt));
    s.rssMb.push(round(p.rssBytes / 1e6, 1));
    s.relayCpuCores.push(round((p.cpuSeconds - this.last.cpu) / dt));
    let machine = 0;
    cores.forEach((c, i) => {
      const before = this.last.cores[i];
      const total = c.total - (before?.total ?? 0);
      if (total > 0) machine += (c.busy - (before?.busy ?? 0)) / total;
    });
    s.machineCpuCores.push(round(machine));
    // The relay's counters are differenced against its last answered scrape, which a missed one makes older.
    const prev = this.last.relay;
    const dtRelay = (at - this.last.relayAt) / 1000;
    const both = relay !== null && prev !== null && dtRelay > 0;
    s.recordsOut.push(both ? Math.round((relay.settled - prev.settled) / dtRelay) : null);
    s.bufferedMb.push(relay !== null ? round(relay.bufferedBytes / 1e6) : null);
    s.pausedShare.push(both ? round(Math.min(1, Math.max(0, (relay.pausedSeconds - prev.pausedSeconds) / dtRelay))) : null);
    this.last = { at, bytesIn: b.in, bytesOut: b.out, cpu: p.cpuSeconds, cores, relay: relay ?? prev, relayAt: relay !== null ? at : this.last.relayAt };
  }
}
