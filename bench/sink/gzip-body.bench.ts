/**
 * Throughput of GzipBodyBuilder: MB/s of raw LSS-like records turned into gzip bodies at level 1 under
 * Panther's 1 MB limit, against plain one-thread zlib (PERFORMANCE.md's "zlib gzip level 1, one core").
 *
 *   node dist/bench/sink/gzip-body.bench.js [megabytes=50] [maxRequestBytes=1000000]
 *
 * Two ways of calling the builder are timed: the relay's way (gather `targetRawBytes()` of records, build,
 * repeat) and one call with all the data. Main-thread share is the event loop's utilisation during the run:
 * the part of the work that is not in libuv's thread pool (joining lines, CRC-32, assembling bodies).
 */
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { GzipBodyBuilder, type Body } from '../../src/sink/gzip-body.js';

/** A small seeded PRNG (mulberry32): every run compresses the same data. */
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
const APPS = ['DFA IP SPACE', 'Jira', 'Confluence', 'ssh-bastion', 'SAP ERP', 'GitLab'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TIMESTAMPS = ['ConnectionStart', 'ConnectionEnd', 'CATx', 'CARx', 'AppLearnStart', 'ZENFirstRxClient', 'ZENFirstTxClient',
  'ZENLastRxClient', 'ZENLastTxClient', 'ConnectorZENSetupComplete', 'ZENFirstRxConnector', 'ZENFirstTxConnector',
  'ZENLastRxConnector', 'ZENLastTxConnector'];
const COUNTERS = ['ZENTotalBytesRxClient', 'ZENBytesRxClient', 'ZENTotalBytesTxClient', 'ZENBytesTxClient',
  'ZENTotalBytesRxConnector', 'ZENBytesRxConnector', 'ZENTotalBytesTxConnector', 'ZENBytesTxConnector'];

/** One ~2 KB User Activity record in the default JSON template's layout, with random IDs, IPs, counters, times. */
function lssRecord(r: () => number): Buffer {
  const int = (n: number): number => Math.floor(r() * n);
  const id = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[int(ALNUM.length)];
    return s;
  };
  const ip = (): string => `${1 + int(254)}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const base = Date.UTC(2026, 10, 28) + int(86_400_000);
  const session = id(20);
  const parts = [
    `"LogTimestamp": "Sat Nov 28 ${new Date(base).toISOString().slice(11, 19)} 2026"`, `"Customer": "Acme, Inc."`,
    `"SessionID": "${session}"`, `"ConnectionID": "${session},${id(20)}"`, `"InternalReason": ""`, `"ConnectionStatus": "active"`,
    `"IPProtocol": 6`, `"DoubleEncryption": 0`, `"Username": ${JSON.stringify(USERS[int(USERS.length)])}`, `"ServicePort": ${int(65536)}`,
    `"ClientPublicIP": "${ip()}"`, `"ClientPrivateIP": "${ip()}"`, `"ClientLatitude": ${(r() * 180 - 90).toFixed(6)}`,
    `"ClientLongitude": ${(r() * 360 - 180).toFixed(6)}`, `"ClientCountryCode": "US"`, `"ClientZEN": "US-OH-${int(9999)}"`,
    `"Policy": "Any Any Allow"`, `"Connector": "DFA Azure-${int(9)}"`, `"ConnectorZEN": "US-OH-${int(9999)}"`,
    `"ConnectorIP": "${ip()}"`, `"ConnectorPort": ${int(65536)}`, `"Host": "${ip()}"`, `"Application": "${APPS[int(APPS.length)]}"`,
    `"AppGroup": "Dynamically Discovered Apps"`, `"Server": "0"`, `"ServerIP": "${ip()}"`, `"ServerPort": ${int(65536)}`,
    `"PolicyProcessingTime": ${int(1000)}`, `"ServerSetupTime": ${int(100_000)}`,
    ...TIMESTAMPS.map((k) => `"Timestamp${k}": "${r() < 0.3 ? '' : new Date(base + int(60_000)).toISOString()}"`),
    ...COUNTERS.map((k) => `"${k}": ${int(2 ** 40)}`),
    `"Idp": "IDP Config"`, `"ClientToClient": ""`, `"ClientCity": "São Paulo"`, `"MicroTenantID": "0"`, `"AppMicroTenantID": "0"`,
    `"PRAConnectionID": "${id(16)}"`, `"PRAConsoleType": ""`, `"PRAApprovalID": 216196257331380392`, `"PRACapabilityPolicyID": 0`,
    `"PRACredentialPolicyID": 0`, `"PRACredentialUserName": ""`, `"PRACredentialLoginType": ""`, `"PRAErrorStatus": ""`,
    `"PRAFileTransferList": ""`, `"PRARecordingStatus": ""`, `"PRASharedUsersList": ""`, `"PRASessionType": ""`, `"PRASharedMode": ""`,
  ];
  return Buffer.from(`{${parts.join(',')}}`, 'utf8');
}

interface RunResult {
  seconds: number;
  bodies: Body[];
  elu: number;
}

async function timed(fn: () => Promise<Body[]>): Promise<RunResult> {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const bodies = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  return { seconds, bodies, elu };
}

function report(name: string, rawBytes: number, res: RunResult, maxBody: number): void {
  const wire = res.bodies.reduce((n, b) => n + b.body.length, 0);
  const full = res.bodies.slice(0, -1);
  const fill = full.length === 0 ? 1 : full.reduce((n, b) => n + b.body.length, 0) / full.length / maxBody;
  console.log(
    `${name.padEnd(42)} ${(rawBytes / 1e6 / res.seconds).toFixed(0).padStart(5)} MB/s  ratio ${(rawBytes / wire).toFixed(2)}  ` +
      `bodies ${res.bodies.length}  mean fill ${(fill * 100).toFixed(1)}%  main thread ${(res.elu * 100).toFixed(0)}%`,
  );
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 50);
  const maxRequestBytes = Number(process.argv[3] ?? 1_000_000);
  const headerBytes = 400;
  const r = prng(42);
  const records: Buffer[] = [];
  let rawBytes = 0;
  while (rawBytes < megabytes * 1e6) {
    const rec = lssRecord(r);
    records.push(rec);
    rawBytes += rec.length + 1;
  }
  console.log(`${records.length} records, ${(rawBytes / 1e6).toFixed(1)} MB, ${(rawBytes / records.length).toFixed(0)} B/record, limit ${maxRequestBytes}`);

  // Baseline: one synchronous zlib stream on the main thread, level 1.
  const joined = Buffer.concat(records.flatMap((rec) => [rec, Buffer.from('\n')]));
  const t0 = performance.now();
  const whole = gzipSync(joined, { level: 1 });
  const baseSeconds = (performance.now() - t0) / 1000;
  console.log(`${'zlib gzipSync level 1, one thread'.padEnd(42)} ${(rawBytes / 1e6 / baseSeconds).toFixed(0).padStart(5)} MB/s  ratio ${(rawBytes / whole.length).toFixed(2)}`);

  for (let round = 0; round < 2; round++) {
    // The relay's pattern: gather one body's worth by the builder's estimate, build, repeat.
    const builder = new GzipBodyBuilder({ maxRequestBytes, headerBytes, level: 1 });
    const perBody = await timed(async () => {
      const out: Body[] = [];
      let i = 0;
      while (i < records.length) {
        const target = builder.targetRawBytes();
        const start = i;
        let size = 0;
        while (i < records.length && size < target) size += records[i++]!.length + 1;
        const { bodies } = await builder.build(records.slice(start, i));
        out.push(...bodies);
      }
      return out;
    });
    report(`builder, one body per call (run ${round + 1})`, rawBytes, perBody, builder.maxBodyBytes);

    // Two builds in flight, as a relay with a spare batch ready would run them: no idle pool between bodies.
    const builder2 = new GzipBodyBuilder({ maxRequestBytes, headerBytes, level: 1 });
    const overlapped = await timed(async () => {
      const out: Body[][] = [];
      const running = new Set<Promise<void>>();
      let i = 0;
      let n = 0;
      while (i < records.length) {
        const target = builder2.targetRawBytes();
        const start = i;
        let size = 0;
        while (i < records.length && size < target) size += records[i++]!.length + 1;
        const slot = n++;
        const p: Promise<void> = builder2.build(records.slice(start, i)).then(({ bodies }) => {
          out[slot] = bodies;
          running.delete(p);
        });
        running.add(p);
        if (running.size >= 2) await Promise.race(running);
      }
      await Promise.all(running);
      return out.flat();
    });
    report(`builder, two calls in flight (run ${round + 1})`, rawBytes, overlapped, builder2.maxBodyBytes);

    const all = await timed(async () => (await builder.build(records)).bodies);
    report(`builder, all records in one call (run ${round + 1})`, rawBytes, all, builder.maxBodyBytes);
  }
}

await main();
