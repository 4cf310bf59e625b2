/**
 * `zpa-relay config check [FILE]`: validates a config (every problem listed at once) and prints the
 * effective config, defaults filled in, as YAML with secrets redacted, and (on stderr) the schemas it loads
 * with the file each comes from. Exit 0 valid, 2 invalid.
 */
import { stringify } from 'yaml';
import { loadConfig, checkRuntime } from '../config/load-config.js';
import { redactConfig } from '../config/redact-config.js';
import { loadSchemaSet } from '../schema/schema-set.js';
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
    const specs = await loadSchemaSet(config.schemas);
    checkRuntime(config, specs.map((s) => s.schema), file ?? '<embedded default>');
    process.stdout.write(stringify(redactConfig(config)));
    const loaded = specs.map((s) => `  ${s.schema} (${s.file})`).sort();
    process.stderr.write(`schemas loaded (${specs.length}):\n${loaded.join('\n')}\n`);
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
