/**
 * deploy/'s kustomizations agree with Kubernetes and with the relay: each is built with the real `kubectl
 * kustomize` (kustomize v5.7, test/helpers/k8s-tools.ts), every object is checked against Kubernetes' and
 * the Prometheus Operator's schemas (k8s-schema.ts), and then against what only this project knows
 * (relay-checks.ts: the relay's config validator, listener ports, volumes, probes, shutdown). The image's
 * Dockerfile, the Grafana dashboard, the alerts and the optional HPA are checked against the relay too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../helpers/repo.js';
import { validateConfig } from '../../src/config/load-config.js';
import { exposedPorts, instructions, parseDockerfile, stageEnv } from './dockerfile.js';
import { validateK8sObject } from './k8s-schema.js';
import { checkExpr, knownMetrics, metricNames } from './metric-names.js';
import { assertConfigCheckPasses, byKind, checkRendering, one, relayConfigCheck } from './relay-checks.js';
import { DEPLOY, SECRET_VALUE, kustomizeBuild as render, podSpecOf, readManifests } from './render.js';

/** The kustomize renderings' own promises: the Panther HTTP output with the shared secret from the Secret. */
function checkKustomize(objs: ReturnType<typeof render>, opts: { hasSecret: boolean; namespace?: string }) {
  const checked = checkRendering(objs, opts);
  const { config, env } = checked;
  assert.equal(config.output.type, 'http');
  assert.deepEqual(config.output.http!.auth, { type: 'shared-secret', header: 'x-panther-secret', secretEnv: 'PANTHER_SECRET' });
  assert.equal(env['PANTHER_SECRET'], opts.hasSecret ? SECRET_VALUE : 'placeholder', 'PANTHER_SECRET comes from the Secret');
  assert.equal(checked.container.env[0].valueFrom.secretKeyRef.key, 'panther-secret');
  const np = one(byKind(objs, 'NetworkPolicy'), 'NetworkPolicy');
  const adminRule = (np.spec.ingress as Array<{ ports: Array<{ port: number }>; from?: unknown[] }>).find((r) => r.ports.some((p) => p.port === config.admin.port))!;
  assert.deepEqual(adminRule.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
  assert.ok(byKind(objs, 'ServiceMonitor').length === 1 && byKind(objs, 'HorizontalPodAutoscaler').length === 1 && byKind(objs, 'PodDisruptionBudget').length === 1);
  // The real `zpa-relay config check`, with the pod's env.
  const check = relayConfigCheck(checked.relayYaml, env);
  assertConfigCheckPasses(check, 'kustomize relay.yaml');
  return checked;
}

test('the kustomize base renders and agrees with the relay config schema', () => {
  const objs = render('base');
  const { workload } = checkKustomize(objs, { hasSecret: false });
  assert.equal(workload.kind, 'Deployment');
  assert.equal(byKind(objs, 'Secret').length, 0, 'the base carries no secret');
});

test('the example overlay renders with namespace, image, Panther URL and Secret', () => {
  const objs = render('overlays/example');
  const { config, workload } = checkKustomize(objs, { hasSecret: true, namespace: 'zpa-relay' });
  assert.equal(workload.kind, 'Deployment');
  assert.equal(workload.spec.replicas, 3);
  assert.equal(podSpecOf(workload).containers[0].image, 'registry.example.com/zpa-relay:0.1.0');
  assert.match(config.output.http!.url, /^https:\/\/logs\.[a-z]+\.runpanther\.net\/http\/[0-9a-f-]{36}$/);
  // Generated names carry kustomize's content hash (a config change rolls the pods), and the pod's
  // references follow them (checkRendering found the ConfigMap and the Secret by those references).
  assert.match(byKind(objs, 'ConfigMap')[0]!.metadata.name, /^zpa-relay-config-[bcdfghkmt2-9]{10}$/);
  assert.match(byKind(objs, 'Secret')[0]!.metadata.name, /^zpa-relay-panther-[bcdfghkmt2-9]{10}$/);
});

test('the StatefulSet overlay keeps the spool on a PersistentVolumeClaim and replaces the Deployment', () => {
  const objs = render('overlays/statefulset');
  const { workload } = checkKustomize(objs, { hasSecret: true, namespace: 'zpa-relay' });
  assert.equal(workload.kind, 'StatefulSet');
  const claims = (workload.spec.volumeClaimTemplates as Array<Record<string, any>>).map((t) => t.metadata.name);
  assert.deepEqual(claims.sort(), ['dead-letter', 'spool']);
  assert.ok(!(podSpecOf(workload).volumes as Array<{ name: string }>).some((v) => v.name === 'spool'), 'no emptyDir shadows the claim');
  const headless = one(byKind(objs, 'Service').filter((s) => s.metadata.name === workload.spec.serviceName), 'governing Service');
  assert.equal(headless.spec.clusterIP, 'None');
  // The pod spec is the base Deployment's but for the volumes: the two files must not drift apart.
  const base = byKind(render('overlays/example'), 'Deployment')[0]!;
  const strip = (spec: Record<string, any>) => ({ ...spec, volumes: spec.volumes.filter((v: { name: string }) => v.name === 'config') });
  assert.deepEqual(strip(podSpecOf(workload)), strip(podSpecOf(base)));
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
  const k8s = checkKustomize(render('overlays/example'), { hasSecret: true, namespace: 'zpa-relay' }).config;
  assert.deepEqual(k8s.listeners.map((l) => [l.name, l.port, l.logType]), imageConfig.listeners.map((l) => [l.name, l.port, l.logType]));
  assert.equal(k8s.admin.port, imageConfig.admin.port);
  assert.equal(k8s.spool.path, imageConfig.spool.path);
  assert.equal(k8s.deadLetter.path, imageConfig.deadLetter.path);
});

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
  validateK8sObject(rule!);
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
  validateK8sObject(hpa!);
  const known = await knownMetrics();
  const pods = (hpa!.spec.metrics as Array<{ type: string; pods?: { metric: { name: string } } }>).find((m) => m.type === 'Pods')!;
  assert.ok(known.has(pods.pods!.metric.name));
  const base = byKind(render('base'), 'Deployment')[0]!;
  assert.equal(hpa!.spec.scaleTargetRef.name, base.metadata.name);
});
