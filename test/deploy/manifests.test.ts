/**
 * deploy/ agrees with the relay: renders the kustomize base and overlays (test/deploy/kustomize.ts),
 * parses every manifest, and checks them against the relay's own config validator and metric registry:
 * the ConfigMap's relay.yaml validates with exactly the env the pod gets, the Service exposes exactly the
 * listener ports, probes hit /healthz and /readyz on admin.port, the spool and dead-letter paths are
 * writable volumes on a read-only root, the grace period outlasts preStop + drain, the Dockerfile's
 * EXPOSE/USER/VOLUME match, and every metric the Grafana dashboard and the alerts query exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../helpers/repo.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { RelayConfig } from '../../src/config/types.js';
import { RelayMetrics } from '../../src/metrics/metrics.js';
import { kustomizeBuild, podSpecOf, readManifests, type K8sObject } from './kustomize.js';
import { exposedPorts, instructions, parseDockerfile, stageEnv } from './dockerfile.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  Service: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
};
const SECRET_VALUE = 'test-secret-value';

/** Renders a kustomization from a copy of deploy/ holding the git-ignored secret file the overlay reads. */
function render(dir: string): K8sObject[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-deploy-'));
  try {
    fs.cpSync(DEPLOY, tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'overlays/example/panther-secret.txt'), SECRET_VALUE);
    return kustomizeBuild(path.join(tmp, dir));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const one = <T>(items: T[], what: string): T => {
  assert.equal(items.length, 1, `exactly one ${what}`);
  return items[0]!;
};
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const quantityBytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  assert.ok(m, `quantity ${q}`);
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
};
const quantityCpu = (q: string | number): number => (typeof q === 'number' ? q : q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));

interface Checked {
  config: RelayConfig;
  workload: K8sObject;
}

