/**
 * An incremental reader of the PROXY protocol header (HAProxy's spec, versions 1 and 2) that a TCP load
 * balancer puts in front of the client's bytes so the receiver learns the real client address.
 *
 * Bounded by construction: it never holds more than one header's worth of bytes across reads (108 for
 * v1, 16 + 216 for v2). A v2 header may carry TLVs (AWS, Azure and HAProxy add some) up to its 16-bit
 * length; they are skipped as they stream in, never buffered, since the relay needs only the addresses.
 * Every malformed header is an outcome (`invalid` with a short problem text), never an exception.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The v1 header is one text line of at most 107 bytes including its CRLF. */
export const V1_MAX_BYTES = 107;
/** The v2 header's fixed part: signature (12), version/command, family/protocol, length (2). */
const V2_FIXED_BYTES = 16;
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** What a valid header says. `proxy`: the addresses are the real client's; `local`: use the socket's own peer. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /** `local` for a v2 LOCAL command (a load balancer's own health check), v1 UNKNOWN, or non-IP families. */
  readonly command: 'proxy' | 'local';
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly destinationAddress?: string;
  readonly destinationPort?: number;
  /** Bytes the header took on the wire, TLVs included. */
  readonly bytes: number;
}

/** The result of feeding bytes to the parser. `rest` is what followed the header in the last chunk. */
export type ProxyParseResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'done'; readonly header: ProxyHeader; readonly rest: Buffer }
  | { readonly kind: 'invalid'; readonly problem: string };

const INCOMPLETE: ProxyParseResult = { kind: 'incomplete' };

/** Reads one PROXY header, v1 or v2 (told apart by the first byte), from successive chunks. */
export class ProxyHeaderParser {
  private held: Buffer = Buffer.alloc(0);
  /** v2 only: the parsed header while its TLV bytes are still being skipped, and how many remain. */
  private pending: ProxyHeader | null = null;
  private skip = 0;
  private finished = false;

  /** Bytes held between calls (never more than one header's fixed and address parts). */
  get heldBytes(): number {
    return this.held.length;
  }

  /** Feeds the next chunk; after `done` or `invalid` the parser must not be fed again. */
  push(chunk: Buffer): ProxyParseResult {
    if (this.finished) throw new Error('ProxyHeaderParser: fed after the header was complete');
    if (this.pending) return this.skipTlvs(chunk);
    const buf = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const result = buf[0] === 0x0d ? this.parseV2(buf) : this.parseV1(buf);
    if (result.kind === 'incomplete') {
      // Only the header's own bytes are kept: parseV1/parseV2 return `incomplete` only while `buf` is
      // shorter than their maximum, so this copy is bounded.
      this.held = Buffer.from(buf);
    } else {
      this.held = Buffer.alloc(0);
      if (result.kind === 'invalid') this.finished = true;
    }
    return result;
  }

  private parseV1(buf: Buffer): ProxyParseResult {
    const n = Math.min(buf.length, V1_PREFIX.length);
    if (buf.compare(V1_PREFIX, 0, n, 0, n) !== 0) return this.fail('neither a v1 nor a v2 PROXY signature');
    const nl = buf.subarray(0, V1_MAX_BYTES).indexOf(0x0a);
    if (nl === -1) return buf.length >= V1_MAX_BYTES ? this.fail('v1 header longer than 107 bytes') : INCOMPLETE;
    if (buf[nl - 1] !== 0x0d) return this.fail('v1 header not terminated by CRLF');
    const parts = buf.toString('latin1', 0, nl - 1).split(' ');
    const rest = buf.subarray(nl + 1);
    if (parts[1] === 'UNKNOWN') return this.done({ version: 1, command: 'local', bytes: nl + 1 }, rest);
    if (parts.length !== 6) return this.fail('v1 header does not have six fields');
    const [, proto, src, dst, sport, dport] = parts;
    const isIp = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : null;
    if (!isIp) return this.fail('v1 protocol is not TCP4, TCP6 or UNKNOWN');
    if (!isIp(src) || !isIp(dst)) return this.fail(`v1 address is not a valid ${proto} address`);
    const sp = parsePort(sport);
    const dp = parsePort(dport);
    if (sp === null || dp === null) return this.fail('v1 port is not a decimal number 0-65535');
    return this.done({ version: 1, command: 'proxy', sourceAddress: src, sourcePort: sp, destinationAddress: dst, destinationPort: dp, bytes: nl + 1 }, rest);
  }

