/**
 * Panther's indicator scanners: each turns a string value into entries of the standard `p_any_*` arrays.
 * Values are trimmed and empties skipped; the collector deduplicates and sorts, as Panther does.
 * Only the normalized view (`SchemaEngine.normalize`) runs these, never the hot check path.
 */
import { isIP } from 'node:net';
import { INDICATOR_FIELDS } from './schema-model.js';
import type { IndicatorName } from './schema-model.js';

/** Accumulates indicator values per standard field. */
export class IndicatorCollector {
  private readonly sets = new Map<string, Set<string>>();

  add(field: string, value: string): void {
    let set = this.sets.get(field);
    if (set === undefined) this.sets.set(field, (set = new Set()));
    set.add(value);
  }

  /** The standard fields, in name order, each a sorted, deduplicated array. */
  toFields(): Array<[string, string[]]> {
    return [...this.sets.keys()].sort().map((k) => [k, [...this.sets.get(k)!].sort()]);
  }
}

const HEX = /^[0-9a-fA-F]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAC = /^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$/;
const AWS_ACCOUNT = /^\d{12}$/;
const AWS_INSTANCE = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

function hostname(out: IndicatorCollector, host: string): void {
  // An IPv6 literal in a URL is bracketed; isIP wants it bare.
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) out.add('p_any_ip_addresses', bare);
  else out.add('p_any_domain_names', host);
}

/** Runs the scanner `name` on `raw` into `out`. */
export function scanIndicator(name: IndicatorName, raw: string, out: IndicatorCollector): void {
  const v = raw.trim();
  if (v === '') return;
  switch (name) {
    case 'ip':
      if (isIP(v) !== 0) out.add('p_any_ip_addresses', v);
      return;
    case 'domain':
      out.add('p_any_domain_names', v);
      return;
    case 'hostname':
      hostname(out, v);
      return;
    case 'net_addr': {
      // host:port (or [v6]:port); a bare address is a hostname.
      const m = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(v);
      hostname(out, m ? m[1]! : v);
      return;
    }
    case 'url': {
      let host = '';
      try {
        host = new URL(v).hostname;
      } catch {
        return; // Not a URL: Panther's scanner skips it too; no indicator, not an error.
      }
      if (host !== '') hostname(out, host);
      return;
    }
    case 'email':
      if (EMAIL.test(v)) out.add('p_any_emails', v);
      return;
    case 'md5':
      if (v.length === 32 && HEX.test(v)) out.add('p_any_md5_hashes', v);
      return;
    case 'sha1':
      if (v.length === 40 && HEX.test(v)) out.add('p_any_sha1_hashes', v);
      return;
    case 'sha256':
      if (v.length === 64 && HEX.test(v)) out.add('p_any_sha256_hashes', v);
      return;
    case 'mac':
      if (MAC.test(v)) out.add('p_any_mac_addresses', v.toLowerCase());
      return;
    case 'aws_arn':
      if (v.startsWith('arn:')) out.add('p_any_aws_arns', v);
      return;
    case 'aws_account_id':
      if (AWS_ACCOUNT.test(v)) out.add('p_any_aws_account_ids', v);
      return;
    case 'aws_instance_id':
      if (AWS_INSTANCE.test(v)) out.add('p_any_aws_instance_ids', v);
      return;
    case 'username':
    case 'actor_id':
    case 'trace_id':
    case 'aws_tag':
      out.add(INDICATOR_FIELDS[name], v);
      return;
  }
}
