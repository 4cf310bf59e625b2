/**
 * The bench's yardstick: zlib gzip level 1 compressing the same bytes on one core, in MB/s of input.
 *
 * Why it is sampled through the run and its median used: one sample takes a quarter of a second, and on this
 * shared machine samples of one run have ranged from 186 to 270 MB/s, while a relay step averages 15 s. A
 * ratio against one lucky or unlucky sample says more about that instant than about the relay, so the bench
 * takes samples before the first step and between steps and states every ratio against their median.
 */
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';

export class ZlibBaseline {
  private readonly samples: number[] = [];
  /** Compressed/raw of the corpus at level 1. */
  readonly ratio: number;

  constructor(private readonly corpus: Buffer) {
    const head = corpus.subarray(0, Math.min(corpus.length, 8e6));
    this.ratio = head.length / gzipSync(head, { level: 1 }).length;
  }

  /** Takes `n` samples now. */
  sample(n = 1): void {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      gzipSync(this.corpus, { level: 1 });
      this.samples.push(this.corpus.length / 1e6 / ((performance.now() - t0) / 1000));
    }
  }

  /** Median MB/s of the samples so far. */
  get mbPerSecond(): number {
    const s = [...this.samples].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }

  get range(): { min: number; max: number; samples: number } {
    return { min: Math.min(...this.samples), max: Math.max(...this.samples), samples: this.samples.length };
  }
}
