/**
 * Flattens the config declaration into rows (key path, type, default, doc) for the README's
 * configuration reference; a test checks the README lists every row.
 */
import { configSchema } from './config-schema.js';

export interface OptionRow {
  path: string;
  type: string;
  default: string;
  doc: string;
}

export function describeConfig(): OptionRow[] {
  const rows: OptionRow[] = [];
  walk(configSchema, '', rows);
  return rows;
}

function walk(node: Record<string, unknown>, path: string, rows: OptionRow[]): void {
  const type = node.type as string | undefined;
  if (type === 'object' && node.properties) {
    if (path && node.description) rows.push({ path, type: 'section', default: '', doc: String(node.description) });
    for (const [k, v] of Object.entries(node.properties as Record<string, Record<string, unknown>>)) walk(v, path ? `${path}.${k}` : k, rows);
    return;
  }
  if (type === 'array' && node.items) {
    rows.push({ path, type: 'list', default: '', doc: String(node.description ?? '') });
    walk(node.items as Record<string, unknown>, `${path}[]`, rows);
    return;
  }
  const def = node.default === undefined ? '(required)' : JSON.stringify(node.default);
  const t = node.enum ? (node.enum as string[]).join(' \\| ') : String(type ?? 'object');
  rows.push({ path, type: t, default: def, doc: String(node.description ?? '') });
}

/** The markdown table printed by `node dist/src/config/describe-config.js`. */
export function configTable(): string {
  const lines = ['| key | type | default | meaning |', '|---|---|---|---|'];
  for (const r of describeConfig()) lines.push(`| \`${r.path}\` | ${r.type} | ${r.default === '' ? '' : `\`${r.default}\``} | ${r.doc.replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  process.stdout.write(configTable() + '\n');
}
