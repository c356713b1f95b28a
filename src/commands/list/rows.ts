// Pure: the instance model + status + volumes + "now" -> the rows ec2list shows and the --json objects
// it prints. The JSON keys here are a public interface (docs/list.md): add keys, never rename them.
import type { InstanceStatus } from '@aws-sdk/client-ec2';
import { TAGS, type InstanceInfo } from '../../lib/instances.js';
import { matchesPattern } from '../../lib/resolve.js';
import { reachOf, type EndpointInfo, type Reach } from '../../lib/access/route.js';
import type { SortKey } from './options.js';
import { hourlyPrice } from './prices.js';

export interface HealthEvent {
  code: string;
  description: string;
  notBefore: string | null;
  notAfter: string | null;
}

export interface Health {
  /** ok, impaired, initializing, insufficient-data, not-applicable, or "-" when EC2 reported nothing. */
  summary: string;
  instanceStatus: string | null;
  systemStatus: string | null;
  ebsStatus: string | null;
  /** Scheduled events still to come (completed and cancelled ones left out). */
  events: HealthEvent[];
}

export interface VolumeRow {
  volumeId: string;
  device: string | null;
  sizeGiB: number | null;
  type: string | null;
  state: string | null;
  iops: number | null;
  encrypted: boolean;
  deleteOnTermination: boolean | null;
}

/** One instance as --json prints it. */
export interface ListRow {
  /** With --profile a,b only: the AWS profile the row was listed in (the first key then). */
  profile?: string;
  region: string;
  id: string;
  name: string | null;
  state: string;
  type: string | null;
  dnsRecord: string | null;
  hostedZoneId: string | null;
  publicIp: string | null;
  privateIp: string | null;
  publicDns: string | null;
  privateDns: string | null;
  launchTime: string | null;
  ageSeconds: number | null;
  expiresAt: string | null;
  /** Negative once expired. */
  expiresInSeconds: number | null;
  expired: boolean;
  managed: boolean;
  health: Health;
  availabilityZone: string | null;
  imageId: string | null;
  keyName: string | null;
  securityGroups: { id: string; name: string | null }[];
  launch: string | null;
  role: string | null;
  user: string | null;
  sshPort: number;
  architecture: string | null;
  platform: string | null;
  hourlyPriceUsd: number | null;
  /** Only with --volumes; else null. */
  volumes: VolumeRow[] | null;
  tags: Record<string, string>;
  ipv6Address: string | null;
  vpcId: string | null;
  subnetId: string | null;
  /** How ec2ssh reaches it: public (IPv4), ipv6, eice (an endpoint in its VPC), private-unreachable, none. */
  reach: Reach;
}

/** The JSON keys of a row, in order (tests keep this list and docs/list.md in step). */
export const ROW_KEYS: (keyof ListRow)[] = [
  'region', 'id', 'name', 'state', 'type', 'dnsRecord', 'hostedZoneId', 'publicIp', 'privateIp', 'publicDns', 'privateDns',
  'launchTime', 'ageSeconds', 'expiresAt', 'expiresInSeconds', 'expired', 'managed', 'health', 'availabilityZone', 'imageId',
  'keyName', 'securityGroups', 'launch', 'role', 'user', 'sshPort', 'architecture', 'platform', 'hourlyPriceUsd', 'volumes', 'tags',
  'ipv6Address', 'vpcId', 'subnetId', 'reach',
];

const iso = (d: Date | undefined | null): string | null => (d && !Number.isNaN(d.getTime()) ? d.toISOString() : null);

const SEVERITY = ['ok', 'not-applicable', 'insufficient-data', 'initializing', 'impaired'];

