/**
 * A copy of a config safe to print: credentials in URLs and any value under a key that names a secret
 * are replaced. The config itself only holds env var names and file paths, but an operator may still
 * paste a credential into a URL.
 */
const SECRET_KEY = /secret$|token$|password$/i;
const SECRET_REF = /(Env|File)$/;

export function redactConfig(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && !SECRET_REF.test(key)) return '[REDACTED]';
    if (/^https?:\/\//.test(value)) {
      try {
        const u = new URL(value);
        if (u.username || u.password) {
          u.username = u.username ? 'REDACTED' : '';
          u.password = u.password ? 'REDACTED' : '';
          return u.toString();
        }
      } catch {
        // Not a parseable URL: print it as given (validation already reported it).
      }
    }
  }
  return value;
}
