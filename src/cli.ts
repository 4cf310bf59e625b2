/**
 * Entry point of the `zpa-relay` command: dispatches to one module per command.
 * Each command returns its exit code; nothing here calls process.exit so pending output is flushed.
 */
const USAGE = `Usage: zpa-relay <command> [options]

Commands:
  run [--config FILE]            start the relay (also ZPA_RELAY_CONFIG); embedded default without one
  check [options] FILE... | -    check newline-delimited LSS records against Panther schemas offline
  config check [FILE]            validate a config file and print the effective config, secrets redacted
  dead-letter list|replay|report inspect and re-send records kept in the dead-letter store
  schema derive|test             derive a Panther custom schema from refused records; run schema tests

Run 'zpa-relay <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case 'check': {
      const { checkCommand } = await import('./commands/check.js');
      return checkCommand(rest);
    }
    case 'run': {
      const { runCommand } = await import('./commands/run.js');
      return runCommand(rest);
    }
    case 'config': {
      const { configCommand } = await import('./commands/config-check.js');
      return configCommand(rest);
    }
    case 'dead-letter': {
      const { deadLetterCommand } = await import('./commands/dead-letter.js');
      return deadLetterCommand(rest);
    }
    case 'schema': {
      const { schemaCommand } = await import('./commands/schema.js');
      return schemaCommand(rest);
    }
    default:
      process.stderr.write(`zpa-relay: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}
