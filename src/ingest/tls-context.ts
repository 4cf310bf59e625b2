/**
 * TLS for a listener: reading the PEM files into server options (at start, at `config check` and on
 * SIGHUP), and sorting handshake failures into the closed set of reasons the metrics use.
 *
 * Key material never leaves this file as text: problems name the config key, the file path and an error
 * code (ENOENT, ERR_OSSL_...), never file contents or OpenSSL messages that could quote them.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { ListenerTlsConfig } from '../config/types.js';

/** Why a TLS handshake failed (label values of zpa_relay_tls_handshake_failures_total). */
export type TlsFailureReason = 'no_certificate' | 'bad_certificate' | 'protocol' | 'timeout' | 'aborted' | 'other';

/** Whether a listener's TLS section turns TLS on. */
export function tlsEnabled(cfg: ListenerTlsConfig): boolean {
  return cfg.certFile !== '' || cfg.keyFile !== '';
}

/** A file could not be read or the PEM did not load; `message` is safe to log. */
export class TlsFilesError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TlsFilesError';
  }
}

/**
 * Reads the PEM files and checks that they make a usable server context (throws TlsFilesError).
 * Returned options go to `tls.createServer` or `server.setSecureContext`.
 */
export function readTlsFiles(cfg: ListenerTlsConfig): SecureContextOptions {
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      throw new TlsFilesError(`tls.${key}: cannot read ${path}: ${code}`, code);
    }
  };
  const opts: SecureContextOptions = { cert: read('certFile', cfg.certFile), key: read('keyFile', cfg.keyFile), minVersion: cfg.minVersion };
  if (cfg.caFile !== '') opts.ca = read('caFile', cfg.caFile);
  try {
    createSecureContext(opts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERR_TLS';
    throw new TlsFilesError(`tls: certFile ${cfg.certFile}, keyFile ${cfg.keyFile}${cfg.caFile ? `, caFile ${cfg.caFile}` : ''} do not load as a certificate, its key and a CA bundle: ${code}`, code);
  }
  return opts;
}

/** Config problems of one listener's TLS section (`at` is the key path, e.g. `listeners[0].tls`). */
export function checkTlsConfig(cfg: ListenerTlsConfig, at: string): string[] {
  if (!tlsEnabled(cfg)) {
    return cfg.caFile !== '' ? [`${at}.caFile: set, but TLS is off (certFile and keyFile are empty)`] : [];
  }
  const problems: string[] = [];
  if (cfg.certFile === '') problems.push(`${at}.certFile: required when keyFile is set`);
  if (cfg.keyFile === '') problems.push(`${at}.keyFile: required when certFile is set`);
  if (cfg.requireClientCert && cfg.caFile === '') {
    problems.push(`${at}.caFile: required when requireClientCert is true (the CA client certificates must chain to); set requireClientCert: false for server-only TLS`);
  }
  if (problems.length > 0) return problems;
  try {
    readTlsFiles(cfg);
  } catch (err) {
    if (!(err instanceof TlsFilesError)) throw err;
    problems.push(`${at}${err.message.slice('tls'.length)}`);
  }
  return problems;
}

/**
 * Sorts a handshake failure reported by `tlsClientError`. A client certificate that does not verify is
 * only noticed after the handshake (Node destroys the socket and reports a hang-up with
 * `authorizationError` set), so that is checked first.
 */
export function classifyTlsFailure(err: NodeJS.ErrnoException, socket: TLSSocket | undefined): TlsFailureReason {
  if (socket?.authorizationError) return 'bad_certificate';
  const code = err.code ?? '';
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no_certificate';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'aborted';
  if (/CERTIFICATE|_CERT_/.test(code)) return 'bad_certificate';
  if (code.startsWith('ERR_SSL_')) return 'protocol';
  return 'other';
}
