/**
 * The process logger: pino JSON on stdout. Secrets never reach it: the relay logs env var names and file
 * paths, never their values, and `redactSecrets` scrubs any message text built from a remote answer.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'zpa-relay' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Replaces every occurrence of each secret in `text` with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}
