/**
 * One replay at a time per store: two concurrent replays would send the same records twice and race on
 * the rewrites. The lock is a file `.replay.lock` holding the owner's pid, created exclusively; a lock
 * whose process no longer exists (a replay killed with SIGKILL) is taken over. The name matches neither
 * the store's file pattern nor `.open`, so the relay ignores it.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RelayError } from '../errors.js';

const LOCK_NAME = '.replay.lock';

/** A held lock; `release` removes it. */
export interface ReplayLock {
  release(): Promise<void>;
}

/** Takes the store's replay lock. Throws RelayError ZPA_ERR_DEAD_LETTER_BUSY when a live process holds it. */
export async function takeReplayLock(dir: string): Promise<ReplayLock> {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      // Already gone (removed by hand) is what release wants anyway.
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new RelayError('ZPA_ERR_DEAD_LETTER_BUSY', `another replay (pid ${owner}) is working on ${dir}; wait for it, or remove ${path} if that process is not a replay`);
    }
    // Stale: its owner is gone. Remove it and try once more (another replay may win the race: then we stop).
    await unlink(path).catch(() => undefined);
  }
  throw new RelayError('ZPA_ERR_DEAD_LETTER_BUSY', `another replay took ${path} first`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
