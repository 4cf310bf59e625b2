/**
 * The headers that authenticate a request to a Panther HTTP log source, one mode per source setting
 * (FACTS.md, "Panther HTTP source"): None, SharedSecret, Bearer, Basic, HMAC.
 *
 * Secrets come from an environment variable or a file (a Kubernetes Secret mount), never from the config
 * file itself, and are read once at start (`reload()` re-reads them for rotation). Error messages name the
 * variable or file that is wrong and never contain the secret; `secrets` lists every value a logger must redact.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RelayError } from '../errors.js';

/** How the Panther source authenticates requests; mirrors the source's settings in the Panther console. */
export type AuthConfig =
  | { type: 'none' }
  | { type: 'shared-secret'; header: string; secretEnv?: string; secretFile?: string }
  | { type: 'bearer'; tokenEnv?: string; tokenFile?: string }
  | { type: 'basic'; username: string; passwordEnv?: string; passwordFile?: string }
  | {
      type: 'hmac';
      header: string;
      secretEnv?: string;
      secretFile?: string;
      algorithm: 'sha256' | 'sha512';
      encoding: 'hex' | 'base64';
    };

/** Produces the auth headers for one request body. */
export interface PantherAuth {
  /**
   * The headers to add for exactly these body bytes (HMAC signs them; the other modes ignore them).
   * Header names are lower case. The returned object may be shared between calls: do not mutate it.
   */
  headers(body: Uint8Array): Record<string, string>;
  /** Every secret value (and derived credential, such as the Basic header value) ever loaded, to redact from any output. */
  readonly secrets: readonly string[];
  /** Re-reads the secret from its env var or file (rotation). Throws like `createAuth` and keeps the old secret on failure. */
  reload?(): void;
}

// RFC 9110 token: what a header name may contain. Checked here so a typo fails at start, with the setting
// named, rather than as an opaque undici error on the first request.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A header value may not contain control characters (CR/LF would split the header). Tab is allowed.
const UNSAFE_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const TRAILING_NEWLINES = /[\r\n]+$/;

/** Where a secret comes from: one env var or one file, named for error messages. */
interface SecretSource {
  readonly setting: string;
  readonly env: string | undefined;
  readonly file: string | undefined;
}

function configError(message: string): RelayError {
  return new RelayError('ZPA_ERR_CONFIG_INVALID', message, [message]);
}

/**
 * Reads a secret from its source. A file's content is trimmed of trailing newlines (editors and
 * `kubectl create secret --from-file` often leave one); an env var is trimmed the same way.
 */
function readSecret(src: SecretSource, env: NodeJS.ProcessEnv): string {
  const { setting, env: envName, file } = src;
  if (envName !== undefined && file !== undefined) {
    throw configError(`auth: set only one of ${setting}Env and ${setting}File`);
  }
  if (envName !== undefined) {
    const value = env[envName];
    if (value === undefined) throw configError(`auth: environment variable ${envName} (${setting}Env) is not set`);
    const secret = value.replace(TRAILING_NEWLINES, '');
    if (secret === '') throw configError(`auth: environment variable ${envName} (${setting}Env) is empty`);
    return secret;
  }
  if (file !== undefined) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (err) {
      // Convert to a config error naming the file; the fs error code (ENOENT, EACCES) carries no secret.
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw configError(`auth: cannot read ${setting}File ${file} (${code})`);
    }
    const secret = content.replace(TRAILING_NEWLINES, '');
    if (secret === '') throw configError(`auth: ${setting}File ${file} is empty`);
    return secret;
  }
  throw configError(`auth: ${setting}Env or ${setting}File is required`);
}

function describe(src: SecretSource): string {
  return src.env !== undefined ? `environment variable ${src.env}` : `file ${src.file ?? '?'}`;
}

function checkHeaderName(header: string): string {
  if (!HEADER_NAME.test(header)) throw configError(`auth: header ${JSON.stringify(header)} is not a valid HTTP header name`);
  return header.toLowerCase();
}

function checkHeaderValue(value: string, src: SecretSource): void {
  if (UNSAFE_HEADER_VALUE.test(value)) {
    throw configError(`auth: the value in ${describe(src)} contains control characters and cannot be sent in a header`);
  }
}

