/**
 * The checks only this project can make of a rendering of deploy/ (kustomize or the Helm chart), beyond
 * Kubernetes' schemas: the ConfigMap's relay.yaml passes the relay's own validator with exactly the env the
 * pod gets, the Services expose exactly the listener ports (the admin port never on the load balancer),
 * probes hit /healthz and /readyz on admin.port, the paths the relay writes are the only writable volumes
 * on a read-only root and hold their bounds, TLS files come from a mounted Secret, the grace period
 * outlasts preStop plus the drain, worker threads fit the CPU limit, and the HPA, PDB, ServiceMonitor and
 * NetworkPolicy select the relay's pods.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BIN } from '../helpers/repo.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { RelayConfig } from '../../src/config/types.js';
import type { K8sObject } from './k8s-schema.js';
import { podSpecOf } from './render.js';

/** What checkRendering found, for the tests' own assertions. */
export interface Checked {
  config: RelayConfig;
  /** The ConfigMap's relay.yaml as rendered. */
  relayYaml: string;
  /** The environment the relay container gets, secrets resolved from rendered Secrets (else `placeholder`). */
  env: Record<string, string>;
  workload: K8sObject;
  pod: Record<string, any>;
  container: Record<string, any>;
}

export const one = <T>(items: T[], what: string): T => {
  assert.equal(items.length, 1, `exactly one ${what}`);
  return items[0]!;
};
export const byKind = (objs: K8sObject[], kind: string): K8sObject[] => objs.filter((o) => o.kind === kind);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Bytes of a Kubernetes quantity (`2Gi`, `512Mi`). */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  assert.ok(m, `quantity ${q}`);
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
}
const quantityCpu = (q: string | number): number => (typeof q === 'number' ? q : q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));

/** The environment of a container, with secretKeyRef values read from the rendered Secrets when there. */
function containerEnv(c: Record<string, any>, objs: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (c.env ?? []) as Array<Record<string, any>>) {
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (!ref) {
      env[e.name as string] = String(e.value);
      continue;
    }
    const secret = byKind(objs, 'Secret').find((s) => s.metadata.name === ref.name);
    if (secret) assert.ok(secret.data?.[ref.key], `Secret ${ref.name} has key ${ref.key}`);
    env[e.name as string] = secret ? Buffer.from(secret.data[ref.key] as string, 'base64').toString() : 'placeholder';
  }
  return env;
}

