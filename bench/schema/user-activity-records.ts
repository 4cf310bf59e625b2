/**
 * Generates User Activity records shaped exactly like the LSS default JSON template `zpn_trans_log`
 * (../shared/reference/lss-default-json-templates.txt): its key order, the `": "` spacing, `%f` floats
 * (`45.000000`), `%d` integers, asctime LogTimestamp with a space-padded day, ISO-8601 timestamps with
 * milliseconds or `""`, and PRA fields at the end. Values vary (IDs, IPs, counters, times, names from pools)
 * and are made up: no customer data. Seeded, so runs are repeatable.
 */

/** Options for the generator. */
export interface UserActivityOptions {
  /**
   * Real LSS output puts the access policy's *name* in `Policy`, which Panther's schema types as bigint,
   * so such records are rejected. Default false: a numeric policy ID string, which the schema accepts.
   */
  policyAsName?: boolean;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CUSTOMERS = ['Example Corp', 'Northwind Traders', 'Contoso Labs', 'Fabrikam, Inc.'];
const USERS = ['alex.doe', 'sam.roe', 'kim.lee', 'pat.kay', 'ZPA LSS Client', 'ZPA MACHINE'];
const APPS = ['Git Servers', 'HR Portal', 'Build Farm', 'Jump Hosts', 'Wiki'];
const POLICIES = ['Any Any Allow', 'Engineering Access', 'Contractors Restricted'];
const ZENS = ['US-NY-8179', 'US-OH-8290', 'EU-DE-1021', 'AP-SG-8363', 'broker2b.pdx'];
const CITIES = ['San Jose', 'Frankfurt', 'Singapore', ''];
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A small seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Returns a generator of template-shaped User Activity lines (without the newline). */
export function userActivityGenerator(seed = 1, opts: UserActivityOptions = {}): () => string {
  const rnd = seededRandom(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const id = (len: number): string => {
    let s = '';
    for (let i = 0; i < len; i++) s += B62[int(62)];
    return s;
  };
  // Documentation ranges (RFC 5737) for public addresses, 10/8 for private ones: no real host is named.
  const publicIp = (): string => `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${1 + int(254)}`;
  const ip = (): string => `10.${int(256)}.${int(256)}.${1 + int(254)}`;
  const j = (s: string): string => JSON.stringify(s);
  let t = Date.UTC(2021, 9, 7, 10, 40, 0);
  return () => {
    t += int(5000);
    const d = new Date(t);
    const logTs =
      `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
    const iso = (back: number): string => (rnd() < 0.25 ? '' : new Date(t - back).toISOString());
    const session = id(20);
    const closed = rnd() < 0.5;
    const app = pick(APPS);
    const user = pick(USERS);
    const username = user.startsWith('ZPA') ? user : `${user}@example.com`;
    const serverIp = ip();
    const port = pick([22, 443, 8443, 3389, 10011]);
    const policy = opts.policyAsName ? pick(POLICIES) : String(72057594037927936n + BigInt(int(1e9)));
    const praId = rnd() < 0.1 ? String(288263680401868418n + BigInt(int(1e6))) : '0';
    const fields: Array<[string, string]> = [
      ['LogTimestamp', j(logTs)],
      ['Customer', j(pick(CUSTOMERS))],
      ['SessionID', j(session)],
      ['ConnectionID', j(`${session},${id(20)}`)],
      ['InternalReason', j(closed ? 'MT_CLOSED_TERMINATED' : '')],
      ['ConnectionStatus', j(closed ? 'close' : 'active')],
      ['IPProtocol', String(pick([6, 17]))],
      ['DoubleEncryption', String(int(2))],
      ['Username', j(username)],
      ['ServicePort', String(port)],
      ['ClientPublicIP', j(publicIp())],
      ['ClientPrivateIP', j(rnd() < 0.5 ? '' : `192.168.${int(256)}.${1 + int(254)}`)],
      ['ClientLatitude', (rnd() * 180 - 90).toFixed(6)],
      ['ClientLongitude', (rnd() * 360 - 180).toFixed(6)],
      ['ClientCountryCode', j(pick(['US', 'DE', 'SG', '']))],
      ['ClientZEN', j(pick(ZENS))],
      ['Policy', j(policy)],
      ['Connector', j(`Connector-${1 + int(9)}`)],
      ['ConnectorZEN', j(pick(ZENS))],
      ['ConnectorIP', j(rnd() < 0.5 ? ip() : publicIp())],
      ['ConnectorPort', String(1024 + int(64000))],
      ['Host', j(rnd() < 0.5 ? serverIp : `${app.toLowerCase().replace(/ /g, '-')}.corp.example.com`)],
      ['Application', j(app)],
      ['AppGroup', j(`${app} Group`)],
      ['Server', j(rnd() < 0.7 ? '0' : String(72057594037928000n + BigInt(int(1e6))))],
      ['ServerIP', j(serverIp)],
      ['ServerPort', String(port)],
      ['PolicyProcessingTime', String(int(500))],
      ['ServerSetupTime', String(int(50000))],
    ];
    for (const name of [
      'TimestampConnectionStart',
      'TimestampConnectionEnd',
      'TimestampCATx',
      'TimestampCARx',
      'TimestampAppLearnStart',
      'TimestampZENFirstRxClient',
      'TimestampZENFirstTxClient',
      'TimestampZENLastRxClient',
      'TimestampZENLastTxClient',
      'TimestampConnectorZENSetupComplete',
      'TimestampZENFirstRxConnector',
      'TimestampZENFirstTxConnector',
      'TimestampZENLastRxConnector',
      'TimestampZENLastTxConnector',
    ]) {
      fields.push([name, j(name === 'TimestampConnectionEnd' && !closed ? '' : iso(int(3_600_000)))]);
    }
    for (const name of [
      'ZENTotalBytesRxClient',
      'ZENBytesRxClient',
      'ZENTotalBytesTxClient',
      'ZENBytesTxClient',
      'ZENTotalBytesRxConnector',
      'ZENBytesRxConnector',
      'ZENTotalBytesTxConnector',
      'ZENBytesTxConnector',
    ]) {
      fields.push([name, String(int(rnd() < 0.1 ? 3e11 : 5e6))]);
    }
    fields.push(
      ['Idp', j(pick(['Example IdP', '0']))],
      ['ClientToClient', j('0')],
      ['ClientCity', j(pick(CITIES))],
      ['MicroTenantID', j(rnd() < 0.8 ? '0' : String(145257480799129312n + BigInt(int(1e6))))],
      ['AppMicroTenantID', j('0')],
      ['PRAConnectionID', j(praId === '0' ? '' : `$${id(8).toLowerCase()}-${id(4).toLowerCase()}`)],
      ['PRAConsoleType', j(praId === '0' ? '' : pick(['SSH', 'RDP']))],
      ['PRAApprovalID', praId],
      ['PRACapabilityPolicyID', praId],
      ['PRACredentialPolicyID', '0'],
      ['PRACredentialUserName', j('')],
      ['PRACredentialLoginType', j('')],
      ['PRAErrorStatus', j('')],
      ['PRAFileTransferList', j('')],
      ['PRARecordingStatus', j('')],
      ['PRASharedUsersList', j('')],
      ['PRASessionType', j('')],
      ['PRASharedMode', j('')],
    );
    return '{' + fields.map(([k, v]) => `"${k}": ${v}`).join(',') + '}';
  };
}
