/**
 * Renders deploy/ the way a user does, with the real tools (test/helpers/k8s-tools.ts): `kubectl
 * kustomize` for the kustomizations, `helm template` for the chart. Every rendered object is checked
 * against Kubernetes' schemas (k8s-schema.ts) before it is returned.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/repo.js';
import { runK8sTool, type ToolRun } from '../helpers/k8s-tools.js';
import { validateK8sObject, type K8sObject } from './k8s-schema.js';

export const DEPLOY = path.join(REPO_ROOT, 'deploy');
export const CHART = path.join(DEPLOY, 'helm', 'zpa-relay');
/** The Panther secret the example overlay's git-ignored secret file holds in these tests. */
export const SECRET_VALUE = 'test-secret-value';

/** Parses a multi-document YAML stream into its objects (empty documents dropped). */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], `${source}: YAML errors`);
    const o = doc.toJS() as K8sObject | null;
    return o === null ? [] : [o];
  });
}

/** The objects of one manifest file (not a kustomization). */
export function readManifests(file: string): K8sObject[] {
  return parseManifests(fs.readFileSync(file, 'utf8'), file);
}

function validated(objs: K8sObject[]): K8sObject[] {
  for (const o of objs) validateK8sObject(o);
  return objs;
}

/** `kubectl kustomize` of a kustomization below deploy/, from a copy holding the overlay's git-ignored secret file. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-deploy-'));
  try {
    fs.cpSync(DEPLOY, tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'overlays/example/panther-secret.txt'), SECRET_VALUE);
    const r = runK8sTool('kubectl', ['kustomize', path.join(tmp, dir)]);
    assert.equal(r.status, 0, `kubectl kustomize ${dir}: ${r.stderr}`);
    return validated(parseManifests(r.stdout, `kubectl kustomize ${dir}`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** `helm template zpa-relay deploy/helm/zpa-relay -n zpa-relay` with the given arguments, as it ran. */
export function helmTemplateRun(args: string[] = []): ToolRun {
  return runK8sTool('helm', ['template', 'zpa-relay', CHART, '--namespace', 'zpa-relay', ...args]);
}

/** The chart rendered with the given arguments (`-f FILE`, `--set k=v`), every object schema-checked; test hooks included. */
export function helmTemplate(args: string[] = []): K8sObject[] {
  const r = helmTemplateRun(args);
  assert.equal(r.status, 0, `helm template ${args.join(' ')}: ${r.stderr}`);
  return validated(parseManifests(r.stdout, `helm template ${args.join(' ')}`));
}

/** The pod spec of a Deployment or StatefulSet. */
export function podSpecOf(o: K8sObject): Record<string, any> {
  assert.ok(o.kind === 'Deployment' || o.kind === 'StatefulSet', `${o.kind} has no pod template`);
  return o.spec.template.spec as Record<string, any>;
}