/** The checks every rendering must pass; returns the validated relay config and the workload. */
function checkRendering(objs: K8sObject[], opts: { hasSecret: boolean; namespace?: string }): Checked {
  for (const o of objs) {
    assert.ok(o.metadata?.name, `${o.kind} has a name`);
    assert.equal(o.apiVersion, API_VERSIONS[o.kind], `${o.kind}/${o.metadata.name} apiVersion`);
    if (opts.namespace) assert.equal(o.metadata.namespace, opts.namespace, `${o.kind}/${o.metadata.name} namespace`);
  }
  const workload = one(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet'), 'workload');
  const pod = podSpecOf(workload)!;
  const podLabels = workload.spec.template.metadata.labels as Record<string, string>;
  assert.ok(matches(workload.spec.selector.matchLabels, podLabels), 'the workload selects its own pods');
  assert.ok(workload.spec.replicas >= 2, '2+ replicas');
  const c = one(pod.containers as Array<Record<string, any>>, 'container');

  // The config file: mounted from the ConfigMap at the path the relay is started with.
  const args = c.args as string[];
  const configPath = args[args.indexOf('--config') + 1]!;
  const configMount = one((c.volumeMounts as Array<Record<string, any>>).filter((m) => m.mountPath === path.posix.dirname(configPath)), 'config mount');
  const configVolume = one((pod.volumes as Array<Record<string, any>>).filter((v) => v.name === configMount.name), 'config volume');
  const cm = one(byKind(objs, 'ConfigMap').filter((o) => o.metadata.name === configVolume.configMap?.name), `ConfigMap ${configVolume.configMap?.name}`);
  const relayYaml = cm.data[path.posix.basename(configPath)] as string;
  assert.ok(relayYaml, 'the ConfigMap holds the config file');

  // The env the pod gets (secrets resolved from the rendered Secret, or a placeholder in the base).
  const env: NodeJS.ProcessEnv = {};
  for (const e of (c.env ?? []) as Array<Record<string, any>>) {
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined;
    if (ref) {
      assert.equal(ref.key, 'panther-secret');
      if (opts.hasSecret) {
        const secret = one(byKind(objs, 'Secret').filter((s) => s.metadata.name === ref.name), `Secret ${ref.name}`);
        assert.ok(secret.data?.[ref.key], `Secret ${ref.name} has key ${ref.key}`);
        env[e.name as string] = Buffer.from(secret.data[ref.key] as string, 'base64').toString();
      } else {
        assert.equal(ref.name, 'zpa-relay-panther');
        env[e.name as string] = 'placeholder';
      }
    } else env[e.name as string] = e.value as string;
  }
  if (opts.hasSecret) assert.equal(env.PANTHER_SECRET, SECRET_VALUE, 'PANTHER_SECRET comes from the Secret');
  // The relay's own validator, with only that env: a secretEnv the pod lacks fails here.
  const config = validateConfig(parseYaml(relayYaml), { env, source: 'ConfigMap relay.yaml' });
  assert.equal(config.output.type, 'http');
  assert.deepEqual(config.output.http!.auth, { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'PANTHER_SECRET' });

  // Ports: container ports, the LoadBalancer Service, the probes and the NetworkPolicy agree with the config.
  const listenerPorts = config.listeners.map((l) => l.port).sort();
  const containerPorts = new Map((c.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]));
  const resolvePort = (p: string | number) => (typeof p === 'number' ? p : containerPorts.get(p));
  assert.deepEqual([...containerPorts.values()].sort(), [...listenerPorts, config.admin.port].sort());
  const lb = one(byKind(objs, 'Service').filter((s) => s.spec.type === 'LoadBalancer'), 'LoadBalancer Service');
  assert.equal(lb.spec.externalTrafficPolicy, 'Local', 'client addresses survive the load balancer');
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
    assert.equal(resolvePort(get.port), config.admin.port, `${probe} port == admin.port`);
  }
  const admin = one(byKind(objs, 'Service').filter((s) => (s.spec.ports as Array<{ name: string }>).some((p) => p.name === 'admin') && s.spec.clusterIP !== 'None'), 'admin Service');
  assert.equal(resolvePort(admin.spec.ports[0].targetPort), config.admin.port);
  const sm = one(byKind(objs, 'ServiceMonitor'), 'ServiceMonitor');
  assert.ok(matches(sm.spec.selector.matchLabels, admin.metadata.labels), 'the ServiceMonitor selects the admin Service');
  assert.ok(!matches(sm.spec.selector.matchLabels, lb.metadata.labels), 'and not the load balancer');
  assert.deepEqual(sm.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]), [['admin', '/metrics']]);
  const np = one(byKind(objs, 'NetworkPolicy'), 'NetworkPolicy');
  assert.ok(matches(np.spec.podSelector.matchLabels, podLabels));
  const ingressPorts = (np.spec.ingress as Array<{ ports: Array<{ port: number }>; from?: unknown[] }>).flatMap((r) => r.ports.map((p) => ({ port: p.port, from: r.from })));
  for (const port of listenerPorts) assert.ok(ingressPorts.some((p) => p.port === port && p.from === undefined), `ingress to ${port} from anywhere`);
  const adminIngress = one(ingressPorts.filter((p) => p.port === config.admin.port), 'admin ingress rule');
  assert.deepEqual(adminIngress.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
  const egressPorts = (np.spec.egress as Array<{ ports: Array<{ port: number; protocol: string }> }>).flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`));
  for (const p of ['TCP/443', 'UDP/53', 'TCP/53']) assert.ok(egressPorts.includes(p), `egress ${p}`);
  const urlPort = Number(new URL(config.output.http!.url).port || 443);
  assert.ok(egressPorts.includes(`TCP/${urlPort}`), 'egress allows the Panther URL port');

  // Security: non-root (the image's USER), read-only root, no capabilities.
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 10001);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);

  // Writable paths: the spool and the dead-letter store, each a volume larger than its bound.
  const claims = new Map(((workload.spec.volumeClaimTemplates ?? []) as Array<Record<string, any>>).map((t) => [t.metadata.name as string, t]));
  const writable = [
    { path: config.spool.path, maxBytes: config.spool.maxBytes },
    { path: config.deadLetter.path, maxBytes: config.deadLetter.maxBytes },
  ];
  assert.equal(config.spool.path, '/var/lib/zpa-relay/spool');
  for (const w of writable) {
    const mount = one((c.volumeMounts as Array<Record<string, any>>).filter((m) => m.mountPath === w.path), `mount at ${w.path}`);
    assert.notEqual(mount.readOnly, true);
    const volume = (pod.volumes as Array<Record<string, any>>).find((v) => v.name === mount.name);
    const size = volume?.emptyDir?.sizeLimit ?? claims.get(mount.name)?.spec.resources.requests.storage;
    assert.ok(size, `${w.path} is an emptyDir or a PersistentVolumeClaim`);
    assert.ok(quantityBytes(size as string) > w.maxBytes, `${w.path}: volume ${size} holds its bound (${w.maxBytes} bytes)`);
  }
  assert.deepEqual((c.volumeMounts as Array<Record<string, any>>).filter((m) => m.readOnly !== true).map((m) => m.mountPath).sort(), writable.map((w) => w.path).sort(), 'nothing else is writable');

  // Shutdown: the preStop sleep plus the drain fit in the grace period.
  const sleep = c.lifecycle.preStop.exec.command as string[];
  assert.equal(sleep[0], 'sleep');
  const graceWanted = Number(sleep[1]) + config.drainTimeoutMs / 1000;
  assert.ok(pod.terminationGracePeriodSeconds > graceWanted, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${sleep[1]} s + drain ${config.drainTimeoutMs / 1000} s`);

  // Resources: worker threads fit the CPU limit, and memory leaves room beyond the buffered bytes.
  const cpuLimit = quantityCpu(c.resources.limits.cpu);
  assert.ok(config.workers.threads >= 1 && config.workers.threads <= cpuLimit, `workers.threads (${config.workers.threads}) set and within the CPU limit (${cpuLimit})`);
  assert.ok(quantityBytes(c.resources.limits.memory) >= config.maxBufferedBytes + 256 * 2 ** 20, 'memory limit >= maxBufferedBytes + 256 MiB');
  assert.ok(quantityCpu(c.resources.requests.cpu) <= cpuLimit);

  // Scaling and disruption: the HPA targets this workload, the PDB covers its pods.
  const hpa = one(byKind(objs, 'HorizontalPodAutoscaler'), 'HPA');
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: workload.kind, name: workload.metadata.name });
  assert.ok(hpa.spec.minReplicas >= 2);
  assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  const pdb = one(byKind(objs, 'PodDisruptionBudget'), 'PDB');
  assert.ok(matches(pdb.spec.selector.matchLabels, podLabels));
  return { config, workload };
}

