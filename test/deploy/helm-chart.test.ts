/**
 * The Helm chart deploy/helm/zpa-relay, with the real helm (v4, test/helpers/k8s-tools.ts): `helm lint`,
 * then `helm template` with the defaults and with each value set in its ci/ folder. Every rendered object
 * passes Kubernetes' schemas, the project's own checks (relay-checks.ts) and the real `zpa-relay config
 * check`; values.schema.json refuses what it must, with helm's message, and follows the relay's config
 * declaration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../helpers/repo.js';
import { runK8sTool } from '../helpers/k8s-tools.js';
import { chartConfigSchema } from '../../src/config/chart-config-schema.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { K8sObject } from './k8s-schema.js';
import { checkExpr, knownMetrics } from './metric-names.js';
import { assertConfigCheckPasses, byKind, checkRendering, one, relayConfigCheck, type Checked } from './relay-checks.js';
import { CHART, DEPLOY, helmTemplate, helmTemplateRun, podSpecOf } from './render.js';

const values = (name: string): string[] => ['-f', path.join(CHART, 'ci', `${name}-values.yaml`)];
const TEST_HOOK = (o: K8sObject) => o.metadata.annotations?.['helm.sh/hook'] === 'test';

/** Renders, splits off the `helm test` pod, runs every check and the real config check; returns both. */
function renderChecked(args: string[], files: Record<string, string> = {}): { objs: K8sObject[]; hooks: K8sObject[]; checked: Checked } {
  const all = helmTemplate(args);
  const objs = all.filter((o) => !TEST_HOOK(o));
  const checked = checkRendering(objs, { namespace: 'zpa-relay' });
  assertConfigCheckPasses(relayConfigCheck(checked.relayYaml, checked.env, files), `helm template ${args.join(' ')}`);
  return { objs, hooks: all.filter(TEST_HOOK), checked };
}