  private parseV2(buf: Buffer): ProxyParseResult {
    const n = Math.min(buf.length, V2_SIGNATURE.length);
    if (buf.compare(V2_SIGNATURE, 0, n, 0, n) !== 0) return this.fail('bad v2 signature');
    if (buf.length < V2_FIXED_BYTES) return INCOMPLETE;
    const verCmd = buf[12];
    if (verCmd >> 4 !== 2) return this.fail('v2 version nibble is not 2');
    const cmd = verCmd & 0x0f;
    if (cmd > 1) return this.fail('v2 command is neither LOCAL nor PROXY');
    const fam = buf[13];
    const length = buf.readUInt16BE(14);
    const total = V2_FIXED_BYTES + length;
    let addressBytes = 0;
    if (cmd === 1) {
      switch (fam) {
        case 0x00: break; // UNSPEC: no address; treated like LOCAL.
        case 0x11: addressBytes = 12; break; // TCP over IPv4
        case 0x21: addressBytes = 36; break; // TCP over IPv6
        case 0x31: addressBytes = 216; break; // AF_UNIX stream: no IP address to use
        default: return this.fail('v2 family/protocol is not a stream over IPv4, IPv6 or UNIX');
      }
      if (length < addressBytes) return this.fail('v2 length is shorter than its address block');
    }
    const keep = V2_FIXED_BYTES + addressBytes;
    if (buf.length < keep) return INCOMPLETE;
    let header: ProxyHeader;
    if (cmd === 1 && fam === 0x11) {
      header = { version: 2, command: 'proxy', sourceAddress: ipv4(buf, 16), destinationAddress: ipv4(buf, 20), sourcePort: buf.readUInt16BE(24), destinationPort: buf.readUInt16BE(26), bytes: total };
    } else if (cmd === 1 && fam === 0x21) {
      header = { version: 2, command: 'proxy', sourceAddress: ipv6(buf, 16), destinationAddress: ipv6(buf, 32), sourcePort: buf.readUInt16BE(48), destinationPort: buf.readUInt16BE(50), bytes: total };
    } else {
      header = { version: 2, command: 'local', bytes: total };
    }
    if (buf.length >= total) return this.done(header, buf.subarray(total));
    // The remainder (TLVs) is skipped as it arrives; nothing of it is kept.
    this.pending = header;
    this.skip = total - buf.length;
    this.held = Buffer.alloc(0);
    return INCOMPLETE;
  }

  private skipTlvs(chunk: Buffer): ProxyParseResult {
    if (chunk.length < this.skip) {
      this.skip -= chunk.length;
      return INCOMPLETE;
    }
    const header = this.pending as ProxyHeader;
    const rest = chunk.subarray(this.skip);
    this.pending = null;
    this.skip = 0;
    return this.done(header, rest);
  }

  private done(header: ProxyHeader, rest: Buffer): ProxyParseResult {
    this.finished = true;
    return { kind: 'done', header, rest };
  }

  private fail(problem: string): ProxyParseResult {
    this.finished = true;
    return { kind: 'invalid', problem };
  }
}

/** A v1 port: decimal without a leading zero (the spec's form), 0-65535. */
function parsePort(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** Formats 16 bytes as an RFC 5952 IPv6 address (longest run of two or more zero groups written `::`). */
function ipv6(buf: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
