/**
 * `zpa-relay config check [FILE]`: validates a config (every problem listed at once) and prints the
 * effective config, defaults filled in, as YAML with secrets redacted. Exit 0 valid, 2 invalid.
 */
import { stringify } from 'yaml';
import { loadConfig, checkRuntime } from '../config/load-config.js';
import { redactConfig } from '../config/redact-config.js';
import { SchemaEngine } from '../schema/engine.js';
import { isRelayError } from '../errors.js';

export async function configCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check' || rest.length > 1 || rest[0] === '--help') {
    process.stderr.write('Usage: zpa-relay config check [FILE]   (no FILE: the embedded default)\n');
    return sub === undefined || rest[0] === '--help' ? 2 : 2;
  }
  const file = rest[0];
  try {
    const config = loadConfig({ file });
    const engine = await SchemaEngine.load(config.schemas.path || undefined);
    checkRuntime(config, engine.logTypes, file ?? '<embedded default>');
    process.stdout.write(stringify(redactConfig(config)));
    process.stderr.write(`config ${file ?? '<embedded default>'} is valid\n`);
    return 0;
  } catch (err) {
    if (isRelayError(err)) {
      process.stderr.write(`zpa-relay: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
