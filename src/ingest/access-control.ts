/**
 * Which peer addresses a listener admits: a list of IPv4 and IPv6 CIDR blocks (or single addresses) held
 * in a `net.BlockList`. An empty list admits everyone. IPv4 clients reaching a dual-stack (`::`) socket
 * show up as IPv4-mapped IPv6 (`::ffff:10.1.2.3`); they are checked as the IPv4 address they are.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR block. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128); null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (family === null) return null;
  const max = family === 'ipv4' ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const p = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return null;
  return { address, prefix: Number(p), family };
}

/** The allow list of one listener. */
export class AllowList {
  private readonly list = new BlockList();
  /** True when no CIDR is configured: every peer is admitted. */
  readonly allowsAll: boolean;

  /** `cidrs` must already be valid (the config check refuses anything parseCidr does not accept). */
  constructor(cidrs: readonly string[]) {
    this.allowsAll = cidrs.length === 0;
    for (const text of cidrs) {
      const c = parseCidr(text);
      if (!c) throw new TypeError(`not a CIDR block: ${text}`);
      this.list.addSubnet(c.address, c.prefix, c.family);
    }
  }

  /** Whether a peer at `address` (as Node reports it, or as a PROXY header gives it) is admitted. */
  allows(address: string | undefined): boolean {
    if (this.allowsAll) return true;
    if (address === undefined) return false;
    const a = normalizeAddress(address);
    if (isIPv4(a)) return this.list.check(a, 'ipv4');
    if (isIPv6(a)) return this.list.check(a, 'ipv6');
    return false;
  }
}

/** Strips an IPv6 zone (`fe80::1%eth0`) and unwraps IPv4-mapped IPv6 (`::ffff:1.2.3.4` -> `1.2.3.4`). */
export function normalizeAddress(address: string): string {
  const pct = address.indexOf('%');
  const a = pct === -1 ? address : address.slice(0, pct);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a;
}