const pantherSecretEnv = (c: Checked) => (c.container.env as Array<{ name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>).find((e) => e.name === 'PANTHER_SECRET');

test('helm lint passes with the defaults and with every value set in ci/', () => {
  for (const args of [[], ...fs.readdirSync(path.join(CHART, 'ci')).map((f) => ['-f', path.join(CHART, 'ci', f)])]) {
    const r = runK8sTool('helm', ['lint', '--strict', CHART, ...args]);
    assert.equal(r.status, 0, `helm lint ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test('defaults: a Deployment writing to files, no Secret, HPA and PDB, and a helm test pod that asks /readyz', () => {
  const { objs, hooks, checked } = renderChecked([]);
  const { config, workload, pod } = checked;
  assert.equal(workload.kind, 'Deployment');
  assert.equal(workload.spec.replicas, undefined, 'the HPA owns the replica count');
  assert.equal(config.output.type, 'directory', 'a first install runs without Panther');
  assert.equal(byKind(objs, 'Secret').length, 0);
  assert.equal(pantherSecretEnv(checked), undefined, 'no secret, no PANTHER_SECRET');
  assert.deepEqual(byKind(objs, 'ServiceMonitor').concat(byKind(objs, 'PrometheusRule')), [], 'no Prometheus Operator CRDs needed by default');
  assert.equal(one(byKind(objs, 'ServiceAccount'), 'ServiceAccount').metadata.name, pod.serviceAccountName);
  // Service ports are named after the listener port (an IANA service name has at most 15 characters).
  const lb = byKind(objs, 'Service').find((s) => s.spec.type === 'LoadBalancer')!;
  assert.deepEqual(lb.spec.ports.map((p: { name: string }) => p.name), config.listeners.map((l) => `lss-${l.port}`));
  // helm test: the relay's own image asks /readyz on the admin Service.
  const t = one(hooks, 'helm test pod');
  assert.equal(t.kind, 'Pod');
  assert.equal(t.spec.containers[0].image, pod.containers[0].image);
  const adminSvc = byKind(objs, 'Service').find((s) => s.spec.ports[0].name === 'admin' && s.spec.clusterIP !== 'None')!;
  const url = t.spec.containers[0].env.find((e: { name: string }) => e.name === 'READYZ_URL').value as string;
  assert.equal(url, `http://${adminSvc.metadata.name}:${config.admin.port}/readyz`);
  assert.equal(t.spec.restartPolicy, 'Never');
  // The script the test pod runs is valid JavaScript.
  const script = t.spec.containers[0].command[2] as string;
  assert.equal(spawnSync(process.execPath, ['--check', '-'], { input: script }).status, 0, 'node --check on the test pod\'s script');
});

test('the chart\'s defaults are the kustomize base\'s: listeners, workers, buffers, spool, dead letters, admin, drain, resources', () => {
  const { checked } = renderChecked([]);
  const base = validateConfig(parseYaml(fs.readFileSync(path.join(DEPLOY, 'base/relay.yaml'), 'utf8')), { env: { PANTHER_SECRET: 'x' } });
  for (const key of ['listeners', 'workers', 'maxBufferedBytes', 'spool', 'deadLetter', 'admin', 'drainTimeoutMs', 'logLevel'] as const) {
    assert.deepEqual(checked.config[key], base[key], `config.${key}`);
  }
  const baseDeployment = one(readBase('deployment.yaml'), 'base Deployment');
  const baseContainer = podSpecOf(baseDeployment).containers[0];
  assert.deepEqual(checked.container.resources, baseContainer.resources);
  assert.deepEqual(checked.container.securityContext, baseContainer.securityContext);
  assert.deepEqual(checked.container.lifecycle, baseContainer.lifecycle);
  assert.equal(checked.pod.terminationGracePeriodSeconds, podSpecOf(baseDeployment).terminationGracePeriodSeconds);
});

function readBase(file: string): K8sObject[] {
  return [parseYaml(fs.readFileSync(path.join(DEPLOY, 'base', file), 'utf8')) as K8sObject];
}

test('ci/tcp-directory: plain TCP, two listeners, three fixed relays, ServiceMonitor, alerts and the Grafana dashboard', async () => {
  const { objs, checked } = renderChecked(values('tcp-directory'));
  const { config, workload } = checked;
  assert.equal(workload.spec.replicas, 3);
  assert.equal(byKind(objs, 'HorizontalPodAutoscaler').length, 0);
  assert.deepEqual(config.listeners.map((l) => l.port), [9016, 9018]);
  assert.ok(config.listeners.every((l) => !l.tls.certFile && !l.proxyProtocol), 'plain TCP');
  assert.equal(config.output.type, 'directory');
  assert.equal(podSpecOf(workload).containers[0].image, 'registry.example.com/zpa-relay:0.1.0');
  const np = one(byKind(objs, 'NetworkPolicy'), 'NetworkPolicy');
  assert.deepEqual(np.spec.ingress[0].from, [{ ipBlock: { cidr: '10.20.0.0/16' } }], 'only the App Connectors reach the listeners');
  assert.equal(one(byKind(objs, 'ServiceMonitor'), 'ServiceMonitor').metadata.labels?.['release'], 'kube-prometheus-stack');

  // The alerts: the same rules as deploy/prometheus, reading relay metrics, scraped under this release's job.
  const known = await knownMetrics();
  const rule = one(byKind(objs, 'PrometheusRule'), 'PrometheusRule');
  const rules = (rule.spec.groups as Array<{ rules: Array<{ alert: string; expr: string }> }>).flatMap((g) => g.rules);
  const upstream = (parseYaml(fs.readFileSync(path.join(DEPLOY, 'prometheus/zpa-relay-rules.yaml'), 'utf8')) as K8sObject).spec.groups.flatMap((g: { rules: Array<{ alert: string }> }) => g.rules);
  assert.deepEqual(rules.map((r) => r.alert), upstream.map((r: { alert: string }) => r.alert));
  for (const r of rules) checkExpr(r.expr, known, `alert ${r.alert}`);
  const adminSvc = byKind(objs, 'Service').find((s) => s.metadata.labels?.['app.kubernetes.io/component'] === 'admin')!;
  assert.match(rules.find((r) => r.alert === 'ZpaRelayDown')!.expr, new RegExp(`job="${adminSvc.metadata.name}"`), 'the job is the admin Service\'s name');

  // The dashboard: a ConfigMap Grafana's sidecar picks up, holding deploy/grafana/zpa-relay.json.
  const dash = byKind(objs, 'ConfigMap').find((c) => c.metadata.labels?.['grafana_dashboard'] === '1')!;
  assert.ok(dash, 'a ConfigMap labelled grafana_dashboard: "1"');
  assert.equal(dash.metadata.annotations!['grafana_folder'], 'ZPA');
  assert.deepEqual(JSON.parse(dash.data['zpa-relay.json']), JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana/zpa-relay.json'), 'utf8')));
});

test('ci/http-tls-proxy-nlb: Panther over HTTP, mutual TLS from a Secret, PROXY protocol behind an AWS NLB', () => {
  // The TLS Secret as the pod sees it, from the repository's test CA.
  const certs = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-chart-tls-'));
  try {
    const gen = spawnSync('bash', [path.join(REPO_ROOT, 'test/certs/generate.sh'), certs], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    fs.copyFileSync(path.join(certs, 'server.crt'), path.join(certs, 'tls.crt'));
    fs.copyFileSync(path.join(certs, 'server.key'), path.join(certs, 'tls.key'));
    const { objs, checked } = renderChecked(values('http-tls-proxy-nlb'), { '/etc/zpa-relay/tls': certs });
    const { config, pod } = checked;
    assert.equal(config.output.type, 'http');
    assert.equal(config.output.http!.url, 'https://logs.acme.runpanther.net/http/5d6c3a0e-1f2b-4c7d-9e8f-0a1b2c3d4e5f');
    assert.deepEqual(config.onReject, { default: 'dead-letter', wrong_type: 'forward-and-keep' });
    assert.deepEqual(pantherSecretEnv(checked)!.valueFrom!.secretKeyRef, { name: 'zpa-relay-panther', key: 'panther-secret' });
    assert.equal(byKind(objs, 'Secret').length, 0, 'an existing Secret is used, none made');
    assert.ok(config.listeners.every((l) => l.proxyProtocol), 'PROXY protocol on every listener');
    const raw = parseYaml(checked.relayYaml) as { listeners: Array<{ tls?: { certFile: string } }> };
    assert.ok(raw.listeners.every((l) => l.tls?.certFile === '/etc/zpa-relay/tls/tls.crt'), 'TLS on every listener, from the mounted Secret');
    assert.deepEqual((pod.volumes as Array<{ name: string; secret?: { secretName: string } }>).find((v) => v.name === 'tls')!.secret, { secretName: 'zpa-relay-tls' });
    const lb = byKind(objs, 'Service').find((s) => s.spec.type === 'LoadBalancer')!;
    assert.equal(lb.metadata.annotations!['service.beta.kubernetes.io/aws-load-balancer-proxy-protocol'], '*');
    assert.equal(lb.spec.loadBalancerClass, 'service.k8s.aws/nlb');
    assert.deepEqual(lb.spec.loadBalancerSourceRanges, ['203.0.113.0/24']);
    assert.deepEqual(lb.spec.ports.map((p: { port: number }) => p.port), [9015, 9016, 9018]);
  } finally {
    fs.rmSync(certs, { recursive: true, force: true });
  }
});

test('ci/persistence-spool: a StatefulSet with a claim per volume, the same pods as the Deployment, spool alerts at its size', () => {
  const { objs, checked } = renderChecked(values('persistence-spool'));
  const { config, workload } = checked;
  assert.equal(workload.kind, 'StatefulSet');
  assert.equal(config.output.type, 's3');
  assert.equal(config.spool.maxBytes, 8 * 2 ** 30);
  const claims = workload.spec.volumeClaimTemplates as Array<{ metadata: { name: string }; spec: { storageClassName: string; resources: { requests: { storage: string } } } }>;
  assert.deepEqual(claims.map((c) => [c.metadata.name, c.spec.resources.requests.storage, c.spec.storageClassName]), [['spool', '10Gi', 'gp3'], ['dead-letter', '3Gi', 'gp3']]);
  assert.deepEqual(workload.spec.persistentVolumeClaimRetentionPolicy, { whenScaled: 'Retain', whenDeleted: 'Retain' });
  const headless = one(byKind(objs, 'Service').filter((s) => s.metadata.name === workload.spec.serviceName), 'governing Service');
  assert.equal(headless.spec.clusterIP, 'None');
  assert.equal(one(byKind(objs, 'ServiceAccount'), 'ServiceAccount').metadata.annotations!['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/zpa-relay');
  // One pod template serves both kinds: only the volumes differ.
  const deployment = helmTemplate([...values('persistence-spool'), '--set', 'persistence.enabled=false']).find((o) => o.kind === 'Deployment')!;
  const strip = (spec: Record<string, any>) => ({ ...spec, volumes: spec.volumes.filter((v: { name: string }) => v.name === 'config') });
  assert.deepEqual(strip(podSpecOf(workload)), strip(podSpecOf(deployment)));
  // Spool alerts follow config.spool.maxBytes: 80% of it, and the bound itself.
  const rules = one(byKind(objs, 'PrometheusRule'), 'PrometheusRule').spec.groups.flatMap((g: { rules: unknown[] }) => g.rules) as Array<{ alert: string; expr: string }>;
  assert.equal(Number(/> (\d+)/.exec(rules.find((r) => r.alert === 'ZpaRelaySpoolFilling')!.expr)![1]), Math.floor(config.spool.maxBytes * 0.8));
  assert.equal(Number(/> (\d+)/.exec(rules.find((r) => r.alert === 'ZpaRelaySpoolFullSoon')!.expr)![1]), config.spool.maxBytes);
});

test('a config or secret change rolls the pods (checksum annotations); other values do not', () => {
  const http = ['--set', 'config.output.type=http', '--set', 'config.output.http.url=https://logs.acme.runpanther.net/http/x', '--set', 'config.output.http.auth.type=shared-secret', '--set', 'config.output.http.auth.header=x-panther-secret', '--set', 'config.output.http.auth.secretEnv=PANTHER_SECRET'];
  const annotations = (args: string[]) => {
    const objs = helmTemplate(args);
    const w = objs.find((o) => o.kind === 'Deployment')!;
    return { ann: w.spec.template.metadata.annotations as Record<string, string>, objs };
  };
  const a = annotations([...http, '--set', 'pantherSecret.value=one']);
  assert.match(a.ann['checksum/config']!, /^[0-9a-f]{64}$/);
  assert.equal(Buffer.from(one(byKind(a.objs, 'Secret'), 'Secret').data['panther-secret'], 'base64').toString(), 'one');
  const b = annotations([...http, '--set', 'pantherSecret.value=one', '--set', 'config.logLevel=debug']);
  assert.notEqual(b.ann['checksum/config'], a.ann['checksum/config'], 'config change');
  assert.equal(b.ann['checksum/secret'], a.ann['checksum/secret']);
  const c = annotations([...http, '--set', 'pantherSecret.value=two']);
  assert.notEqual(c.ann['checksum/secret'], a.ann['checksum/secret'], 'secret change');
  assert.equal(c.ann['checksum/config'], a.ann['checksum/config']);
  const d = annotations([...http, '--set', 'pantherSecret.value=one', '--set', 'replicaCount=5', '--set', 'autoscaling.enabled=false']);
  assert.deepEqual(d.ann, a.ann, 'a replica count is not a config change');
});

test('values.schema.json refuses wrong values at helm template, with helm\'s message', () => {
  const refused: Array<[string[], RegExp]> = [
    [['--set', 'config.listeners[0].name=a', '--set', 'config.listeners[0].port=70000'], /at '\/config\/listeners\/0\/port': maximum: got 70,000, want 65,535/],
    [['--set', 'config.listeners[0].name=a', '--set', 'config.listeners[0].port=0'], /at '\/config\/listeners\/0\/port': minimum: got 0, want 1/],
    [['--set', 'config.output.type=kafka'], /at '\/config\/output\/type': value must be one of 'http', 'directory', 's3'/],
    [['--set', 'config.listners=x'], /at '\/config': additional properties 'listners' not allowed/],
    [['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
    [['--set', 'service.type=Ingress'], /at '\/service\/type': value must be one of 'LoadBalancer', 'NodePort', 'ClusterIP'/],
    [['--set', 'persistence.spool.size=lots'], /at '\/persistence\/spool\/size'/],
  ];
  for (const [args, message] of refused) {
    const r = helmTemplateRun(args);
    assert.notEqual(r.status, 0, `helm template ${args.join(' ')} must fail`);
    assert.match(r.stderr, /values don't meet the specifications of the schema/);
    assert.match(r.stderr, message);
  }
});

test('the chart refuses a config it cannot run: a secret the output reads but nobody gives, a relative data path', () => {
  const noSecret = helmTemplateRun(['--set', 'config.output.type=http', '--set', 'config.output.http.url=https://logs.acme.runpanther.net/http/x', '--set', 'config.output.http.auth.type=shared-secret', '--set', 'config.output.http.auth.header=x', '--set', 'config.output.http.auth.secretEnv=PANTHER_SECRET']);
  assert.notEqual(noSecret.status, 0);
  assert.match(noSecret.stderr, /config\.output\.http\.auth reads PANTHER_SECRET: set pantherSecret\.value .* or pantherSecret\.existingSecret/);
  const otherEnv = helmTemplateRun(['--set', 'config.output.type=http', '--set', 'config.output.http.url=https://x/', '--set', 'config.output.http.auth.type=bearer', '--set', 'config.output.http.auth.tokenEnv=TOKEN', '--set', 'pantherSecret.value=t']);
  assert.match(otherEnv.stderr, /reads the environment variable TOKEN, but pantherSecret\.envName is PANTHER_SECRET/);
  const relative = helmTemplateRun(['--set', 'config.deadLetter.path=./data/dead-letter']);
  assert.notEqual(relative.status, 0);
  assert.match(relative.stderr, /the dead-letter path "\.\/data\/dead-letter" must be absolute/);
});

test('values.schema.json\'s config is the relay\'s own declaration (npm run docs writes it)', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as { properties: { config: unknown } };
  assert.deepEqual(schema.properties.config, JSON.parse(JSON.stringify(chartConfigSchema())), 'run npm run docs');
});

test('Chart.yaml: appVersion is the relay\'s version, the default image tag', () => {
  const chart = parseYaml(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string; name: string };
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.appVersion, pkg.version);
  const workload = helmTemplate(['--set', 'image.repository=r.example/zpa-relay']).find((o) => o.kind === 'Deployment')!;
  assert.equal(podSpecOf(workload).containers[0].image, `r.example/zpa-relay:${pkg.version}`);
});

test('the README\'s and docs/deploy.md\'s my-values.yaml render and pass every check', () => {
  for (const doc of ['README.md', 'docs/deploy.md']) {
    const text = fs.readFileSync(path.join(REPO_ROOT, doc), 'utf8');
    const block = /`my-values\.yaml`[^]*?```yaml\n([^]*?)```/.exec(text);
    assert.ok(block, `${doc} shows a my-values.yaml`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zpa-my-values-'));
    try {
      // The placeholders a reader fills in, filled in.
      fs.writeFileSync(path.join(dir, 'my-values.yaml'), block[1]!.replace('<instance>', 'acme').replace('<source-id>', '5d6c3a0e-1f2b-4c7d-9e8f-0a1b2c3d4e5f'));
      const { checked } = renderChecked(['-f', path.join(dir, 'my-values.yaml')]);
      assert.equal(checked.config.output.type, 'http', doc);
      assert.deepEqual(pantherSecretEnv(checked)!.valueFrom!.secretKeyRef, { name: 'zpa-relay-panther', key: 'panther-secret' }, doc);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('helm install --dry-run=client: the install succeeds without a cluster and its notes name every listener', () => {
  const r = runK8sTool('helm', ['install', 'zpa-relay', CHART, '--namespace', 'zpa-relay', '--dry-run=client', ...values('http-tls-proxy-nlb')]);
  assert.equal(r.status, 0, r.stderr);
  const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
  for (const [port, logType] of [[9015, 'Zscaler.ZPA.AppConnectorStatus'], [9016, 'Zscaler.ZPA.AuditLog'], [9018, 'Zscaler.ZPA.UserActivity']] as const) {
    assert.match(notes, new RegExp(`port ${port}: ${logType.replace(/\./g, '\\.')} \\([a-z-]+, TLS, PROXY protocol\\)`));
  }
  assert.match(notes, /helm test zpa-relay -n zpa-relay/);
  assert.match(notes, /rollout status deployment\/zpa-relay/);
});