test('the kustomize base renders and agrees with the relay config schema', () => {
  const objs = render('base');
  const { workload } = checkRendering(objs, { hasSecret: false });
  assert.equal(workload.kind, 'Deployment');
  assert.equal(byKind(objs, 'Secret').length, 0, 'the base carries no secret');
});

test('the example overlay renders with namespace, image, Panther URL and Secret', () => {
  const objs = render('overlays/example');
  const { config, workload } = checkRendering(objs, { hasSecret: true, namespace: 'zpa-relay' });
  assert.equal(workload.kind, 'Deployment');
  assert.equal(workload.spec.replicas, 3);
  assert.equal(podSpecOf(workload)!.containers[0].image, 'registry.example.com/zpa-relay:0.1.0');
  assert.match(config.output.http!.url, /^https:\/\/logs\.[a-z]+\.runpanther\.net\/http\/[0-9a-f-]{36}$/);
  // Generated names carry a content hash (a config change rolls the pods) and references follow them.
  assert.match(byKind(objs, 'ConfigMap')[0]!.metadata.name, /^zpa-relay-config-[0-9a-f]{10}$/);
  assert.match(byKind(objs, 'Secret')[0]!.metadata.name, /^zpa-relay-panther-[0-9a-f]{10}$/);
});

test('the StatefulSet overlay keeps the spool on a PersistentVolumeClaim and replaces the Deployment', () => {
  const objs = render('overlays/statefulset');
  const { workload } = checkRendering(objs, { hasSecret: true, namespace: 'zpa-relay' });
  assert.equal(workload.kind, 'StatefulSet');
  const claims = (workload.spec.volumeClaimTemplates as Array<Record<string, any>>).map((t) => t.metadata.name);
  assert.deepEqual(claims.sort(), ['dead-letter', 'spool']);
  assert.ok(!(podSpecOf(workload)!.volumes as Array<{ name: string }>).some((v) => v.name === 'spool'), 'no emptyDir shadows the claim');
  const headless = one(byKind(objs, 'Service').filter((s) => s.metadata.name === workload.spec.serviceName), 'governing Service');
  assert.equal(headless.spec.clusterIP, 'None');
  // The pod spec is the base Deployment's but for the volumes: the two files must not drift apart.
  const base = byKind(render('overlays/example'), 'Deployment')[0]!;
  const strip = (spec: Record<string, any>) => ({ ...spec, volumes: spec.volumes.filter((v: { name: string }) => v.name === 'config') });
  assert.deepEqual(strip(podSpecOf(workload)!), strip(podSpecOf(base)!));
});

