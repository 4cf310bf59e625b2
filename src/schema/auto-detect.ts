/**
 * The order in which `logType: 'auto'` tries the loaded schemas: most required fields first (the most
 * specific schema wins over a looser one a record might also satisfy), then by name, so the choice is
 * deterministic and independent of file order. With the five ZPA schemas that is AppConnectorStatus,
 * UserActivity, UserStatus (4 required each), then AppConnectorMetrics, AuditLog (3 each).
 * Panther's own classifier tries a source's schemas until one parses; this is the same rule with a fixed order.
 */
import type { CompiledSchema } from './compiler.js';

/** The schemas in auto-detection order. */
export function autoDetectOrder(schemas: Iterable<CompiledSchema>): CompiledSchema[] {
  return [...schemas].sort(
    (a, b) => b.requiredNames.length - a.requiredNames.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