/** Pure: EC2's InstanceStatus (or nothing) -> Health. */
export function toHealth(status: InstanceStatus | undefined): Health {
  if (!status) return { summary: '-', instanceStatus: null, systemStatus: null, ebsStatus: null, events: [] };
  const instanceStatus = status.InstanceStatus?.Status ?? null;
  const systemStatus = status.SystemStatus?.Status ?? null;
  const ebsStatus = (status as { AttachedEbsStatus?: { Status?: string } }).AttachedEbsStatus?.Status ?? null;
  const statuses = [instanceStatus, systemStatus, ebsStatus].filter((s): s is string => Boolean(s));
  const worst = statuses.sort((a, b) => SEVERITY.indexOf(b) - SEVERITY.indexOf(a))[0];
  const events = (status.Events ?? [])
    .filter((e) => !/^\[(Completed|Canceled|Cancelled)\]/i.test(e.Description ?? ''))
    .map((e) => ({
      code: String(e.Code ?? 'event'),
      description: e.Description ?? '',
      notBefore: iso(e.NotBefore ? new Date(e.NotBefore) : undefined),
      notAfter: iso(e.NotAfter ? new Date(e.NotAfter) : undefined),
    }))
    .sort((a, b) => (a.notBefore ?? '').localeCompare(b.notBefore ?? ''));
  return { summary: worst === 'not-applicable' || !worst ? '-' : worst, instanceStatus, systemStatus, ebsStatus, events };
}

/** Pure: InstanceInfo (+ status, volumes) at time `now` -> the row. */
export function toRow(i: InstanceInfo, now: number, status?: InstanceStatus, volumes?: VolumeRow[], endpoints: EndpointInfo[] = []): ListRow {
  const launched = i.launchTime?.getTime();
  const expires = i.expiresAt?.getTime();
  const expiresIn = expires === undefined ? null : Math.floor((expires - now) / 1000);
  return {
    region: i.region,
    id: i.id,
    name: i.name ?? null,
    state: i.state,
    type: i.type ?? null,
    dnsRecord: i.dnsRecord?.replace(/\.$/, '') ?? null,
    hostedZoneId: i.hostedZoneId ?? null,
    publicIp: i.publicIp ?? null,
    privateIp: i.privateIp ?? null,
    publicDns: i.publicDns ?? null,
    privateDns: i.privateDns ?? null,
    launchTime: iso(i.launchTime),
    ageSeconds: launched === undefined ? null : Math.max(0, Math.floor((now - launched) / 1000)),
    expiresAt: iso(i.expiresAt),
    expiresInSeconds: expiresIn,
    expired: expiresIn !== null && expiresIn <= 0,
    managed: i.managed,
    health: toHealth(status),
    availabilityZone: i.zone ?? null,
    imageId: i.imageId ?? null,
    keyName: i.keyName ?? null,
    securityGroups: i.securityGroups.map((g) => ({ id: g.id, name: g.name ?? null })),
    launch: i.tags[TAGS.launch] || null,
    role: i.tags[TAGS.role] || null,
    user: i.user ?? null,
    sshPort: i.sshPort,
    architecture: i.architecture ?? null,
    platform: i.platformDetails ?? null,
    hourlyPriceUsd: i.type ? (hourlyPrice(i.type) ?? null) : null,
    volumes: volumes ?? null,
    tags: i.tags,
    ipv6Address: i.ipv6 ?? null,
    vpcId: i.vpcId ?? null,
    subnetId: i.subnetId ?? null,
    reach: reachOf(i, endpoints),
  };
}

/** Pure: instances matching any of the patterns (all when there are none). */
export function filterByPatterns(instances: InstanceInfo[], patterns: string[]): InstanceInfo[] {
  if (patterns.length === 0) return instances;
  return instances.filter((i) => patterns.some((p) => matchesPattern(i, p)));
}

const STATE_ORDER = ['running', 'pending', 'stopping', 'stopped', 'shutting-down', 'terminated'];

/** Pure: stable order: by the key asked for, then region, name, id. */
export function sortRows(rows: ListRow[], key?: SortKey): ListRow[] {
  const byName = (a: ListRow, b: ListRow) =>
    (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.id.localeCompare(b.id);
  const base = (a: ListRow, b: ListRow) => a.region.localeCompare(b.region) || byName(a, b);
  const num = (v: number | null) => (v === null ? Infinity : v);
  const cmp: Record<SortKey, (a: ListRow, b: ListRow) => number> = {
    region: base,
    name: (a, b) => byName(a, b) || a.region.localeCompare(b.region),
    age: (a, b) => num(a.ageSeconds) - num(b.ageSeconds) || base(a, b),
    state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || base(a, b),
    type: (a, b) => (a.type ?? '').localeCompare(b.type ?? '') || base(a, b),
    expires: (a, b) => num(a.expiresInSeconds) - num(b.expiresInSeconds) || base(a, b),
  };
  return [...rows].sort(cmp[key ?? 'region']);
}
