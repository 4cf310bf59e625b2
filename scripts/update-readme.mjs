// Regenerates the README's configuration reference from the config declaration (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../dist/src/config/describe-config.js';

const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- config-table:start -->\n';
const end = '\n<!-- config-table:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md: config-table markers not found');
writeFileSync(file, text.slice(0, a + start.length) + configTable() + text.slice(b));
