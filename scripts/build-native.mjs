#!/usr/bin/env node
/**
 * Builds the native simdjson checker (native/ -> native/build/Release/zpa_native.node) with node-gyp, and
 * beside it the ISA-L gzip module (zpa_igzip.node) when ISA-L's headers are installed (Debian/Ubuntu:
 * libisal-dev; ZPA_NATIVE_ISAL=off skips it). Run by `npm install`/`npm ci` (the `prepare` script) and by
 * `npm run build:native`. Without ISA-L the HTTP output compresses gzip bodies with Node's zlib instead.
 *
 * A failed build is not an install failure: the relay then runs the TypeScript reference engine
 * (zpa_relay_engine_info{engine="reference"}), so this prints a clear warning and exits 0. Set
 * ZPA_NATIVE_REQUIRED=1 to make a failed build fail the install instead (CI, image builds that must ship
 * the addon), or ZPA_NATIVE_SKIP=1 to skip it.
 *
 * node-gyp is the copy bundled with npm (npm passes its path as npm_config_node_gyp to lifecycle scripts;
 * otherwise it is looked up next to the running npm or node). Node's headers come from npm's `nodedir`
 * setting, else from the include/node directory beside this node binary (Debian's nodejs packages and the
 * official node images ship them), else node-gyp downloads them, which needs network access.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const required = process.env.ZPA_NATIVE_REQUIRED === '1';

function warn(message) {
  fail(`zpa-relay: the native simdjson engine was not built: ${message}\n` +
    'zpa-relay: the relay will run the TypeScript reference engine (same verdicts, slower). ' +
    'Install python3, make and a C++17 compiler, then run "npm run build:native".\n');
}

function fail(text) {
  process.stderr.write(`\n${'!'.repeat(100)}\n${text}${'!'.repeat(100)}\n\n`);
  process.exit(required ? 1 : 0);
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

if (process.env.ZPA_NATIVE_SKIP === '1') {
  process.stderr.write('zpa-relay: ZPA_NATIVE_SKIP=1: not building the native simdjson engine\n');
  process.exit(0);
}
const gyp = nodeGyp();
if (gyp === undefined) warn('node-gyp was not found (it ships with npm; is this npm install complete?)');
const args = [gyp, 'rebuild', `--jobs=${process.env.ZPA_NATIVE_JOBS ?? 'max'}`];
// Headers installed beside this node (Debian's /usr/include/node, the official images' /usr/local/include/node)
// spare node-gyp a download.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
// ISA-L is a system library: build its module only where a C++ compile finds the header.
const isalProbe = process.env.ZPA_NATIVE_ISAL === 'off'
  ? { status: 1 }
  : spawnSync(process.env.CXX || 'c++', ['-E', '-x', 'c++', '-'], { input: '#include <isa-l/igzip_lib.h>\n', stdio: ['pipe', 'ignore', 'ignore'] });
const withIsal = isalProbe.status === 0;
if (withIsal) args.push('--', '-Dzpa_isal=1');
const started = Date.now();
process.stderr.write(`zpa-relay: building the native simdjson engine${withIsal ? ' and the ISA-L gzip module' : ''} (node-gyp, about 30 s)...\n`);
const r = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) warn(`node-gyp could not start: ${r.error.message}`);
if (r.status !== 0) warn(`node-gyp exited with status ${r.status} (its output is above)`);
/**
 * A built module must also load in this Node (ABI, missing symbols, a shared library absent): loads it in a
 * fresh process the way the relay will and returns its info(), or the first line of the error.
 */
function loadCheck(fileName) {
  const file = path.join(nativeDir, 'build', 'Release', fileName);
  const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(file)}).info()))`], { encoding: 'utf8' });
  return r.status === 0 ? { info: JSON.parse(r.stdout) } : { error: r.stderr.trim().split('\n')[0] };
}

const check = loadCheck('zpa_native.node');
if (check.error !== undefined) warn(`the built addon does not load: ${check.error}`);
const info = check.info;
process.stderr.write(`zpa-relay: native simdjson engine built in ${((Date.now() - started) / 1000).toFixed(1)} s (simdjson ${info.simdjson}, walk compiled for ${info.implementation}, stage 1 on this CPU: ${info.stage1})\n`);
if (process.env.ZPA_NATIVE_ISAL === 'off') {
  process.stderr.write('zpa-relay: ZPA_NATIVE_ISAL=off: not building the ISA-L gzip module: gzip bodies will use Node\'s zlib\n');
} else if (!withIsal) {
  process.stderr.write('zpa-relay: ISA-L headers not found (Debian/Ubuntu: apt-get install libisal-dev): gzip bodies will use Node\'s zlib (about 3.6x the CPU per byte)\n');
} else {
  const g = loadCheck('zpa_igzip.node');
  if (g.error !== undefined) fail(`zpa-relay: the ISA-L gzip module does not load: ${g.error}\nzpa-relay: gzip bodies will use Node's zlib.\n`);
  process.stderr.write(`zpa-relay: ISA-L gzip module built (ISA-L ${g.info.isal}): gzip bodies use igzip\n`);
}
