/**
 * The PROXY protocol header reader on its own: v1 and v2 headers as HAProxy's spec writes them, fed whole
 * and one byte at a time; malformed headers are outcomes, never exceptions; nothing past one header's
 * fixed and address parts is ever held, however long its TLVs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProxyHeaderParser, type ProxyParseResult } from '../../src/ingest/proxy-protocol.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** Builds a v2 header: command 1 = PROXY, 0 = LOCAL; family 0x11 TCP4, 0x21 TCP6. */
function v2(opts: { cmd?: number; fam?: number; addr?: Buffer; tlv?: Buffer; length?: number; version?: number }): Buffer {
  const addr = opts.addr ?? Buffer.alloc(0);
  const tlv = opts.tlv ?? Buffer.alloc(0);
  const fixed = Buffer.alloc(4);
  fixed[0] = ((opts.version ?? 2) << 4) | (opts.cmd ?? 1);
  fixed[1] = opts.fam ?? 0x11;
  fixed.writeUInt16BE(opts.length ?? addr.length + tlv.length, 2);
  return Buffer.concat([SIG, fixed, addr, tlv]);
}

function tcp4(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function feed(bytes: Buffer, step = bytes.length): { result: ProxyParseResult; maxHeld: number } {
  const p = new ProxyHeaderParser();
  let maxHeld = 0;
  for (let i = 0; i < bytes.length; i += step) {
    const r = p.push(bytes.subarray(i, i + step));
    maxHeld = Math.max(maxHeld, p.heldBytes);
    if (r.kind !== 'incomplete') {
      // Whatever followed the header in this and later chunks is the caller's.
      return { result: r.kind === 'done' ? { ...r, rest: Buffer.concat([r.rest, bytes.subarray(i + step)]) } : r, maxHeld };
    }
  }
  return { result: { kind: 'incomplete' }, maxHeld };
}

test('v1 TCP4, TCP6 and UNKNOWN headers, whole and byte by byte, leave the following bytes untouched', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['PROXY TCP4 192.0.2.10 198.51.100.1 56324 9018\r\n', { version: 1, command: 'proxy', sourceAddress: '192.0.2.10', sourcePort: 56324, destinationAddress: '198.51.100.1', destinationPort: 9018 }],
    ['PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n', { version: 1, command: 'proxy', sourceAddress: '2001:db8::1', sourcePort: 65535, destinationPort: 0 }],
    ['PROXY UNKNOWN\r\n', { version: 1, command: 'local' }],
    ['PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n', { version: 1, command: 'local' }],
  ];
  for (const [header, expected] of cases) {
    const body = Buffer.from('{"a":1}\n{"b":2}\n');
    for (const step of [1, 7, 1000]) {
      const { result } = feed(Buffer.concat([Buffer.from(header), body]), step);
      assert.equal(result.kind, 'done', `${header} step ${step}`);
      if (result.kind !== 'done') continue;
      assert.equal(result.header.bytes, header.length);
      for (const [k, v] of Object.entries(expected)) assert.equal((result.header as unknown as Record<string, unknown>)[k], v, `${header} ${k}`);
      assert.deepEqual(result.rest, body);
    }
  }
});

