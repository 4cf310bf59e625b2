/**
 * Collects a batch's distinct sets of unknown top-level fields (BatchVerdicts.unknownSets) from the names
 * each accepted record carries: the reference engine's for every line, the simdjson engine's for the lines
 * it delegates. Names are kept once per set, in the order first seen.
 */
import type { UnknownFieldSet } from './engine-types.js';

export class UnknownFieldSets {
  readonly sets: UnknownFieldSet[] = [];
  private readonly index = new Map<string, number>();

  /** The index of the set of `names` (repeats dropped) under `logType`, added when new. */
  add(logType: string, names: readonly string[]): number {
    const key = JSON.stringify([logType, names]);
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.sets.push({ logType, names: names.length > 1 ? [...new Set(names)] : names }) - 1;
      this.index.set(key, id);
    }
    return id;
  }
}
