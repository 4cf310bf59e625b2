/**
 * `zpa-relay schema derive|test`: from what the relay refused (and the fields Panther would drop), a Panther
 * custom schema that accepts real LSS traffic, tested in Panther's own format.
 * Exit status: derive 0 written, 1 nothing to derive or not fixable (nothing written), 2 usage, config,
 * schema or file errors; test 0 every test passes, 1 any fails, 2 usage, schema or test-file errors.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { isRelayError, RelayError } from '../errors.js';
import { SchemaEngine } from '../schema/engine.js';
import { parseSchemaSources, TEST_FILE_RE } from '../schema/schema-loader.js';
import { readSchemaSet } from '../schema/schema-set.js';
import { formatSchemaTests, parseSchemaTests, runSchemaTest, type SchemaTestCase } from '../schema/schema-tests.js';
import { DeriveCollector } from '../schema/derive/derive-schema.js';
import { gatherRecords } from '../schema/derive/derive-inputs.js';
import { deriveTests } from '../schema/derive/derive-tests.js';

const HELP = `Usage:
  zpa-relay schema derive --log-type NAME [--name Custom.ZPA.X] [--out DIR] [--config FILE]
                          [--no-add-fields] [--no-store] [FILE...]
  zpa-relay schema test PATH [TEST_FILE...]

derive: writes DIR/<name>.yml, a Panther custom schema derived from the loaded schema NAME that accepts the
  records NAME refused and keeps the fields they carry that NAME lacks, and DIR/<name>_tests.yml, a few of
  those records with their normalized result in Panther's schema-test format.
  Records come from the dead-letter store of the relay's config (--config FILE, else ZPA_RELAY_CONFIG, else
  the embedded default), from the sample the relay keeps of accepted records with unknown fields, and from
  FILEs (raw LSS lines, e.g. a capture of a listener's traffic, or dead-letter files).
  --name        the custom schema's name (default Custom.ZPA.<Type>; Panther's custom names start with Custom.)
  --out         where to write (default: the current directory)
  --no-add-fields  only widen NAME's fields; add none
  --no-store    read only the FILEs, not the dead-letter store or the sample
  Exit status: 0 written, 1 no records for NAME or not fixable (nothing written), 2 usage/config/file errors.

test: runs Panther schema-test files (the format pantherlog test reads) against the schemas at PATH (a
  directory or one file) with the relay's engine; with a directory and no TEST_FILE, its *_tests.yml files.
  Results are compared as JSON, leaving out p_row_id and p_parse_time.
  Exit status: 0 every test passes, 1 any fails, 2 usage, schema or test-file errors.
`;

class UsageError extends Error {}

interface DeriveArgs {
  logType: string;
  name?: string;
  out: string;
  config?: string;
  addFields: boolean;
  store: boolean;
  files: string[];
}

function parseDeriveArgs(args: string[]): DeriveArgs | 'help' {
  const a: Partial<DeriveArgs> & { files: string[] } = { out: '.', addFields: true, store: true, files: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (!arg.startsWith('--')) {
      a.files.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--log-type':
        a.logType = value();
        break;
      case '--name':
        a.name = value();
        break;
      case '--out':
        a.out = value();
        break;
      case '--config':
        a.config = value();
        break;
      case '--no-add-fields':
        a.addFields = false;
        break;
      case '--no-store':
        a.store = false;
        break;
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  if (a.logType === undefined) throw new UsageError('--log-type NAME is required (the loaded schema to derive from, e.g. Zscaler.ZPA.UserActivity)');
  if (a.name !== undefined && !/^Custom\.[A-Za-z0-9_.]+$/.test(a.name)) {
    throw new UsageError(`--name "${a.name}": Panther custom schema names start with "Custom." and hold letters, digits, dots and underscores`);
  }
  if (!a.store && a.files.length === 0) throw new UsageError('--no-store needs record FILEs to read');
  return a as DeriveArgs;
}

/** `Custom.ZPA.<Type>` for a bundled name (`Zscaler.ZPA.UserActivity`) or a custom one (kept). */
export function defaultCustomName(logType: string): string {
  if (logType.startsWith('Custom.')) return logType;
  const type = logType.replace(/^Zscaler\.ZPA\./, '').replace(/[^A-Za-z0-9_.]/g, '_');
  return `Custom.ZPA.${type}`;
}

