/**
 * The embedded default configuration that `npm start` (and `zpa-relay run` without a config) uses:
 * one listener per ZPA log type on the port plan of the Elastic integration, and the directory output
 * unless PANTHER_HTTP_URL names a Panther HTTP source (then the shared secret comes from PANTHER_SECRET).
 */
export const DEFAULT_LISTENERS = [
  { name: 'app-connector-status', port: 9015, logType: 'Zscaler.ZPA.AppConnectorStatus' },
  { name: 'audit', port: 9016, logType: 'Zscaler.ZPA.AuditLog' },
  { name: 'app-connector-metrics', port: 9017, logType: 'Zscaler.ZPA.AppConnectorMetrics' },
  { name: 'user-activity', port: 9018, logType: 'Zscaler.ZPA.UserActivity' },
  { name: 'user-status', port: 9019, logType: 'Zscaler.ZPA.UserStatus' },
] as const;

/** Returns the default config as plain (unvalidated) data, shaped by the environment. */
export function defaultConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const url = env.PANTHER_HTTP_URL;
  const output: Record<string, unknown> = url
    ? {
        type: 'http',
        http: { url, auth: { type: 'shared-secret', header: env.PANTHER_SECRET_HEADER || 'x-panther-secret', secretEnv: 'PANTHER_SECRET' } },
      }
    : { type: 'directory' };
  return { listeners: DEFAULT_LISTENERS.map((l) => ({ ...l, host: '0.0.0.0' })), output };
}
