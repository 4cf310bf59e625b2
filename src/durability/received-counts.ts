/**
 * The number of records a running relay received per log type, read from its /metrics
 * (`zpa_relay_records_received_total`, summed over listeners): the denominator of the drift report's share
 * of traffic. The counter runs since that relay started, so the share is approximate when the store is older.
 */
import { RelayError } from '../errors.js';

/** A relay's /metrics text; RelayError ZPA_ERR_METRICS_READ when it cannot be read. */
export async function readRelayMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    throw new RelayError('ZPA_ERR_METRICS_READ', `cannot read relay metrics from ${url}: ${(err as Error).message}`);
  }
}

/** zpa_relay_records_received_total in /metrics `text` (read from `url`), summed over listeners, by log type. */
export function receivedFromMetrics(text: string, url: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('zpa_relay_records_received_total{')) continue;
    const lt = /log_type="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (lt !== undefined && Number.isFinite(v)) m.set(lt, (m.get(lt) ?? 0) + v);
  }
  if (m.size === 0 && !text.includes('zpa_relay_records_received_total')) {
    throw new RelayError('ZPA_ERR_METRICS_READ', `${url} has no zpa_relay_records_received_total: is it a zpa-relay /metrics endpoint?`);
  }
  return m;
}
