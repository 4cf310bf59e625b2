/**
 * Loads the ISA-L gzip module (native/build/Release/zpa_igzip.node, native/src/igzip.cc), which the workers
 * use to compress the HTTP output's gzip runs (workers/precompress.ts), and decides which library a gzip
 * output uses. It is built only where ISA-L's headers were installed (scripts/build-native.mjs) and needs
 * the shared library (Debian: libisal2) at run time. Loading never throws: a missing or broken module is a
 * reason string, and gzip runs through Node's zlib instead.
 *
 * Why: igzip level 1 compresses LSS JSON lines about 3.6x faster than zlib level 1 on one core of this
 * project's machine (870 against 240 MB/s) for about 5% more compressed bytes (ratio 5.45 against 5.72).
 */
import { loadNativeModule, type NativeModuleSpec } from '../native-module.js';

/** The module's exports (native/src/igzip.cc). */
export interface IsalAddon {
  /**
   * Compresses src[runEnds[k-1], runEnds[k]) run by run, each on its own and ended by a sync flush, into dst;
   * outEnds[k] is the end of run k's output, crcs[k] the CRC-32 of run k's input. Returns the bytes
   * written, or -1 when dst is too small.
   */
  deflateRuns(src: Uint8Array, runEnds: Uint32Array, level: number, dst: Uint8Array, outEnds: Uint32Array, crcs: Uint32Array): number;
  info(): { isal: string };
}

/** `output.http.gzipLibrary`: the setting, and what it resolves to. */
export type GzipLibrarySetting = 'auto' | 'isal' | 'zlib';
export type GzipLibrary = 'isal' | 'zlib';

const SPEC: NativeModuleSpec = { what: 'the ISA-L gzip module', fileName: 'zpa_igzip.node', envVar: 'ZPA_RELAY_ISAL_ADDON', buildHint: 'install libisal-dev, then run "npm run build:native"' };

let loaded: { addon?: IsalAddon; problem?: string } | undefined;

/** The module, or why it cannot be used (ZPA_RELAY_ISAL_ADDON: another path, or "off"). Loaded once per thread. */
export function loadIsal(): { addon?: IsalAddon; problem?: string } {
  return (loaded ??= loadNativeModule<IsalAddon>(SPEC));
}

/**
 * The library a gzip output at zlib level `level` uses. `auto`: igzip at level 1, where its level 1 makes the
 * same trade as zlib's (fastest, a little larger), when the module loads; zlib otherwise, and at levels 2-9,
 * which ask for smaller bodies than igzip's best level gives (igzip level 3 is about zlib level 1's size).
 * `missing`: why `auto` wanted igzip and fell back to zlib.
 */
export function resolveGzipLibrary(setting: GzipLibrarySetting, level: number): { library: GzipLibrary; missing?: string } {
  if (setting !== 'auto') return { library: setting };
  if (level !== 1) return { library: 'zlib' };
  const { addon, problem } = loadIsal();
  return addon !== undefined ? { library: 'isal' } : { library: 'zlib', missing: problem };
}

/** igzip's level (0-3) for a zlib level (1-9): 1 stays 1; 2-9 take igzip's best, 3. */
export function isalLevel(zlibLevel: number): number {
  return zlibLevel <= 1 ? 1 : 3;
}
