/**
 * Validation of `output.http.auth`: one mode, its keys, and that the secret it names is present.
 * Messages name the environment variable or file, never the secret itself.
 */
import { existsSync } from 'node:fs';

const MODES: Record<string, { required: string[]; optional: string[]; secret?: [string, string] }> = {
  none: { required: [], optional: [] },
  'shared-secret': { required: ['header'], optional: [], secret: ['secretEnv', 'secretFile'] },
  bearer: { required: [], optional: [], secret: ['tokenEnv', 'tokenFile'] },
  basic: { required: ['username'], optional: [], secret: ['passwordEnv', 'passwordFile'] },
  hmac: { required: ['header'], optional: ['algorithm', 'encoding'], secret: ['secretEnv', 'secretFile'] },
};

/** Returns one line per problem with the auth block at `at`; fills hmac defaults (sha256, hex) in place. */
export function checkAuthConfig(auth: unknown, at: string, env: NodeJS.ProcessEnv): string[] {
  if (!auth || typeof auth !== 'object') return [`${at}: must be a mapping with a "type"`];
  const a = auth as Record<string, unknown>;
  const mode = MODES[String(a.type)];
  if (!mode) return [`${at}.type: must be one of ${Object.keys(MODES).join(', ')}`];
  const problems: string[] = [];
  const allowed = new Set(['type', ...mode.required, ...mode.optional, ...(mode.secret ?? [])]);
  for (const k of Object.keys(a)) if (!allowed.has(k)) problems.push(`${at}: unknown key "${k}" for type ${a.type}`);
  for (const k of mode.required) {
    if (typeof a[k] !== 'string' || a[k] === '') problems.push(`${at}.${k}: required (a non-empty string) for type ${a.type}`);
  }
  if (a.type === 'hmac') {
    a.algorithm ??= 'sha256';
    a.encoding ??= 'hex';
    if (a.algorithm !== 'sha256' && a.algorithm !== 'sha512') problems.push(`${at}.algorithm: must be sha256 or sha512`);
    if (a.encoding !== 'hex' && a.encoding !== 'base64') problems.push(`${at}.encoding: must be hex or base64`);
  }
  if (mode.secret) {
    const [envKey, fileKey] = mode.secret;
    const hasEnv = typeof a[envKey] === 'string' && a[envKey] !== '';
    const hasFile = typeof a[fileKey] === 'string' && a[fileKey] !== '';
    if (hasEnv === hasFile) problems.push(`${at}: exactly one of ${envKey} or ${fileKey} is required for type ${a.type}`);
    else if (hasEnv && !env[a[envKey] as string]) problems.push(`${at}.${envKey}: environment variable ${a[envKey]} is not set or empty`);
    else if (hasFile && !existsSync(a[fileKey] as string)) problems.push(`${at}.${fileKey}: file ${a[fileKey]} does not exist`);
  }
  return problems;
}
