/**
 * Removes the files the relay has closed in its dead-letter store while a bench step runs, as an operator's
 * replay or a move to cheaper storage would. Why: refused traffic fills the default 1 GiB store in under half
 * a minute at full speed on this machine (about 100,000 refused records/s, about 430 bytes each once
 * compressed), and with the default `whenFull: pause` the relay then stops reading that listener, by design
 * (a bench run of 2026-12-02 waited on it for good): the bench would measure a full store instead of the
 * refused path, and its load generator would wait on a paused socket. Only closed files go (listStoreFiles); the file being written stays.
 */
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { listStoreFiles } from '../../src/durability/dead-letter-reader.js';

export class StoreSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** Files and bytes removed so far. */
  files = 0;
  bytes = 0;

  constructor(private readonly dir: string, private readonly everyMs = 1000) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sweep());
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async sweep(): Promise<void> {
    let closed: readonly string[];
    try {
      // The store's own listing: its closed files, never the one being written.
      ({ closed } = await listStoreFiles(this.dir));
    } catch {
      return; // removed with the run
    }
    for (const name of closed) {
      const file = join(this.dir, name);
      try {
        const { size } = await stat(file);
        await unlink(file);
        this.files++;
        this.bytes += size;
      } catch {
        // Gone already (the relay's own eviction, or a race with the run's end): nothing to count.
      }
    }
  }
}
