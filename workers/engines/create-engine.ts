/**
 * Engine selection. `detectEngine()` is what the main thread calls to learn (and report) which engine the
 * workers will run; `createEngine()` is what a worker (or `zpa-relay check`) calls to load one.
 */
import { CompiledSchema } from '../../src/schema/compiler.js';
import { autoDetectOrder } from '../../src/schema/auto-detect.js';
import { SchemaEngine } from '../../src/schema/engine.js';
import type { RepairOptions } from '../../src/schema/engine.js';
import { parseSchemaSources } from '../../src/schema/schema-loader.js';
import { loadSchemaSet } from '../../src/schema/schema-set.js';
import type { SchemaSource } from '../../src/schema/schema-loader.js';
import type { SchemaSpec } from '../../src/schema/schema-model.js';
import type { BatchEngine, EngineChoice, EngineName } from './engine-types.js';
import { loadNativeAddon } from './native-addon.js';
import { buildNativePlan } from './native-plan.js';
import { ReferenceEngine } from './reference-engine.js';
import { SimdjsonEngine } from './simdjson-engine.js';

/**
 * The engine 'auto' resolves to on this machine: 'simdjson' when the native addon loads, else 'reference'.
 * Cheap after the first call (the addon is loaded once per thread); safe on the main thread.
 */
export function detectEngine(): EngineName {
  return loadNativeAddon().addon !== undefined ? 'simdjson' : 'reference';
}

/** Why the simdjson engine cannot run here, or undefined when it can. */
export function simdjsonUnavailableReason(): string | undefined {
  return loadNativeAddon().problem;
}

/** Where the schemas come from: a directory (default: the bundled schemas/) plus includes, or in-memory sources. */
export interface EngineSource {
  schemasDir?: string;
  /** Locations loaded beside schemasDir (schemas.include, or check's repeated --schemas). */
  include?: readonly string[];
  sources?: readonly SchemaSource[];
  repairs?: Partial<RepairOptions>;
}

/** Thrown by createEngine('simdjson') when the addon is not available; `code` is stable. */
export class EngineUnavailableError extends Error {
  readonly code = 'ENGINE_UNAVAILABLE';
}

/**
 * Loads the schemas and builds the engine `choice` asks for. 'auto' quietly falls back to the reference
 * engine when the addon is missing; 'simdjson' throws EngineUnavailableError instead. Schema errors are the
 * RelayErrors of SchemaEngine.load.
 */
export async function createEngine(choice: EngineChoice, source: EngineSource = {}): Promise<BatchEngine> {
  const opts = source.repairs === undefined ? undefined : { repairs: source.repairs };
  // Read once: the reference engine and the native plan are built from the same specs.
  const specs: SchemaSpec[] =
    source.sources !== undefined ? parseSchemaSources(source.sources) : await loadSchemaSet({ path: source.schemasDir ?? '', include: source.include ?? [] });
  const schemaEngine = SchemaEngine.fromSpecs(specs, opts);
  const reference = new ReferenceEngine(schemaEngine);
  if (choice === 'reference') return reference;
  const { addon, problem } = loadNativeAddon();
  if (addon === undefined) {
    if (choice === 'simdjson') throw new EngineUnavailableError(`the simdjson engine is not available: ${problem}`);
    return reference;
  }
  const order = autoDetectOrder(specs.map((s) => new CompiledSchema(s))).map((s) => s.name);
  const plan = buildNativePlan(specs, schemaEngine.logTypes, order);
  return new SimdjsonEngine(addon, addon.compile(plan.json), reference, plan.values);
}
