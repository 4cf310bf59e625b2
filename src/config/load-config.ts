/**
 * Reads, validates and freezes a configuration. Every problem is collected and reported at once
 * (RelayError ZPA_ERR_CONFIG_INVALID with one line per problem in `details`), so an operator fixes a
 * config in one round rather than one error per start.
 */
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { RelayError } from '../errors.js';
import { configSchema } from './config-schema.js';
import { defaultConfig } from './default-config.js';
import { checkAuthConfig } from './auth-config.js';
import { checkTlsConfig } from '../ingest/tls-context.js';
import { parseCidr } from '../ingest/access-control.js';
import { checkRejectPolicy } from '../durability/reject-policy.js';
import type { RelayConfig } from './types.js';
import { loadNativeAddon } from '../../workers/engines/native-addon.js';
import { loadIsal } from '../sink/isal-gzip.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(configSchema);

export interface LoadOptions {
  /** Path of a YAML config file; undefined means the embedded default. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Log types the loaded schemas declare; listeners naming another one are refused. */
  knownLogTypes?: readonly string[];
}

/** Reads the config file (or the embedded default), validates it whole and returns it deeply frozen. */
export function loadConfig(opts: LoadOptions = {}): RelayConfig {
  const env = opts.env ?? process.env;
  let raw: unknown;
  let baseDir = process.cwd();
  if (opts.file === undefined) {
    raw = defaultConfig(env);
  } else {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new RelayError('ZPA_ERR_CONFIG_READ', `cannot read config file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      raw = parseYaml(text);
    } catch (err) {
      throw new RelayError('ZPA_ERR_CONFIG_READ', `config file ${opts.file} is not valid YAML: ${(err as Error).message}`);
    }
    baseDir = dirname(resolve(opts.file));
  }
  return validateConfig(raw, { ...opts, env, source: opts.file ?? '<embedded default>', baseDir });
}

/** Validates plain config data; exported for tests and for `config check`. */
export function validateConfig(
  raw: unknown,
  opts: LoadOptions & { source?: string; baseDir?: string } = {},
): RelayConfig {
  const source = opts.source ?? '<config>';
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RelayError('ZPA_ERR_CONFIG_INVALID', `${source}: the config must be a YAML mapping`, ['(root): must be a mapping']);
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  const problems: string[] = [];
  if (!validate(data)) problems.push(...(validate.errors ?? []).map(describeAjvError));
  const cfg = data as unknown as Mutable<RelayConfig>;
  if (problems.length === 0) problems.push(...crossChecks(cfg, opts));
  if (problems.length > 0) {
    throw new RelayError('ZPA_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, problems);
  }
  if (cfg.resumeBufferedBytes === 0) cfg.resumeBufferedBytes = Math.floor((cfg.maxBufferedBytes * 3) / 4);
  return deepFreeze(cfg) as RelayConfig;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function crossChecks(cfg: Mutable<RelayConfig>, opts: LoadOptions): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const ports = new Map<string, number>();
  cfg.listeners.forEach((l, i) => {
    if (names.has(l.name)) problems.push(`listeners[${i}].name: duplicate listener name "${l.name}"`);
    names.add(l.name);
    if (l.port !== 0) {
      const key = `${l.host}:${l.port}`;
      if (ports.has(key)) problems.push(`listeners[${i}].port: ${key} is already used by listeners[${ports.get(key)}]`);
      ports.set(key, i);
    }
    problems.push(...checkTlsConfig(l.tls, `listeners[${i}].tls`));
    for (const key of ['allowCidrs', 'trustedProxyCidrs'] as const) {
      l[key].forEach((c, j) => {
        if (!parseCidr(c)) problems.push(`listeners[${i}].${key}[${j}]: "${c}" is not an IPv4/IPv6 address or CIDR block`);
      });
    }
    if (l.trustedProxyCidrs.length > 0 && !l.proxyProtocol) problems.push(`listeners[${i}].trustedProxyCidrs: set, but proxyProtocol is false`);
    if (l.logType !== 'auto' && opts.knownLogTypes && !opts.knownLogTypes.includes(l.logType)) {
      problems.push(`listeners[${i}].logType: unknown log type "${l.logType}" (known: auto, ${opts.knownLogTypes.join(', ')})`);
    }
  });
  problems.push(...checkRejectPolicy(cfg.onReject));
  if (cfg.resumeBufferedBytes !== 0 && cfg.resumeBufferedBytes >= cfg.maxBufferedBytes) {
    problems.push(`resumeBufferedBytes: must be below maxBufferedBytes (${cfg.maxBufferedBytes})`);
  }
  if (cfg.output.type === 'http') {
    if (!cfg.output.http) problems.push('output.http: required when output.type is http');
    else {
      problems.push(...checkAuthConfig(cfg.output.http.auth, 'output.http.auth', opts.env ?? process.env));
      if (cfg.output.http.compression === 'gzip' && cfg.output.http.compressionLevel > 9) problems.push('output.http.compressionLevel: gzip levels are 1..9');
    }
  }
  if (cfg.output.type === 's3') {
    const s3 = cfg.output.s3;
    const env = opts.env ?? process.env;
    if (!s3) problems.push('output.s3: required when output.type is s3 (at least output.s3.bucket)');
    else {
      if (!s3.region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) problems.push('output.s3.region: required when neither AWS_REGION nor AWS_DEFAULT_REGION is set');
      if (s3.compression === 'gzip' && s3.compressionLevel > 9) problems.push('output.s3.compressionLevel: gzip levels are 1..9');
    }
  }
  if (cfg.admin.port !== 0 && cfg.listeners.some((l) => l.port === cfg.admin.port)) {
    problems.push(`admin.port: ${cfg.admin.port} is also a listener port`);
  }
  return problems;
}

/** Turns an ajv error into `path: message` with the path written as config keys (`listeners[0].port`). */
function describeAjvError(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  const at = path || '(root)';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `${at}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/**
 * Refuses what only this machine and the loaded schemas can tell, all problems at once: listeners whose log
 * type no loaded schema declares, `workers.engine: simdjson` where the native addon does not load, and
 * `output.http.gzipLibrary: isal` where the ISA-L gzip module does not.
 */
export function checkRuntime(cfg: RelayConfig, knownLogTypes: readonly string[], source: string): void {
  const problems = cfg.listeners
    .map((l, i) => (l.logType === 'auto' || knownLogTypes.includes(l.logType) ? null : `listeners[${i}].logType: unknown log type "${l.logType}" (known: auto, ${knownLogTypes.join(', ')})`))
    .filter((p): p is string => p !== null);
  const native = cfg.workers.engine === 'simdjson' ? loadNativeAddon().problem : undefined;
  if (native !== undefined) problems.push(`workers.engine: simdjson is not available here: ${native} (use auto or reference)`);
  const isal = cfg.output.type === 'http' && cfg.output.http?.gzipLibrary === 'isal' ? loadIsal().problem : undefined;
  if (isal !== undefined) problems.push(`output.http.gzipLibrary: isal is not available here: ${isal} (use auto or zlib)`);
  if (problems.length > 0) throw new RelayError('ZPA_ERR_CONFIG_INVALID', `${source}: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, problems);
}
