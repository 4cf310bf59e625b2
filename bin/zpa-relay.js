#!/usr/bin/env node
// Thin launcher: the TypeScript is compiled to dist/ by `npm install` (the `prepare` script).
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`zpa-relay: ${err?.stack ?? err}\n`); process.exitCode = 2; },
);
