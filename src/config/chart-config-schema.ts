/**
 * The relay's config declaration as the Helm chart's `config` value accepts it
 * (deploy/helm/zpa-relay/values.schema.json, property `config`, written by `npm run docs`): the same
 * schema, so that `helm install` refuses what the relay would refuse, with one difference: a port behind
 * a Kubernetes Service cannot be 0 ("pick a free port").
 */
import { configSchema } from './config-schema.js';

type JsonSchema = Record<string, any>;

/** Returns a fresh copy of the config schema with listener and admin ports from 1 to 65535. */
export function chartConfigSchema(): JsonSchema {
  const schema = structuredClone(configSchema) as JsonSchema;
  schema['description'] = 'The relay\'s configuration file (README "Configuration"), rendered as it is into the ConfigMap\'s relay.yaml.';
  schema['properties'].listeners.items.properties.port.minimum = 1;
  schema['properties'].admin.properties.port.minimum = 1;
  return schema;
}
