/**
 * The metrics the relay exports (its own registry, Node's process metrics and Prometheus' `up`), and a
 * check that a PromQL expression of the dashboard or the alerts reads only those, with their own labels.
 */
import assert from 'node:assert/strict';
import { RelayMetrics } from '../../src/metrics/metrics.js';

/** The metric names a PromQL expression reads (relay, Node process and `up`). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:zpa_relay|process|nodejs)_[a-z0-9_]+|up(?=\{))/g)].map((m) => m[1]!);
}

/** Every metric name the relay exports (histograms with their series suffixes), mapped to its labels. */
export async function knownMetrics(): Promise<Map<string, string[]>> {
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
export function checkExpr(expr: string, known: Map<string, string[]>, where: string): number {
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