test('the image agrees with the manifests: EXPOSE, USER, VOLUME and its own config', () => {
  const stages = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const runtime = stages[stages.length - 1]!;
  const env = stageEnv(runtime);
  const imageConfigCopy = one(instructions(runtime, 'COPY').filter((i) => i.args.endsWith(` ${env.ZPA_RELAY_CONFIG}`)), 'COPY of the image config');
  const imageConfig = validateConfig(parseYaml(fs.readFileSync(path.join(REPO_ROOT, imageConfigCopy.args.split(/\s+/)[0]!), 'utf8')), { env: {} });
  const volumes = instructions(runtime, 'VOLUME').flatMap((i) => i.exec ?? []);
  assert.deepEqual([imageConfig.spool.path, imageConfig.deadLetter.path, imageConfig.output.directory.path].sort(), [...volumes].sort(), 'every path the image config writes is a VOLUME');
  assert.deepEqual(exposedPorts(runtime).sort(), [...imageConfig.listeners.map((l) => l.port), imageConfig.admin.port].sort());
  assert.equal(one(instructions(runtime, 'USER'), 'USER').args, '10001:10001');
  const k8s = checkRendering(render('overlays/example'), { hasSecret: true, namespace: 'zpa-relay' }).config;
  assert.deepEqual(k8s.listeners.map((l) => [l.name, l.port, l.logType]), imageConfig.listeners.map((l) => [l.name, l.port, l.logType]));
  assert.equal(k8s.admin.port, imageConfig.admin.port);
  assert.equal(k8s.spool.path, imageConfig.spool.path);
  assert.equal(k8s.deadLetter.path, imageConfig.deadLetter.path);
});

/** The metric names a PromQL expression reads (relay, Node process and `up`). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:zpa_relay|process|nodejs)_[a-z0-9_]+|up(?=\{))/g)].map((m) => m[1]!);
}

async function knownMetrics(): Promise<Map<string, string[]>> {
  // Default metrics on: the dashboard also shows the Node process metrics the relay exports.
  const metrics = new RelayMetrics();
  const known = new Map<string, string[]>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    known.set(m.name, labels);
    if ((m.type as unknown as string) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.set(m.name + s, [...labels, ...(s === '_bucket' ? ['le'] : [])]);
  }
  known.set('up', ['job']);
  return known;
}

/** Checks that every metric an expression names exists and every label it matches on is one the metric has. */
function checkExpr(expr: string, known: Map<string, string[]>, where: string): number {
  const names = metricNames(expr);
  assert.ok(names.length > 0, `${where}: reads a known metric: ${expr}`);
  for (const name of names) assert.ok(known.has(name), `${where}: metric ${name} is not in the relay's registry`);
  // Label matchers: only the metric's own labels, or the target labels Prometheus adds.
  for (const m of expr.matchAll(/\b([a-z0-9_]+)\{([^}]*)\}/g)) {
    for (const l of m[2]!.matchAll(/([a-z_]+)\s*[=!~]+/g)) {
      assert.ok(['namespace', 'pod', 'job', 'instance', 'service', 'container'].includes(l[1]!) || known.get(m[1]!)?.includes(l[1]!), `${where}: ${m[1]} has no label ${l[1]}`);
    }
  }
  return names.length;
}

