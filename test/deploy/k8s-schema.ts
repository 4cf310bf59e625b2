/**
 * Checks rendered objects against Kubernetes' own OpenAPI schemas, as packaged by kubernetes-models, and
 * the Prometheus Operator's CRD schemas (@kubernetes-models/prometheus-operator): types, required fields,
 * enums and patterns, as the API server would check them. (Unknown fields pass: the packaged schemas do
 * not forbid them.) An apiVersion/kind this file does not map is a failure, not a pass.
 */
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as policy from 'kubernetes-models/policy/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

/** A parsed manifest. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

type Model = new (data: any) => { validate(): void };
const GROUPS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'policy/v1': policy,
  'networking.k8s.io/v1': networking,
  'monitoring.coreos.com/v1': monitoring,
};

/** Throws, naming the object and the schema's complaint, unless `obj` is valid for its apiVersion and kind. */
export function validateK8sObject(obj: K8sObject): void {
  const where = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}`;
  const model = GROUPS[obj.apiVersion]?.[obj.kind] as Model | undefined;
  if (typeof model !== 'function') throw new Error(`${where}: no schema for this apiVersion and kind here (add its group to test/deploy/k8s-schema.ts)`);
  try {
    new model(obj).validate();
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}