/** The checks every rendering must pass; returns what they found. */
export function checkRendering(objs: K8sObject[], opts: { namespace?: string } = {}): Checked {
  for (const o of objs) {
    assert.ok(o.metadata?.name, `${o.kind} has a name`);
    if (opts.namespace) assert.equal(o.metadata.namespace, opts.namespace, `${o.kind}/${o.metadata.name} namespace`);
  }
  const workload = one(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet'), 'workload');
  const pod = podSpecOf(workload);
  const podLabels = workload.spec.template.metadata.labels as Record<string, string>;
  assert.ok(matches(workload.spec.selector.matchLabels, podLabels), 'the workload selects its own pods');
  const c = one(pod.containers as Array<Record<string, any>>, 'container');
  const mounts = c.volumeMounts as Array<Record<string, any>>;
  const volumes = pod.volumes as Array<Record<string, any>>;

  // The config file: mounted from the ConfigMap at the path the relay is started with.
  const args = c.args as string[];
  const configPath = args[args.indexOf('--config') + 1]!;
  const configMount = one(mounts.filter((m) => m.mountPath === path.posix.dirname(configPath)), 'config mount');
  const configVolume = one(volumes.filter((v) => v.name === configMount.name), 'config volume');
  const cm = one(byKind(objs, 'ConfigMap').filter((o) => o.metadata.name === configVolume.configMap?.name), `ConfigMap ${configVolume.configMap?.name}`);
  const relayYaml = cm.data[path.posix.basename(configPath)] as string;
  assert.ok(relayYaml, 'the ConfigMap holds the config file');

  // The relay's own validator, with only the env the pod gets: a secretEnv the pod lacks fails here.
  const env = containerEnv(c, objs);
  if (env['ZPA_RELAY_CONFIG'] !== undefined) assert.equal(env['ZPA_RELAY_CONFIG'], configPath, 'the CLI in the pod reads the same config');
  // TLS files are read by the validator: this one checks the config's shape, relayConfigCheck the files.
  const raw = parseYaml(relayYaml) as { listeners: Array<{ tls?: { certFile?: string; keyFile?: string; caFile?: string } }> };
  const shape = structuredClone(raw);
  for (const l of shape.listeners) delete l.tls;
  const full = validateConfig(shape, { env, source: 'ConfigMap relay.yaml (without tls)' });

  // Ports: container ports, the Services, the probes and the NetworkPolicy agree with the config.
  const admin = full.admin.port;
  const listenerPorts = full.listeners.map((l) => l.port).sort();
  const containerPorts = new Map((c.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]));
  const resolvePort = (p: string | number) => (typeof p === 'number' ? p : containerPorts.get(p));
  assert.deepEqual([...containerPorts.values()].sort(), [...listenerPorts, admin].sort(), 'container ports == listener ports + admin.port');
  const lb = one(byKind(objs, 'Service').filter((s) => (s.spec.ports as Array<{ port: number }>).some((p) => listenerPorts.includes(p.port))), 'Service of the listeners');
  if (lb.spec.type !== 'ClusterIP') assert.equal(lb.spec.externalTrafficPolicy, 'Local', 'client addresses survive the load balancer');
  assert.ok(matches(lb.spec.selector, podLabels), 'the Service selects the relay pods');
  const lbPorts = lb.spec.ports as Array<{ port: number; targetPort: string | number; protocol: string }>;
  assert.deepEqual(lbPorts.map((p) => p.port).sort(), listenerPorts, 'Service ports == listener ports (admin not on the LB)');
  for (const p of lbPorts) {
    assert.equal(p.protocol, 'TCP');
    assert.equal(resolvePort(p.targetPort), p.port, `Service port ${p.port} targets the same container port`);
  }
  for (const [probe, pathWanted] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz'], ['startupProbe', '/healthz']] as const) {
    const get = c[probe]?.httpGet as { path: string; port: string | number } | undefined;
    assert.ok(get, `${probe} is an HTTP GET`);
    assert.equal(get.path, pathWanted, `${probe} path`);
    assert.equal(resolvePort(get.port), admin, `${probe} port == admin.port`);
  }
  const adminSvc = one(byKind(objs, 'Service').filter((s) => (s.spec.ports as Array<{ name: string }>).some((p) => p.name === 'admin') && s.spec.clusterIP !== 'None'), 'admin Service');
  assert.equal(adminSvc.spec.type ?? 'ClusterIP', 'ClusterIP', 'the admin port stays inside the cluster');
  assert.equal(resolvePort(adminSvc.spec.ports[0].targetPort), admin);
  for (const sm of byKind(objs, 'ServiceMonitor')) {
    assert.ok(matches(sm.spec.selector.matchLabels, adminSvc.metadata.labels), 'the ServiceMonitor selects the admin Service');
    assert.ok(!matches(sm.spec.selector.matchLabels, lb.metadata.labels), 'and not the load balancer');
    assert.deepEqual(sm.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]), [['admin', '/metrics']]);
  }
  const np = one(byKind(objs, 'NetworkPolicy'), 'NetworkPolicy');
  assert.ok(matches(np.spec.podSelector.matchLabels, podLabels));
  const ingressPorts = (np.spec.ingress as Array<{ ports: Array<{ port: number }>; from?: unknown[] }>).flatMap((r) => r.ports.map((p) => ({ port: p.port, from: r.from })));
  for (const port of listenerPorts) assert.ok(ingressPorts.some((p) => p.port === port), `ingress to ${port}`);
  assert.ok(ingressPorts.some((p) => p.port === admin && p.from !== undefined), 'ingress to the admin port from named peers only');
  const egressPorts = (np.spec.egress as Array<{ ports: Array<{ port: number; protocol: string }> }>).flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`));
  for (const p of ['UDP/53', 'TCP/53']) assert.ok(egressPorts.includes(p), `egress ${p}`);
  if (full.output.type === 'http') {
    const url = new URL(full.output.http!.url);
    assert.ok(egressPorts.includes(`TCP/${url.port || (url.protocol === 'https:' ? 443 : 80)}`), 'egress allows the Panther URL port');
  }

  // Security: non-root (the image's USER), read-only root, no capabilities.
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 10001);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(pod.automountServiceAccountToken, false, 'the relay does not talk to the Kubernetes API');

  // Writable paths: the spool, the dead-letter store (and the directory output), each a volume larger than its bound.
  const claims = new Map(((workload.spec.volumeClaimTemplates ?? []) as Array<Record<string, any>>).map((t) => [t.metadata.name as string, t]));
  const writable = [
    { path: full.spool.path, maxBytes: full.spool.maxBytes },
    { path: full.deadLetter.path, maxBytes: full.deadLetter.maxBytes },
    ...(full.output.type === 'directory' ? [{ path: full.output.directory.path, maxBytes: 0 }] : []),
  ];
  assert.equal(full.spool.path, '/var/lib/zpa-relay/spool', 'the spool is on');
  for (const w of writable) {
    const mount = one(mounts.filter((m) => m.mountPath === w.path), `mount at ${w.path}`);
    assert.notEqual(mount.readOnly, true);
    const volume = volumes.find((v) => v.name === mount.name);
    const size = volume?.emptyDir?.sizeLimit ?? claims.get(mount.name)?.spec.resources.requests.storage;
    assert.ok(size, `${w.path} is an emptyDir or a PersistentVolumeClaim`);
    assert.ok(quantityBytes(size as string) > w.maxBytes, `${w.path}: volume ${size} holds its bound (${w.maxBytes} bytes)`);
  }
  assert.deepEqual(mounts.filter((m) => m.readOnly !== true).map((m) => m.mountPath).sort(), writable.map((w) => w.path).sort(), 'nothing else is writable');

  // TLS: every file a listener reads is in a read-only mount of a Secret.
  for (const l of raw.listeners) {
    for (const f of [l.tls?.certFile, l.tls?.keyFile, l.tls?.caFile].filter((f): f is string => !!f)) {
      const mount = one(mounts.filter((m) => f.startsWith(`${m.mountPath}/`)), `mount holding ${f}`);
      assert.equal(mount.readOnly, true, `${f} is mounted read-only`);
      assert.ok(volumes.find((v) => v.name === mount.name)?.secret?.secretName, `${f} comes from a Secret`);
    }
  }

  // Shutdown: the preStop sleep plus the drain fit in the grace period.
  const sleep = c.lifecycle.preStop.exec.command as string[];
  assert.equal(sleep[0], 'sleep');
  const graceWanted = Number(sleep[1]) + full.drainTimeoutMs / 1000;
  assert.ok(pod.terminationGracePeriodSeconds > graceWanted, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${sleep[1]} s + drain ${full.drainTimeoutMs / 1000} s`);

  // Resources: worker threads fit the CPU limit, and memory leaves room beyond the buffered bytes.
  const cpuLimit = quantityCpu(c.resources.limits.cpu);
  assert.ok(full.workers.threads >= 1 && full.workers.threads <= cpuLimit, `workers.threads (${full.workers.threads}) set and within the CPU limit (${cpuLimit})`);
  assert.ok(quantityBytes(c.resources.limits.memory) >= full.maxBufferedBytes + 256 * 2 ** 20, 'memory limit >= maxBufferedBytes + 256 MiB');
  assert.ok(quantityCpu(c.resources.requests.cpu) <= cpuLimit);

  // Scaling and disruption: two relays at least; the HPA targets this workload, the PDB covers its pods.
  const hpas = byKind(objs, 'HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: workload.kind, name: workload.metadata.name });
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  }
  assert.ok((hpas[0]?.spec.minReplicas ?? workload.spec.replicas) >= 2, '2+ replicas');
  for (const pdb of byKind(objs, 'PodDisruptionBudget')) assert.ok(matches(pdb.spec.selector.matchLabels, podLabels));
  return { config: full, relayYaml, env, workload, pod, container: c };
}

