// Regenerates the README's generated tables (config reference, error codes) from their single sources;
// run by `npm run docs` after the build. test/docs/readme.test.ts fails when they drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../dist/src/config/describe-config.js';
import { ERROR_CODES } from '../dist/src/errors.js';

const file = new URL('../README.md', import.meta.url);
let text = readFileSync(file, 'utf8');

function replaceBetween(name, body) {
  const start = `<!-- ${name}:start -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md: ${name} markers not found`);
  text = text.slice(0, a + start.length) + body + text.slice(b);
}

replaceBetween('config-table', configTable());
replaceBetween('error-table', ['| code | meaning |', '|---|---|', ...Object.entries(ERROR_CODES).map(([k, v]) => `| \`${k}\` | ${v.replace(/\|/g, '\\|')} |`)].join('\n'));
writeFileSync(file, text);
