/**
 * Loads one of the relay's own native modules (native/build/Release/*.node): the simdjson checker
 * (workers/engines/native-addon.ts) and the ISA-L gzip module (src/sink/isal-gzip.ts). Loading never throws:
 * a missing, turned-off or broken module is a reason string, and the caller runs its fallback.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from './schema/package-root.js';

export interface NativeModuleSpec {
  /** For messages: "the native addon", "the ISA-L gzip module". */
  what: string;
  /** The build's file name in native/build/Release. */
  fileName: string;
  /** Environment variable that overrides the path; "off" runs without the module (to compare, or to rule it out). */
  envVar: string;
  /** What to do when it is not built. */
  buildHint: string;
}

/** Where the module is loaded from: `envVar` when set, else where the build puts it. */
function nativeModulePath(spec: NativeModuleSpec): string {
  return process.env[spec.envVar] || path.join(packageRoot(import.meta.url), 'native', 'build', 'Release', spec.fileName);
}

/** The module, or why it cannot be used. Its info() is called once so a stale or foreign build fails here, not on first use. */
export function loadNativeModule<T extends { info(): unknown }>(spec: NativeModuleSpec): { addon?: T; problem?: string } {
  const file = nativeModulePath(spec);
  if (file === 'off') return { problem: `${spec.what} is turned off (${spec.envVar}=off)` };
  if (!existsSync(file)) return { problem: `${spec.what} is not built (${file} is missing; ${spec.buildHint})` };
  try {
    const addon = createRequire(import.meta.url)(file) as T;
    addon.info();
    return { addon };
  } catch (err) {
    return { problem: `${spec.what} ${file} does not load: ${(err as Error).message}` };
  }
}