/**
 * Runs the real `zpa-relay config check` on the rendered relay.yaml with the pod's env. `files` maps a
 * directory in the pod (a mounted Secret) to a local one: paths under it are rewritten, so the TLS files
 * the config names are read. Returns the exit status and stderr.
 */
export function relayConfigCheck(relayYaml: string, env: Record<string, string>, files: Record<string, string> = {}): { status: number | null; stderr: string } {
  let text = relayYaml;
  if (Object.keys(files).length > 0) {
    const cfg = parseYaml(relayYaml) as { listeners: Array<{ tls?: Record<string, string> }> };
    for (const l of cfg.listeners) {
      for (const k of ['certFile', 'keyFile', 'caFile']) {
        for (const [inPod, local] of Object.entries(files)) if (l.tls?.[k]?.startsWith(`${inPod}/`)) l.tls[k] = local + l.tls[k]!.slice(inPod.length);
      }
    }
    text = stringifyYaml(cfg);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-config-check-'));
  try {
    fs.writeFileSync(path.join(dir, 'relay.yaml'), text);
    const r = spawnSync(process.execPath, [BIN, 'config', 'check', path.join(dir, 'relay.yaml')], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Asserts that `zpa-relay config check` passed. The image always carries the simdjson addon and ISA-L (its
 * Dockerfile builds them with ZPA_NATIVE_REQUIRED=1), this machine may not: a refusal whose only problems
 * are "not available here" for those two is a pass, and says so.
 */
export function assertConfigCheckPasses(check: { status: number | null; stderr: string }, where: string): void {
  if (check.status === 0) return;
  const problems = [...check.stderr.matchAll(/^ {2}- (.*)$/gm)].map((m) => m[1]!);
  const local = /^(workers\.engine: simdjson|output\.http\.gzipLibrary: isal) is not available here/;
  assert.ok(problems.length > 0 && problems.every((p) => local.test(p)), `${where}: zpa-relay config check refused it:\n${check.stderr}`);
  console.log(`${where}: config check passed but for what only this machine lacks: ${problems.join('; ')}`);
}
