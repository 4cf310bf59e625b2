/**
 * A minimal kustomize build for the deployment tests. No registry this project reaches ships kustomize
 * (Debian's kubernetes-client is kubectl 1.20, whose built-in kustomize 2.0 cannot read `resources:`
 * directories or `patches:`), so this implements the subset deploy/ uses, with kustomize's semantics:
 * `resources` (files and directories), `namespace`, `labels` (metadata only), `images`,
 * `configMapGenerator`/`secretGenerator` (files, literals, behavior create|replace|merge, a content-hash
 * name suffix, and references to the generated names rewritten in pod specs), and `patches` (strategic
 * merge by the Kubernetes merge keys, `$patch: delete`, an optional `target`). Any other field is refused,
 * so deploy/ cannot silently use something this build would ignore. Output was compared with
 * `kubectl kustomize` (kustomize v5.5) by hand: same objects, same fields, different hash suffixes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object, as plain data. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, any>;

interface Built {
  objects: K8sObject[];
  /** Generated object names: `Kind/original` -> name with hash suffix. */
  renames: Map<string, string>;
  /** The original (pre-hash) name of each generated object. */
  original: Map<K8sObject, string>;
}

const FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images', 'configMapGenerator', 'secretGenerator', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

/** Builds the kustomization in `dir` and returns its objects. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const built = build(dir);
  // References keep the original names through every level, then point at the final generated names.
  for (const o of built.objects) rewriteReferences(o, built.renames);
  return built.objects;
}

/** Parses every YAML document of a file (skipping empty ones). */
export function readManifests(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function build(dir: string): Built {
  const k = readManifests(path.join(dir, 'kustomization.yaml'))[0] as unknown as Record<string, any>;
  for (const key of Object.keys(k)) if (!FIELDS.has(key)) throw new Error(`${dir}/kustomization.yaml: field ${key} is not supported by this build`);
  const out: Built = { objects: [], renames: new Map(), original: new Map() };
  for (const r of (k.resources ?? []) as string[]) {
    const p = path.resolve(dir, r);
    if (statSync(p).isDirectory()) {
      const sub = build(p);
      out.objects.push(...sub.objects);
      for (const [a, b] of sub.renames) out.renames.set(a, b);
      for (const [a, b] of sub.original) out.original.set(a, b);
    } else out.objects.push(...readManifests(p));
  }
  for (const [kind, gens] of [['ConfigMap', k.configMapGenerator], ['Secret', k.secretGenerator]] as const) {
    for (const g of (gens ?? []) as Array<Record<string, any>>) generate(dir, kind, g, out);
  }
  for (const p of (k.patches ?? []) as Array<{ path: string; target?: { kind?: string; name?: string } }>) {
    for (const patch of readManifests(path.resolve(dir, p.path))) applyPatch(out, patch, p.target);
  }
  if (k.namespace) for (const o of out.objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace as string;
  for (const l of (k.labels ?? []) as Array<{ pairs: Record<string, string> }>) {
    for (const o of out.objects) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
  }
  for (const img of (k.images ?? []) as Array<{ name: string; newName?: string; newTag?: string; digest?: string }>) {
    for (const c of out.objects.flatMap(containersOf)) {
      const [name, tag] = splitImage(c.image as string);
      if (name !== img.name) continue;
      c.image = `${img.newName ?? name}${img.digest ? `@${img.digest}` : img.newTag ? `:${img.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
  return out;
}

function generate(dir: string, kind: 'ConfigMap' | 'Secret', g: Record<string, any>, out: Built): void {
  const data: Record<string, string> = {};
  for (const f of (g.files ?? []) as string[]) {
    const [key, file] = f.includes('=') ? f.split('=') : [path.basename(f), f];
    data[key!] = readFileSync(path.resolve(dir, file!), 'utf8');
  }
  for (const l of (g.literals ?? []) as string[]) {
    const i = l.indexOf('=');
    data[l.slice(0, i)] = l.slice(i + 1);
  }
  const behavior = (g.behavior ?? 'create') as string;
  let obj = out.objects.find((o) => o.kind === kind && out.original.get(o) === g.name);
  if (behavior === 'create') {
    if (obj) throw new Error(`${kind} ${g.name} is generated twice`);
    obj = { apiVersion: 'v1', kind, metadata: { name: g.name as string } };
    if (kind === 'Secret') obj.type = 'Opaque';
    out.objects.push(obj);
    out.original.set(obj, g.name as string);
  } else if (!obj) throw new Error(`${kind} ${g.name}: behavior ${behavior} but no base generates it`);
  const encoded = kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([a, b]) => [a, Buffer.from(b).toString('base64')])) : data;
  obj.data = behavior === 'merge' ? { ...obj.data, ...encoded } : encoded;
  const hash = createHash('sha256').update(JSON.stringify({ kind, data: obj.data })).digest('hex').slice(0, 10);
  obj.metadata.name = `${g.name}-${hash}`;
  out.renames.set(`${kind}/${g.name}`, obj.metadata.name);
}

function applyPatch(out: Built, patch: K8sObject, target?: { kind?: string; name?: string }): void {
  const kind = target?.kind ?? patch.kind;
  const name = target?.name ?? patch.metadata?.name;
  const matches = out.objects.filter((o) => o.kind === kind && (o.metadata.name === name || out.original.get(o) === name));
  if (matches.length !== 1) throw new Error(`patch for ${kind}/${name} matches ${matches.length} objects`);
  const obj = matches[0]!;
  if ((patch as Record<string, unknown>).$patch === 'delete') {
    out.objects.splice(out.objects.indexOf(obj), 1);
    return;
  }
  const { apiVersion: _a, kind: _k, ...rest } = patch;
  mergePatch(obj, { ...rest, metadata: { ...patch.metadata, name: obj.metadata.name } });
}

/** The list fields Kubernetes merges by key instead of replacing (strategic merge patch). */
function mergeKey(field: string, sample: unknown): string | undefined {
  if (['containers', 'initContainers', 'volumes', 'env', 'imagePullSecrets'].includes(field)) return 'name';
  if (field === 'volumeMounts') return 'mountPath';
  if (field === 'ports') return sample && typeof sample === 'object' && 'containerPort' in sample ? 'containerPort' : 'port';
  return undefined;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergePatch(target: Record<string, any>, patch: Record<string, any>): void {
  for (const [key, pv] of Object.entries(patch)) {
    const tv = target[key];
    if (pv === null) delete target[key];
    else if (isObject(pv) && isObject(tv)) mergePatch(tv, pv);
    else if (Array.isArray(pv) && Array.isArray(tv) && mergeKey(key, pv[0]) !== undefined) {
      const mk = mergeKey(key, pv[0])!;
      for (const item of pv as Array<Record<string, any>>) {
        const existing = (tv as Array<Record<string, any>>).find((t) => t[mk] === item[mk]);
        if (item.$patch === 'delete') tv.splice(tv.indexOf(existing), 1);
        else if (existing) mergePatch(existing, item);
        else tv.push(structuredClone(item));
      }
    } else target[key] = structuredClone(pv);
  }
}

/** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job), if any. */
export function podSpecOf(o: K8sObject): Record<string, any> | undefined {
  return o.spec?.template?.spec as Record<string, any> | undefined;
}

function containersOf(o: K8sObject): Array<Record<string, any>> {
  const spec = podSpecOf(o);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

/** Rewrites references to generated ConfigMaps and Secrets in a pod spec to their hashed names. */
function rewriteReferences(o: K8sObject, renames: Map<string, string>): void {
  const spec = podSpecOf(o);
  if (!spec) return;
  const cm = (n: string) => renames.get(`ConfigMap/${n}`) ?? n;
  const sec = (n: string) => renames.get(`Secret/${n}`) ?? n;
  for (const v of (spec.volumes ?? []) as Array<Record<string, any>>) {
    if (v.configMap) v.configMap.name = cm(v.configMap.name);
    if (v.secret) v.secret.secretName = sec(v.secret.secretName);
  }
  for (const c of containersOf(o)) {
    for (const e of (c.env ?? []) as Array<Record<string, any>>) {
      if (e.valueFrom?.configMapKeyRef) e.valueFrom.configMapKeyRef.name = cm(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef) e.valueFrom.secretKeyRef.name = sec(e.valueFrom.secretKeyRef.name);
    }
    for (const e of (c.envFrom ?? []) as Array<Record<string, any>>) {
      if (e.configMapRef) e.configMapRef.name = cm(e.configMapRef.name);
      if (e.secretRef) e.secretRef.name = sec(e.secretRef.name);
    }
  }
}
