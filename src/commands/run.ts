/**
 * `zpa-relay run [--config FILE]`: starts the relay (config from --config, else ZPA_RELAY_CONFIG, else the
 * embedded default) and drains it on SIGTERM/SIGINT. A bad config stops the start with every problem listed.
 */
import { parseArgs } from 'node:util';
import { loadConfig, checkRuntime } from '../config/load-config.js';
import { SchemaEngine } from '../schema/engine.js';
import { Relay } from '../relay.js';
import { createLogger } from '../log.js';
import { isRelayError } from '../errors.js';

const HELP = `Usage: zpa-relay run [--config FILE]

Starts the relay. The config file is YAML (see README "Configuration"); without --config the
ZPA_RELAY_CONFIG environment variable names it, and without either the embedded default runs:
five listeners (9015-9019), directory output, or HTTP output when PANTHER_HTTP_URL is set.
SIGTERM/SIGINT drain and exit; SIGHUP reloads schemas, output settings and TLS certificates.
`;

export async function runCommand(args: string[]): Promise<number> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`zpa-relay run: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = values.config ?? (process.env.ZPA_RELAY_CONFIG || undefined);
  let relay: Relay;
  let log;
  try {
    const config = loadConfig({ file });
    const engine = await SchemaEngine.load(config.schemas);
    checkRuntime(config, engine.logTypes, file ?? '<embedded default>');
    log = createLogger(config.logLevel);
    relay = await Relay.start(config, { log, engine, configFile: file });
  } catch (err) {
    if (isRelayError(err)) {
      process.stderr.write(`zpa-relay: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`zpa-relay: cannot listen: ${e.message}\n`);
      return 2;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal while draining: still draining (send SIGKILL to force)');
        return;
      }
      log.info({ signal: sig }, 'signal received');
      relay.stop().then(
        () => resolve(0),
        (err: Error) => {
          log.fatal({ err: err.message }, 'drain failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP: re-read the config file; schemas, output settings and TLS certificates change in place.
    process.on('SIGHUP', () => {
      void (async () => {
        try {
          const next = loadConfig({ file });
          const engine = await SchemaEngine.load(next.schemas);
          checkRuntime(next, engine.logTypes, file ?? '<embedded default>');
          await relay.reload(next, engine);
        } catch (err) {
          log.error({ err: isRelayError(err) ? err.details.join('; ') || err.message : (err as Error).message }, 'reload refused: the running config stays');
        }
      })();
    });
  });
}