test('v2 TCP4, TCP6 and LOCAL headers; TLVs are skipped as they stream in, never held', () => {
  const four = v2({ addr: tcp4([10, 1, 2, 3], [10, 9, 9, 9], 40000, 9016) });
  const r4 = feed(Buffer.concat([four, Buffer.from('x\n')]), 3).result;
  assert.equal(r4.kind, 'done');
  if (r4.kind === 'done') {
    assert.deepEqual({ ...r4.header }, { version: 2, command: 'proxy', sourceAddress: '10.1.2.3', destinationAddress: '10.9.9.9', sourcePort: 40000, destinationPort: 9016, bytes: 28 });
    assert.equal(r4.rest.toString(), 'x\n');
  }
  const a6 = Buffer.alloc(36);
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(a6, 0);
  Buffer.from('20010db80001000000000000000a0000', 'hex').copy(a6, 16);
  a6.writeUInt16BE(1234, 32);
  a6.writeUInt16BE(9019, 34);
  const r6 = feed(v2({ fam: 0x21, addr: a6 })).result;
  assert.equal(r6.kind, 'done');
  if (r6.kind === 'done') {
    assert.equal(r6.header.sourceAddress, '2001:db8::1');
    assert.equal(r6.header.destinationAddress, '2001:db8:1::a:0');
    assert.equal(r6.header.sourcePort, 1234);
  }
  // LOCAL (a load balancer's health check): addresses are not the client's.
  const local = feed(v2({ cmd: 0, fam: 0x00 })).result;
  assert.equal(local.kind, 'done');
  if (local.kind === 'done') assert.equal(local.header.command, 'local');
  // A 60 KB TLV block, fed one byte at a time: the parser never holds more than 16 + 12 bytes.
  const tlv = randomBytes(60_000);
  const big = v2({ addr: tcp4([192, 0, 2, 7], [192, 0, 2, 8], 1, 2), tlv });
  const { result, maxHeld } = feed(Buffer.concat([big, Buffer.from('rec\n')]), 1);
  assert.equal(result.kind, 'done');
  if (result.kind === 'done') {
    assert.equal(result.header.sourceAddress, '192.0.2.7');
    assert.equal(result.header.bytes, 16 + 12 + 60_000);
    assert.equal(result.rest.toString(), 'rec\n');
  }
  assert.ok(maxHeld <= 28, `held ${maxHeld} bytes`);
});

test('malformed headers are refused with a reason, early, and never hold more than a header', () => {
  const bad: Array<[string, Buffer]> = [
    ['random bytes', Buffer.concat([Buffer.from([0x17]), randomBytes(200)])],
    ['a JSON record instead of a header', Buffer.from('{"LogTimestamp": "x"}\n')],
    ['v1 port 65536', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n')],
    ['v1 port with a leading zero', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\n')],
    ['v1 port not a number', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 http 80\r\n')],
    ['v1 negative port', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 -1 80\r\n')],
    ['v1 IPv6 address under TCP4', Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n')],
    ['v1 bad IPv4 address', Buffer.from('PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n')],
    ['v1 unknown protocol', Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['v1 missing field', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n')],
    ['v1 double space', Buffer.from('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n')],
    ['v1 LF without CR', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n')],
    ['v1 longer than 107 bytes', Buffer.from(`PROXY UNKNOWN ${'x'.repeat(200)}\r\n`)],
    ['v1 lowercase', Buffer.from('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['v2 bad signature', Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x55, 0x0a]), Buffer.alloc(16)])],
    ['v2 version 1', v2({ version: 1, addr: tcp4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1) })],
    ['v2 command 2', v2({ cmd: 2, addr: tcp4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1) })],
    ['v2 length shorter than the TCP4 address block', v2({ addr: tcp4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1), length: 8 })],
    ['v2 length shorter than the TCP6 address block', v2({ fam: 0x21, addr: Buffer.alloc(36), length: 12 })],
    ['v2 UDP over IPv4', v2({ fam: 0x12, addr: tcp4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1) })],
    ['v2 unknown family', v2({ fam: 0x41, addr: Buffer.alloc(12) })],
  ];
  for (const [what, bytes] of bad) {
    for (const step of [1, bytes.length]) {
      const { result, maxHeld } = feed(bytes, step);
      assert.equal(result.kind, 'invalid', `${what} (step ${step}) was ${result.kind}`);
      if (result.kind === 'invalid') assert.ok(result.problem.length > 0);
      assert.ok(maxHeld <= 107, `${what}: held ${maxHeld}`);
    }
  }
  // Random bytes are refused at the first byte that cannot start a header.
  const p = new ProxyHeaderParser();
  assert.equal(p.push(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'invalid');
  const q = new ProxyHeaderParser();
  assert.equal(q.push(Buffer.from('PRO')).kind, 'incomplete');
  assert.equal(q.push(Buffer.from('XX')).kind, 'invalid');
});

test('a truncated header stays incomplete (the listener refuses it on close or timeout)', () => {
  for (const bytes of [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1'), v2({ addr: tcp4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1) }).subarray(0, 20)]) {
    assert.equal(feed(bytes, 1).result.kind, 'incomplete');
  }
});