async function derive(args: string[]): Promise<number> {
  const a = parseDeriveArgs(args);
  if (a === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const configFile = a.config ?? (process.env.ZPA_RELAY_CONFIG || undefined);
  const config = loadConfig({ file: configFile });
  const sources = await readSchemaSet(config.schemas);
  const specs = parseSchemaSources(sources);
  const baseSpec = specs.find((s) => s.schema === a.logType);
  if (baseSpec === undefined) {
    throw new RelayError(
      'ZPA_ERR_UNKNOWN_LOG_TYPE',
      `no loaded schema is named "${a.logType}" (loaded: ${specs.map((s) => s.schema).sort().join(', ')}); add its file to schemas.include of ${configFile ?? 'the config'}`,
    );
  }
  const base = sources.find((s) => s.file === baseSpec.file)!;
  const name = a.name ?? defaultCustomName(a.logType);

  const collector = new DeriveCollector({ base, baseSpec, name, addFields: a.addFields });
  const gathered = await gatherRecords({
    logType: a.logType,
    ...(a.store ? { storeDir: config.deadLetter.path } : {}),
    listenerTypes: new Map(config.listeners.map((l) => [l.name, l.logType])),
    files: a.files,
    repairs: config.repairs,
    onRecord: (text) => collector.add(text),
  });
  const leftOutText = (m: Record<string, number>): string =>
    Object.entries(m)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
  const total = gathered.fromStore + gathered.fromSample + gathered.fromFiles;
  if (total === 0) {
    const where = a.store ? `the dead-letter store at ${config.deadLetter.path}${gathered.storeMissing ? ' (it does not exist yet)' : ''} holds none refused, the sample holds none` : '';
    const left = Object.keys(gathered.leftOut).length > 0 ? `; left out: ${leftOutText(gathered.leftOut)} (no schema can take those)` : '';
    process.stderr.write(`zpa-relay schema derive: no records for ${a.logType}: ${[where, a.files.length === 0 ? 'no files given' : `the files give none`].filter((s) => s).join(', ')}${left}; nothing written\n`);
    return 1;
  }

  const result = collector.derive();
  const leftOut = { ...gathered.leftOut };
  for (const [k, v] of Object.entries(result.leftOut)) leftOut[k] = (leftOut[k] ?? 0) + v;
  const lines = [
    `zpa-relay schema derive: ${name} from ${a.logType}`,
    `  records examined: ${result.examined} (dead-letter store ${gathered.fromStore}, sample ${gathered.fromSample}, files ${gathered.fromFiles})` +
      (Object.keys(leftOut).length > 0 ? `; left out: ${leftOutText(leftOut)} (no schema can take those)` : ''),
  ];
  for (const c of result.changed) {
    const what = c.from === c.to ? (c.requiredDropped ? 'made optional' : `time formats added (${c.to})`) : `${c.from} -> ${c.to}${c.requiredDropped ? ', made optional' : ''}`;
    lines.push(`  changed: ${c.field}: ${what} (${c.records} records: ${c.shapes})`);
  }
  if (result.added.length > 0) {
    lines.push(`  added: ${result.added.length} field(s): ${result.added.map((f) => `${f.field} (${f.type}${f.indicators.length > 0 ? `, ${f.indicators.join(', ')}` : ''}; ${f.records} records)`).join(', ')}`);
  }
  if (result.changed.length === 0 && result.added.length === 0) lines.push(`  no field changed: ${a.logType} already accepts every record${a.addFields ? ' and they carry no field it lacks' : ''}`);
  if (result.examined === 0 || result.stillRefused.length > 0) {
    lines.push(result.examined === 0 ? '  no record is a JSON object: nothing to derive from; nothing written' : `  the derived schema still refuses ${result.stillRefused.length} record(s) (${[...new Set(result.stillRefused)].slice(0, 5).join('; ')}); nothing written`);
    process.stdout.write(lines.join('\n') + '\n');
    return 1;
  }
  lines.push(
    result.checked < result.examined
      ? `  check: the derived schema accepts ${result.accepted} of the ${result.checked} records kept for their varied shapes (from ${result.examined} examined)`
      : `  check: the derived schema accepts ${result.accepted} of ${result.examined} examined records`,
  );

  const tests = deriveTests(collector.keptRecords, result.engine, name, result.changed, result.added);
  const schemaFile = join(a.out, `${name}.yml`);
  const testFile = join(a.out, `${name}_tests.yml`);
  await writeAtomically(a.out, [
    [schemaFile, result.yaml],
    [testFile, formatSchemaTests(tests)],
  ]);
  lines.push(`  wrote ${schemaFile}`, `  wrote ${testFile} (${tests.length} test(s))`);
  lines.push(`next: zpa-relay schema test ${a.out}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** Writes each file through a temporary name and a rename, so a reader never sees half a schema. */
async function writeAtomically(dir: string, files: ReadonlyArray<[string, string]>): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    for (const [file, text] of files) {
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, text);
      await rename(tmp, file);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new RelayError('ZPA_ERR_OUTPUT_WRITE', `cannot write to ${e.path ?? dir}: ${e.code ?? e.message} (choose another directory with --out)`);
  }
}

async function test(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const bad = args.find((x) => x.startsWith('--'));
  if (bad !== undefined) throw new UsageError(`unknown option ${bad}`);
  const [path, ...testFiles] = args;
  if (path === undefined) throw new UsageError('PATH is required: the schema directory or file to test');
  const engine = await SchemaEngine.load(path);
  let files = testFiles;
  if (files.length === 0) {
    let names: string[];
    try {
      names = (await readdir(path)).filter((n) => TEST_FILE_RE.test(n)).sort();
    } catch {
      throw new UsageError(`${path} is a file: name the TEST_FILEs to run against it`);
    }
    if (names.length === 0) throw new UsageError(`no *_tests.yml files in ${path}: name the TEST_FILEs to run`);
    files = names.map((n) => join(path, n));
  }
  const cases: SchemaTestCase[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      throw new RelayError('ZPA_ERR_FILE_NOT_FOUND', `cannot read test file ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    cases.push(...parseSchemaTests(relative(process.cwd(), f) || f, text));
  }
  let failed = 0;
  const out: string[] = [];
  for (const c of cases) {
    const r = runSchemaTest(engine, c);
    if (r.pass) {
      out.push(`PASS ${c.name}`);
      continue;
    }
    failed++;
    out.push(`FAIL ${c.name} (${c.file}, test ${c.index})`, ...r.differences.map((d) => `    ${d}`));
  }
  out.push(`schema tests: ${cases.length - failed} passed, ${failed} failed`);
  process.stdout.write(out.join('\n') + '\n');
  return failed === 0 ? 0 : 1;
}

export async function schemaCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'derive') return await derive(rest);
    if (sub === 'test') return await test(rest);
    if (sub === '--help' || sub === '-h') {
      process.stdout.write(HELP);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'say derive or test' : `unknown subcommand '${sub}'`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`zpa-relay schema: ${err.message}\n\n${HELP}`);
      return 2;
    }
    if (isRelayError(err)) {
      process.stderr.write(`zpa-relay schema: ${err.message}\n`);
      for (const d of err.details.length > 1 ? err.details : []) process.stderr.write(`  - ${d}\n`);
      return 2;
    }
    throw err;
  }
}