test('the Grafana dashboard parses and queries only metrics the relay exports', async () => {
  const dash = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana/zpa-relay.json'), 'utf8')) as { uid: string; panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }>; gridPos: object }>; templating: { list: Array<{ query: unknown }> } };
  assert.equal(dash.uid, 'zpa-relay');
  const known = await knownMetrics();
  const queried = new Set<string>();
  for (const p of dash.panels.filter((p) => p.type !== 'row')) {
    assert.ok(p.targets && p.targets.length > 0 && p.gridPos, `panel ${p.title} has queries and a position`);
    for (const t of p.targets) {
      checkExpr(t.expr, known, `panel "${p.title}"`);
      for (const n of metricNames(t.expr)) queried.add(n.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  // The list: throughput, rejects, requests and latency, buffered and spooled bytes, pauses, lag.
  for (const m of ['zpa_relay_records_received_total', 'zpa_relay_records_delivered_total', 'zpa_relay_records_rejected_total', 'zpa_relay_requests_total', 'zpa_relay_request_duration_seconds', 'zpa_relay_buffered_bytes', 'zpa_relay_spool_bytes', 'zpa_relay_ingest_paused', 'zpa_relay_event_lag_seconds']) {
    assert.ok(queried.has(m), `the dashboard shows ${m}`);
  }
  for (const v of dash.templating.list) if (typeof v.query === 'object') checkExpr((v.query as { query: string }).query, known, 'template variable');
});

test('the PrometheusRule parses, covers the issue\'s alerts and queries only metrics the relay exports', async () => {
  const [rule] = readManifests(path.join(DEPLOY, 'prometheus/zpa-relay-rules.yaml'));
  assert.equal(rule!.apiVersion, API_VERSIONS.PrometheusRule);
  const known = await knownMetrics();
  const rules = (rule!.spec.groups as Array<{ rules: Array<{ alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string } }> }>).flatMap((g) => g.rules);
  for (const r of rules) {
    checkExpr(r.expr, known, `alert ${r.alert}`);
    assert.ok(['critical', 'warning', 'info'].includes(r.labels.severity), `${r.alert} severity`);
    assert.ok(r.annotations.summary, `${r.alert} has a summary`);
  }
  const names = rules.map((r) => r.alert);
  for (const a of ['ZpaRelayRejectRateHigh', 'ZpaRelayRejectsRising', 'ZpaRelaySinkFailing', 'ZpaRelaySinkRejectingBatches', 'ZpaRelaySpoolFilling', 'ZpaRelayIngestPaused', 'ZpaRelayListenerSilent', 'ZpaRelayDeadLetterFull']) {
    assert.ok(names.includes(a), `alert ${a}`);
  }
  assert.ok(rules.find((r) => r.alert === 'ZpaRelayIngestPaused')!.for === '5m', 'paused for minutes, not a blip');
  // Thresholds stated in bytes follow the config in deploy/base/relay.yaml.
  const config = validateConfig(parseYaml(fs.readFileSync(path.join(DEPLOY, 'base/relay.yaml'), 'utf8')), { env: { PANTHER_SECRET: 'x' } });
  const filling = rules.find((r) => r.alert === 'ZpaRelaySpoolFilling')!;
  assert.equal(Number(/> (\d+)/.exec(filling.expr)![1]), Math.floor(config.spool.maxBytes * 0.8));
  const fullSoon = rules.find((r) => r.alert === 'ZpaRelaySpoolFullSoon')!;
  assert.equal(Number(/> (\d+)/.exec(fullSoon.expr)![1]), config.spool.maxBytes);
});

test('the optional HPA on zpa_relay_buffered_bytes names a relay metric and the base workload', async () => {
  const [hpa] = readManifests(path.join(DEPLOY, 'optional/hpa-buffered-bytes.yaml'));
  const known = await knownMetrics();
  const pods = (hpa!.spec.metrics as Array<{ type: string; pods?: { metric: { name: string } } }>).find((m) => m.type === 'Pods')!;
  assert.ok(known.has(pods.pods!.metric.name));
  const base = byKind(render('base'), 'Deployment')[0]!;
  assert.equal(hpa!.spec.scaleTargetRef.name, base.metadata.name);
});
