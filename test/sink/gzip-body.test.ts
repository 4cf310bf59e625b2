import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, gunzipSync, inflateRawSync } from 'node:zlib';
import { GZIP_FRAMING_BYTES, GzipBodyBuilder, type Body } from '../../src/sink/gzip-body.js';

/** A small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ['nlipper@acme.com', 'jürgen.müller@acme.com', 'ana.sousa@acme.com.br', '田中太郎@acme.jp', 'svc-backup@acme.com'];
const CITIES = ['Detroit', 'São Paulo', '東京', 'Zürich', 'St Albans'];
const APPS = ['DFA IP SPACE', 'Jira', 'Confluence', 'ssh-bastion', 'SAP ERP', 'GitLab'];
const STATUSES = ['active', 'close', 'open'];
const REASONS = ['', '', 'BRK_MT_SETUP_FAIL_CANNOT_SEND_TO_BROKER', 'CLT_INVALID_DOMAIN', 'AST_MT_SETUP_ERR_NO_CONNECTOR'];

/**
 * One LSS User Activity record in the default JSON template's exact layout (`"Key": value`, `%f` numbers),
 * about 2 KB, with random IDs, IPs, counters and times so gzip compresses it about 5-8x, as real traffic does.
 * Contains an 18-digit integer and non-ASCII UTF-8, both of which must survive byte for byte.
 */
