/**
 * LSS-shaped record generator for the bench and the tests. Follows the default JSON templates of the
 * Zscaler LSS API (key order, `": "` spacing per template, `%f` floats printed with six decimals, `%d`
 * integers, `%j` JSON strings) with realistic variety: ids, IPs, counters and timestamps are random,
 * names come from pools, so that gzip compresses the output about as well as real data (5-8x, not 40x).
 */

/** Deterministic PRNG (mulberry32): the same seed gives the same traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const LOG_TYPES = [
  'Zscaler.ZPA.UserActivity',
  'Zscaler.ZPA.UserStatus',
  'Zscaler.ZPA.AppConnectorStatus',
  'Zscaler.ZPA.AppConnectorMetrics',
  'Zscaler.ZPA.AuditLog',
] as const;
export type LogTypeName = (typeof LOG_TYPES)[number];

/** A log type without its `Zscaler.ZPA.` prefix ("UserActivity"), as the bench's options and reports name it. */
export function shortLogType(logType: string): string {
  return logType.replace('Zscaler.ZPA.', '');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FIRST = ['alex', 'sam', 'maria', 'chen', 'priya', 'omar', 'lena', 'jonas', 'aiko', 'diego', 'fatima', 'noah', 'zoe', 'ivan', 'sara', 'tomas'];
const LAST = ['smith', 'garcia', 'wang', 'patel', 'haddad', 'muller', 'tanaka', 'silva', 'okafor', 'novak', 'kim', 'rossi'];
const APPS = ['jira.corp.example.com', 'git.corp.example.com', '10.20.1.15', 'wiki.corp.example.com', 'vpn-admin.example.net', 'db01.internal.example.com', 'grafana.ops.example.com', 'sap.erp.example.com'];
const GROUPS = ['Engineering Apps', 'Finance Apps', 'Ops Tools', 'Default App Group', 'PRA Servers'];
const ZENS = ['US-NY-8179', 'US-SJC-4271', 'DE-FRA-1102', 'GB-LON-2290', 'SG-SIN-3301', 'IN-BOM-1830'];
const CONNECTORS = ['ac-nyc-01', 'ac-nyc-02', 'ac-fra-01', 'ac-sjc-03', 'ac-lon-02', 'ac-sin-01'];
const CONNECTOR_GROUPS = ['NYC DC', 'Frankfurt DC', 'San Jose Lab', 'London Office', 'Singapore DC'];
const REASONS = ['', '', '', 'MT_CLOSED_TERMINATED', 'BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY', 'CLT_INVALID_DOMAIN'];
const STATUS = ['open', 'close', 'active'];
const COUNTRY = ['US', 'DE', 'GB', 'IN', 'SG', 'FR', 'BR', 'JP'];
const CITIES = ['New York', 'Frankfurt', 'London', 'Mumbai', 'Singapore', 'Paris', 'São Paulo', '東京', 'Zürich'];
const OPS = ['Create', 'Update', 'Delete', 'Sign In', 'Sign Out'];
const OBJ_TYPES = ['Application', 'Application Segment', 'Policy', 'Server Group', 'Authentication'];

export interface GenOptions {
  /** Share of User Activity records whose Policy is a rule *name* (as real LSS sends; fails the bigint schema). */
  policyNameShare?: number;
  /** Event time in ms (default now). */
  nowMs?: number;
}

export class LssGenerator {
  private readonly r: () => number;
  constructor(seed = 1, private readonly opts: GenOptions = {}) {
    this.r = rng(seed);
  }

  private int(max: number): number {
    return Math.floor(this.r() * max);
  }
  private pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  private ip(): string {
    return `${1 + this.int(223)}.${this.int(256)}.${this.int(256)}.${1 + this.int(254)}`;
  }
  private privIp(): string {
    return `10.${this.int(256)}.${this.int(256)}.${1 + this.int(254)}`;
  }
  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  private b64(n: number): string {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[this.int(64)];
    return s;
  }
  private bigId(): string {
    return `2161996181${String(this.int(1e9)).padStart(9, '0')}`.slice(0, 18);
  }
  private user(): string {
    return `${this.pick(FIRST)}.${this.pick(LAST)}@example.com`;
  }
  private now(): number {
    return (this.opts.nowMs ?? Date.now()) - this.int(5000);
  }
  /** C asctime without zone, day space-padded: `Thu Oct  7 10:40:00 2021`. */
  private asctime(ms: number): string {
    const d = new Date(ms);
    const p2 = (n: number) => String(n).padStart(2, '0');
    return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
  }
  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }
  private f(v: number): string {
    return v.toFixed(6);
  }

  record(logType: LogTypeName): string {
    switch (logType) {
      case 'Zscaler.ZPA.UserActivity':
        return this.userActivity();
      case 'Zscaler.ZPA.UserStatus':
        return this.userStatus();
      case 'Zscaler.ZPA.AppConnectorStatus':
        return this.connectorStatus();
      case 'Zscaler.ZPA.AppConnectorMetrics':
        return this.connectorMetrics();
      case 'Zscaler.ZPA.AuditLog':
        return this.audit();
    }
  }

  /** zpn_trans_log: `"Key": value` spacing, %f coordinates, %d counters. */
  userActivity(): string {
    const t = this.now();
    const j = JSON.stringify;
    const ts = (off: number) => j(this.iso(t - 3000 + off));
    const policy = this.r() < (this.opts.policyNameShare ?? 0) ? j(`${this.pick(GROUPS)} Allow`) : j(this.bigId());
    const closed = this.r() < 0.5;
    const bytes = () => this.int(5_000_000);
    return `{"LogTimestamp": ${j(this.asctime(t))},"Customer": "Example Corp","SessionID": ${j(this.b64(28))},"ConnectionID": ${j(`${this.b64(28)},${this.b64(10)}`)},"InternalReason": ${j(this.pick(REASONS))},"ConnectionStatus": ${j(closed ? 'close' : this.pick(STATUS))},"IPProtocol": ${this.pick([6, 6, 6, 17])},"DoubleEncryption": 0,"Username": ${j(this.user())},"ServicePort": ${this.pick([443, 22, 3389, 8443, 5432])},"ClientPublicIP": ${j(this.ip())},"ClientPrivateIP": ${j(this.r() < 0.2 ? '' : this.privIp())},"ClientLatitude": ${this.f(this.r() * 120 - 60)},"ClientLongitude": ${this.f(this.r() * 340 - 170)},"ClientCountryCode": ${j(this.pick(COUNTRY))},"ClientZEN": ${j(this.pick(ZENS))},"Policy": ${policy},"Connector": ${j(this.pick(CONNECTORS))},"ConnectorZEN": ${j(this.pick(ZENS))},"ConnectorIP": ${j(this.privIp())},"ConnectorPort": ${1024 + this.int(60000)},"Host": ${j(this.pick(APPS))},"Application": ${j(this.pick(APPS).split('.')[0])},"AppGroup": ${j(this.pick(GROUPS))},"Server": "0","ServerIP": ${j(this.privIp())},"ServerPort": ${this.pick([443, 22, 3389, 8443, 5432])},"PolicyProcessingTime": ${this.int(900)},"ServerSetupTime": ${this.int(90000)},"TimestampConnectionStart": ${ts(0)},"TimestampConnectionEnd": ${closed ? ts(2900) : '""'},"TimestampCATx": ${ts(11)},"TimestampCARx": ${ts(13)},"TimestampAppLearnStart": "","TimestampZENFirstRxClient": ${ts(200)},"TimestampZENFirstTxClient": ${ts(210)},"TimestampZENLastRxClient": ${ts(2800)},"TimestampZENLastTxClient": ${ts(2810)},"TimestampConnectorZENSetupComplete": ${ts(40)},"TimestampZENFirstRxConnector": ${ts(205)},"TimestampZENFirstTxConnector": ${ts(202)},"TimestampZENLastRxConnector": ${ts(2805)},"TimestampZENLastTxConnector": ${ts(2802)},"ZENTotalBytesRxClient": ${bytes()},"ZENBytesRxClient": ${bytes()},"ZENTotalBytesTxClient": ${bytes()},"ZENBytesTxClient": ${bytes()},"ZENTotalBytesRxConnector": ${bytes()},"ZENBytesRxConnector": ${bytes()},"ZENTotalBytesTxConnector": ${bytes()},"ZENBytesTxConnector": ${bytes()},"Idp": ${j(this.pick(['Okta', 'AzureAD', '0']))},"ClientToClient": "0","ClientCity": ${j(this.pick(CITIES))},"MicroTenantID": "0","AppMicroTenantID": "0","PRAConnectionID": "","PRAConsoleType": "","PRAApprovalID": ${this.r() < 0.3 ? this.bigId() : 0},"PRACapabilityPolicyID": 0,"PRACredentialPolicyID": 0,"PRACredentialUserName": "","PRACredentialLoginType": "","PRAErrorStatus": "","PRAFileTransferList": "","PRARecordingStatus": "","PRASharedUsersList": "","PRASessionType": "","PRASharedMode": ""}`;
  }

  /** zpn_auth_log: lists as JSON arrays, `"Key": value` spacing. */
  userStatus(): string {
    const t = this.now();
    const j = JSON.stringify;
    const list = (n: number, f: () => string) => `[${Array.from({ length: this.int(n + 1) }, () => j(f())).join(',')}]`;
    return `{"LogTimestamp": ${j(this.asctime(t))},"Customer": "Example Corp","Username": ${j(this.user())},"SessionID": ${j(this.b64(28))},"SessionStatus": ${j(this.pick(['ZPN_STATUS_AUTHENTICATED', 'ZPN_STATUS_DISCONNECTED']))},"Version": ${j(`4.${this.int(5)}.0.${this.int(300)}`)},"ZEN": ${j(this.pick(ZENS))},"CertificateCN": ${j(`${this.hex(24)}.zpa-customer.com`)},"PrivateIP": ${j(this.privIp())},"PublicIP": ${j(this.ip())},"Latitude": ${this.f(this.r() * 120 - 60)},"Longitude": ${this.f(this.r() * 340 - 170)},"CountryCode": ${j(this.pick(COUNTRY))},"TimestampAuthentication": ${j(this.iso(t - 60000))},"TimestampUnAuthentication": "","TotalBytesRx": ${this.int(1e8)},"TotalBytesTx": ${this.int(1e8)},"Idp": "Okta","Hostname": ${j(`LAPTOP-${this.hex(6).toUpperCase()}`)},"Platform": ${j(this.pick(['windows', 'mac', 'linux']))},"ClientType": "zpn_client_type_zapp","TrustedNetworks": ${list(2, () => this.bigId())},"TrustedNetworksNames": ${list(2, () => this.pick(CONNECTOR_GROUPS))},"SAMLAttributes": ${j(`FirstName:${this.pick(FIRST)},LastName:${this.pick(LAST)}`)},"PosturesHit": ${list(3, () => `posture-${this.int(20)}`)},"PosturesMiss": ${list(1, () => `posture-${this.int(20)}`)},"ZENLatitude": ${this.f(this.r() * 120 - 60)},"ZENLongitude": ${this.f(this.r() * 340 - 170)},"ZENCountryCode": ${j(this.pick(COUNTRY))},"FQDNRegistered": "0","FQDNRegisteredError": "CUSTOMER_NOT_ENABLED","City": ${j(this.pick(CITIES))},"MicroTenantID": "0"}`;
  }

  /** zpn_ast_auth_log: numbers as numbers, start times as strings. */
  connectorStatus(): string {
    const t = this.now();
    const j = JSON.stringify;
    const start = String(Math.floor(t / 1000) - this.int(1e7));
    return `{"LogTimestamp": ${j(this.asctime(t))},"Customer": "Example Corp","SessionID": ${j(this.b64(28))},"SessionType": ${j(this.pick(['ZPN_ASSISTANT_BROKER_CONTROL', 'ZPN_ASSISTANT_BROKER_LOG']))},"SessionStatus": "ZPN_STATUS_AUTHENTICATED","Version": ${j(`24.${this.int(400)}.${this.int(9)}`)},"Platform": "el8","ZEN": ${j(this.pick(ZENS))},"Connector": ${j(this.pick(CONNECTORS))},"ConnectorGroup": ${j(this.pick(CONNECTOR_GROUPS))},"PrivateIP": ${j(this.privIp())},"PublicIP": ${j(this.ip())},"Latitude": ${this.f(this.r() * 120 - 60)},"Longitude": ${this.f(this.r() * 340 - 170)},"CountryCode": ${j(this.pick(COUNTRY))},"TimestampAuthentication": ${j(this.iso(t - 3600000))},"TimestampUnAuthentication": "","CPUUtilization": ${this.int(100)},"MemUtilization": ${this.int(100)},"ServiceCount": ${this.int(50)},"InterfaceDefRoute": "eth0","DefRouteGW": ${j(this.privIp())},"PrimaryDNSResolver": ${j(this.privIp())},"HostStartTime": ${j(start)},"ConnectorStartTime": ${j(start)},"NumOfInterfaces": ${1 + this.int(3)},"BytesRxInterface": ${this.int(4e11)},"PacketsRxInterface": ${this.int(1e9)},"ErrorsRxInterface": 0,"DiscardsRxInterface": ${this.int(10)},"BytesTxInterface": ${this.int(4e11)},"PacketsTxInterface": ${this.int(1e9)},"ErrorsTxInterface": 0,"DiscardsTxInterface": 0,"TotalBytesRx": ${this.int(1e10)},"TotalBytesTx": ${this.int(1e10)},"MicroTenantID": "0"}`;
  }

  /** zpn_ast_comprehensive_stats: every value a JSON string, no spacing. */
  connectorMetrics(): string {
    const t = this.now();
    const j = JSON.stringify;
    const s = (max: number) => j(String(this.int(max)));
    return `{"LogTimestamp":${j(this.asctime(t))},"Connector":${j(this.pick(CONNECTORS))},"CPUUtilization":${s(100)},"SystemMemoryUtilization":${s(100)},"ProcessMemoryUtilization":${s(100)},"AppCount":${s(300)},"ServiceCount":${s(300)},"TargetCount":${s(500)},"AliveTargetCount":${s(500)},"ActiveConnectionsToPublicSE":${s(10)},"DisconnectedConnectionsToPublicSE":${s(5)},"ActiveConnectionsToPrivateSE":${s(10)},"DisconnectedConnectionsToPrivateSE":${s(5)},"TransmittedBytesToPublicSE":${s(1e10)},"ReceivedBytesFromPublicSE":${s(1e10)},"TransmittedBytesToPrivateSE":${s(1e9)},"ReceivedBytesFromPrivateSE":${s(1e9)},"AppConnectionsCreated":${s(1e5)},"AppConnectionsCleared":${s(1e5)},"AppConnectionsActive":${s(1e3)},"UsedTCPPortsIPv4":${s(3e4)},"UsedUDPPortsIPv4":${s(1e3)},"UsedTCPPortsIPv6":${s(100)},"UsedUDPPortsIPv6":${s(100)},"AvailablePorts":${s(6e4)},"SystemMaximumFileDescriptors":"1048576","SystemUsedFileDescriptors":${s(1e5)},"ProcessMaximumFileDescriptors":"524288","ProcessUsedFileDescriptors":${s(1e5)},"AvailableDiskBytes":${s(2e11)},"MicroTenantID": "0"}`;
  }

  /** zpn_audit_log: 18-digit ids as bare integers (above 2^53), nested JSON inside strings. */
  audit(): string {
    const t = this.now();
    const j = JSON.stringify;
    const op = this.pick(OPS);
    const signIn = op === 'Sign In' || op === 'Sign Out';
    const inner = signIn ? j(JSON.stringify({ loginAttempt: this.iso(t), remoteIP: this.ip() })) : j(JSON.stringify({ id: String(this.int(1e6)), name: this.pick(APPS), enabled: 'true' }));
    return `{"ModifiedTime":${signIn ? '""' : j(this.iso(t))},"CreationTime":${j(this.iso(t))},"ModifiedBy":${this.bigId()},"RequestID":${j(`${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}`)},"SessionID":${j(this.b64(24))},"AuditOldValue":${signIn ? '""' : inner},"AuditNewValue":${inner},"AuditOperationType":${j(op)},"ObjectType":${j(this.pick(OBJ_TYPES))},"ObjectName":${j(this.pick(APPS))},"ObjectID":${this.bigId()},"CustomerID":${this.bigId()},"User":${j(this.user())},"ClientAuditUpdate":${this.int(2)}}`;
  }
}