/**
 * A PantherAuth whose header set depends only on the secret (everything but HMAC). `build` turns a freshly
 * read secret into the headers plus the values to redact; reload swaps both at once.
 */
function staticAuth(
  src: SecretSource,
  env: NodeJS.ProcessEnv,
  build: (secret: string) => { headers: Record<string, string>; redact: string[] },
): PantherAuth {
  const seen = new Set<string>();
  let current: Record<string, string> = {};
  const load = (): void => {
    const secret = readSecret(src, env);
    checkHeaderValue(secret, src);
    const built = build(secret);
    for (const v of built.redact) seen.add(v);
    current = Object.freeze({ ...built.headers });
  };
  load();
  return {
    headers: () => current,
    get secrets() {
      return [...seen];
    },
    reload: load,
  };
}

/**
 * Resolves the secret once (env var or file, trimmed of trailing newlines) and returns a signer that produces
 * the auth headers for one exact body. Throws RelayError ZPA_ERR_CONFIG_INVALID naming the env var or file
 * (never the secret) when it is missing or empty, when both an env var and a file are given, or when a header
 * name or value is unusable.
 */
export function createAuth(cfg: AuthConfig, env: NodeJS.ProcessEnv = process.env): PantherAuth {
  switch (cfg.type) {
    case 'none': {
      const none: Record<string, string> = Object.freeze({});
      return { headers: () => none, secrets: Object.freeze([]) };
    }
    case 'shared-secret': {
      const header = checkHeaderName(cfg.header);
      const src = { setting: 'secret', env: cfg.secretEnv, file: cfg.secretFile };
      return staticAuth(src, env, (secret) => ({ headers: { [header]: secret }, redact: [secret] }));
    }
    case 'bearer': {
      const src = { setting: 'token', env: cfg.tokenEnv, file: cfg.tokenFile };
      return staticAuth(src, env, (token) => ({ headers: { authorization: `Bearer ${token}` }, redact: [token] }));
    }
    case 'basic': {
      // RFC 7617: the user-id cannot contain a colon, since the first colon separates it from the password.
      if (cfg.username === '' || cfg.username.includes(':') || UNSAFE_HEADER_VALUE.test(cfg.username)) {
        throw configError('auth: basic username must be non-empty and contain no colon or control characters');
      }
      const src = { setting: 'password', env: cfg.passwordEnv, file: cfg.passwordFile };
      return staticAuth(src, env, (password) => {
        const credentials = Buffer.from(`${cfg.username}:${password}`, 'utf8').toString('base64');
        return { headers: { authorization: `Basic ${credentials}` }, redact: [password, credentials] };
      });
    }
    case 'hmac':
      return hmacAuth(cfg, env);
    default: {
      const unknown: never = cfg;
      throw configError(`auth: unknown type ${JSON.stringify((unknown as { type: unknown }).type)}`);
    }
  }
}

/** HMAC over the exact body bytes sent (the compressed body), in the configured header and encoding. */
function hmacAuth(cfg: Extract<AuthConfig, { type: 'hmac' }>, env: NodeJS.ProcessEnv): PantherAuth {
  const header = checkHeaderName(cfg.header);
  if (cfg.algorithm !== 'sha256' && cfg.algorithm !== 'sha512') {
    throw configError(`auth: hmac algorithm must be sha256 or sha512`);
  }
  if (cfg.encoding !== 'hex' && cfg.encoding !== 'base64') {
    throw configError(`auth: hmac encoding must be hex or base64`);
  }
  const src = { setting: 'secret', env: cfg.secretEnv, file: cfg.secretFile };
  const seen = new Set<string>();
  let key = '';
  const load = (): void => {
    // The key never goes into a header, so any bytes are fine; only emptiness is an error.
    key = readSecret(src, env);
    seen.add(key);
  };
  load();
  const { algorithm, encoding } = cfg;
  return {
    headers: (body) => ({ [header]: createHmac(algorithm, key).update(body).digest(encoding) }),
    get secrets() {
      return [...seen];
    },
    reload: load,
  };
}

/** Replaces every occurrence of each secret in `text` with `[redacted]`; for messages that may echo request data. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s !== '') out = out.split(s).join('[redacted]');
  }
  return out;
}