function lssRecord(r: () => number): Buffer {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const id = (n: number): string => {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[int(abc.length)];
    return s;
  };
  const ip = (): string => `${1 + int(254)}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const base = Date.UTC(2026, 10, 28) + int(86_400_000);
  const iso = (): string => (r() < 0.3 ? '' : new Date(base + int(60_000)).toISOString());
  const d = new Date(base);
  const asctime = `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} Nov ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} 2026`;
  const session = id(20);
  const f: Array<[string, string]> = [
    ['LogTimestamp', JSON.stringify(asctime)], ['Customer', '"Acme, Inc."'], ['SessionID', JSON.stringify(session)],
    ['ConnectionID', JSON.stringify(`${session},${id(20)}`)], ['InternalReason', JSON.stringify(pick(REASONS))],
    ['ConnectionStatus', JSON.stringify(pick(STATUSES))], ['IPProtocol', String(pick([6, 17]))], ['DoubleEncryption', '0'],
    ['Username', JSON.stringify(pick(USERS))], ['ServicePort', String(int(65536))], ['ClientPublicIP', JSON.stringify(ip())],
    ['ClientPrivateIP', JSON.stringify(ip())], ['ClientLatitude', (r() * 180 - 90).toFixed(6)], ['ClientLongitude', (r() * 360 - 180).toFixed(6)],
    ['ClientCountryCode', JSON.stringify(pick(['US', 'BR', 'JP', 'CH', 'GB']))], ['ClientZEN', JSON.stringify(`US-OH-${int(9999)}`)],
    ['Policy', '"Any Any Allow"'], ['Connector', JSON.stringify(`DFA Azure-${int(9)}`)], ['ConnectorZEN', JSON.stringify(`US-OH-${int(9999)}`)],
    ['ConnectorIP', JSON.stringify(ip())], ['ConnectorPort', String(int(65536))], ['Host', JSON.stringify(ip())],
    ['Application', JSON.stringify(pick(APPS))], ['AppGroup', '"Dynamically Discovered Apps"'], ['Server', '"0"'],
    ['ServerIP', JSON.stringify(ip())], ['ServerPort', String(int(65536))], ['PolicyProcessingTime', String(int(1000))],
    ['ServerSetupTime', String(int(100_000))],
  ];
  for (const k of ['ConnectionStart', 'ConnectionEnd', 'CATx', 'CARx', 'AppLearnStart', 'ZENFirstRxClient', 'ZENFirstTxClient',
    'ZENLastRxClient', 'ZENLastTxClient', 'ConnectorZENSetupComplete', 'ZENFirstRxConnector', 'ZENFirstTxConnector',
    'ZENLastRxConnector', 'ZENLastTxConnector']) f.push([`Timestamp${k}`, JSON.stringify(iso())]);
  for (const k of ['ZENTotalBytesRxClient', 'ZENBytesRxClient', 'ZENTotalBytesTxClient', 'ZENBytesTxClient',
    'ZENTotalBytesRxConnector', 'ZENBytesRxConnector', 'ZENTotalBytesTxConnector', 'ZENBytesTxConnector']) f.push([k, String(int(2 ** 40))]);
  f.push(['Idp', '"IDP Config"'], ['ClientToClient', '""'], ['ClientCity', JSON.stringify(pick(CITIES))], ['MicroTenantID', '"0"'],
    ['AppMicroTenantID', '"0"'], ['PRAConnectionID', JSON.stringify(id(16))], ['PRAConsoleType', '""'],
    // 18-digit integers above 2^53: a float64 round trip would change them.
    ['PRAApprovalID', `2161962573313${String(int(100000)).padStart(5, '0')}`], ['PRACapabilityPolicyID', '216196257331380392'],
    ['PRACredentialPolicyID', '0'], ['PRACredentialUserName', '""'], ['PRACredentialLoginType', '""'], ['PRAErrorStatus', '""'],
    ['PRAFileTransferList', '""'], ['PRARecordingStatus', '""'], ['PRASharedUsersList', '""'], ['PRASessionType', '""'], ['PRASharedMode', '""']);
  return Buffer.from(`{${f.map(([k, v]) => `"${k}": ${v}`).join(',')}}`, 'utf8');
}

function records(count: number, seed: number): Buffer[] {
  const r = prng(seed);
  return Array.from({ length: count }, () => lssRecord(r));
}

/** Checks every promise the builder makes about one result. */
function checkBodies(input: readonly Buffer[], bodies: Body[], tooLarge: number[], maxBody: number, minFill: number): void {
  let next = 0;
  const seen: Buffer[] = [];
  for (const [i, b] of bodies.entries()) {
    while (tooLarge.includes(next)) next++;
    assert.equal(b.start, next, `body ${i} starts where the previous ended`);
    assert.ok(b.end > b.start);
    assert.ok(b.body.length <= maxBody, `body ${i}: ${b.body.length} > ${maxBody}`);
    if (i < bodies.length - 1) assert.ok(b.body.length >= minFill * maxBody, `body ${i} too small: ${b.body.length} of ${maxBody}`);
    const raw = gunzipSync(b.body);
    assert.equal(raw.length, b.rawBytes);
    // A single gzip member: raw inflate of everything between header and trailer yields the whole body.
    assert.ok(inflateRawSync(b.body.subarray(10, b.body.length - 8)).equals(raw), `body ${i} is one member`);
    seen.push(raw);
    next = b.end;
  }
  const expected = Buffer.concat(input.flatMap((r, i) => (tooLarge.includes(i) ? [] : [r, Buffer.from('\n')])));
  assert.ok(Buffer.concat(seen).equals(expected), 'concatenated bodies == input lines, byte for byte');
}

test('gzip body: LSS-like records compress about 5-8x (the test data is realistic)', async () => {
  const input = records(2000, 1);
  const raw = input.reduce((n, r) => n + r.length + 1, 0);
  assert.ok(raw / input.length > 1700 && raw / input.length < 2400, `record size ${raw / input.length}`);
  const builder = new GzipBodyBuilder({ maxRequestBytes: 1_000_000, headerBytes: 300, level: 1 });
  const { bodies } = await builder.build(input);
  const ratio = raw / bodies.reduce((n, b) => n + b.body.length, 0);
  assert.ok(ratio > 4.5 && ratio < 8.5, `ratio ${ratio}`);
});

for (const limit of [1_000_000, 100_000, 20_000]) {
  test(`gzip body: limit ${limit}: every body fits with its headers, none is tiny, bytes survive exactly`, async () => {
    const headerBytes = 250;
    const builder = new GzipBodyBuilder({ maxRequestBytes: limit, headerBytes, level: 1 });
    const maxBody = limit - headerBytes;
    const count = limit === 1_000_000 ? 6000 : 1500; // at least a few full bodies at each limit
    const input = records(count, limit);
    const { bodies, tooLarge } = await builder.build(input);
    assert.deepEqual(tooLarge, []);
    assert.ok(bodies.length >= 2, `${bodies.length} bodies`);
    checkBodies(input, bodies, tooLarge, maxBody, 0.5);
    // Fill is well above the required half: packing is exact, within one segment of the limit.
    for (const b of bodies.slice(0, -1)) assert.ok(b.body.length >= 0.75 * maxBody, `fill ${b.body.length / maxBody}`);
  });
}

test('gzip body: targetRawBytes adapts to the data so one call gives one well-filled body', async () => {
  const builder = new GzipBodyBuilder({ maxRequestBytes: 100_000, headerBytes: 250 });
  const pool = records(3000, 7);
  let at = 0;
  const fills: number[] = [];
  for (let round = 0; round < 8; round++) {
    const batch: Buffer[] = [];
    let size = 0;
    const target = builder.targetRawBytes();
    while (size + pool[at % pool.length]!.length + 1 <= target) {
      const r = pool[at++ % pool.length]!;
      batch.push(r);
      size += r.length + 1;
    }
    const { bodies } = await builder.build(batch);
    checkBodies(batch, bodies, [], builder.maxBodyBytes, 0.5);
    if (round >= 1) {
      assert.equal(bodies.length, 1, `round ${round}: ${bodies.map((b) => b.body.length).join(',')}`);
      fills.push(bodies[0]!.body.length / builder.maxBodyBytes);
    }
  }
  for (const fill of fills) assert.ok(fill > 0.75 && fill <= 1, `fill ${fill}`);
  assert.ok(builder.ratioEstimate > 0.1 && builder.ratioEstimate < 0.25, `ratio ${builder.ratioEstimate}`);
});

test('gzip body: an incompressible record larger than the limit -> tooLarge; neighbours still delivered in order', async () => {
  const builder = new GzipBodyBuilder({ maxRequestBytes: 20_000, headerBytes: 250 });
  const input = records(60, 3);
  const huge = Buffer.from(randomBytes(30_000).toString('base64')); // base64 of random bytes: gzip saves ~25% at most
  input.splice(25, 0, huge);
  const { bodies, tooLarge } = await builder.build(input);
  assert.deepEqual(tooLarge, [25]);
  checkBodies(input, bodies, tooLarge, builder.maxBodyBytes, 0);
  assert.ok(bodies.every((b) => b.end <= 25 || b.start > 25), 'no body spans the dropped record');
});

test('gzip body: a large but compressible record fits alone; edge inputs', async () => {
  const builder = new GzipBodyBuilder({ maxRequestBytes: 20_000, headerBytes: 250 });
  const big = Buffer.from(`{"AuditNewValue":"${'{\\"name\\":\\"app segment\\",\\"enabled\\":true},'.repeat(2000)}"}`);
  const input = [...records(5, 4), big, ...records(5, 5)];
  const { bodies, tooLarge } = await builder.build(input);
  assert.deepEqual(tooLarge, []);
  checkBodies(input, bodies, tooLarge, builder.maxBodyBytes, 0);

  assert.deepEqual(await builder.build([]), { bodies: [], tooLarge: [] });
  const empty = await builder.build([Buffer.alloc(0), Buffer.from('x')]);
  assert.equal(gunzipSync(empty.bodies[0]!.body).toString(), '\nx\n');
  const segment = deflateRawSync(Buffer.from('\nx\n'), { level: 1, finishFlush: constants.Z_SYNC_FLUSH });
  assert.equal(empty.bodies[0]!.body.length, GZIP_FRAMING_BYTES + segment.length, 'framing accounted exactly');
  assert.throws(() => new GzipBodyBuilder({ maxRequestBytes: 100, headerBytes: 100 }), RangeError);
});
