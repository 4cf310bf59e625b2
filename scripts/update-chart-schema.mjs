// Writes the relay's config declaration into the Helm chart's values.schema.json (property `config`), so
// that `helm install` refuses a config the relay would refuse; the rest of that file is the chart's own and
// edited by hand. Run by `npm run docs` after the build; test/deploy/helm-chart.test.ts fails when they drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { chartConfigSchema } from '../dist/src/config/chart-config-schema.js';

const file = new URL('../deploy/helm/zpa-relay/values.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(file, 'utf8'));
schema.properties.config = chartConfigSchema();
writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
