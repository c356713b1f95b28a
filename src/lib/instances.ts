// The instance model every command shares, built from EC2's Instance shape, and the tags ec2term
// writes. Pure: no SDK import at run time.
import type { Instance, Tag } from '@aws-sdk/client-ec2';

/** Tags ec2term writes on what it creates, so other commands (and other tools) can find them. */
export const TAGS = {
  name: 'Name',
  /** "true" on everything ec2term created; `--terminate-all` and `--expired` act on these only. */
  managed: 'ec2term:managed',
  /** The Route 53 record pointing at the instance, e.g. "lab.myterm.com". */
  dns: 'ec2term:dns',
  /** The hosted zone id of that record. */
  zone: 'ec2term:zone',
  /** The value ec2term last wrote into that record (the public IP then), so the record can still be
   * removed or moved once the instance's address has changed (a stop, a start, a termination). */
  dnsValue: 'ec2term:dns-value',
  /** ISO time after which the instance may be terminated (--ttl). */
  expiresAt: 'ec2term:expires-at',
  /** The launch's parameters as a short string (type, packages, mode) for `ec2list --wide`. */
  launch: 'ec2term:launch',
  /** The login user for this image (ubuntu, ec2-user, admin). */
  user: 'ec2term:user',
  /** Who ran ec2launch: user@host of that machine (a claim, like every tag; shown by bulk plans). */
  launchedBy: 'ec2term:launched-by',
  /** The fleet (ec2launch --hosts) a host belongs to; also on its Auto Scaling group and launch template. */
  fleet: 'ec2term:fleet',
  /** Set by ec2launch on a fleet host once its server lists it (the time it saw that). */
  joined: 'ec2term:joined',
  /** The GraphTerm role: "server" or "host". */
  role: 'ec2term:role',
  /** The SSH port when it is not 22 (a local target sets it). */
  sshPort: 'ec2term:ssh-port',
} as const;

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
export const LIVE_STATES: InstanceState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** What every command needs to know about an instance, flattened from EC2's Instance. */
export interface InstanceInfo {
  id: string;
  region: string;
  name?: string;
  state: InstanceState | string;
  type?: string;
  zone?: string;
  imageId?: string;
  keyName?: string;
  publicIp?: string;
  privateIp?: string;
  publicDns?: string;
  privateDns?: string;
  /** The Route 53 record ec2term made for it (tag ec2term:dns). */
  dnsRecord?: string;
  hostedZoneId?: string;
  /** What ec2term last wrote into that record (tag ec2term:dns-value). */
  dnsValue?: string;
  launchTime?: Date;
  expiresAt?: Date;
  managed: boolean;
  sshPort: number;
  /** Login user from the tag ec2term:user, when ec2launch recorded it. */
  user?: string;
  securityGroups: { id: string; name?: string }[];
  platformDetails?: string;
  architecture?: string;
  tags: Record<string, string>;
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Pure: EC2's Instance -> InstanceInfo. */
export function toInstanceInfo(instance: Instance, region: string): InstanceInfo {
  const tags = tagMap(instance.Tags);
  const port = Number(tags[TAGS.sshPort]);
  return {
    id: instance.InstanceId ?? '',
    region,
    name: tags[TAGS.name] || undefined,
    state: instance.State?.Name ?? 'unknown',
    type: instance.InstanceType,
    zone: instance.Placement?.AvailabilityZone,
    imageId: instance.ImageId,
    keyName: instance.KeyName,
    publicIp: instance.PublicIpAddress || undefined,
    privateIp: instance.PrivateIpAddress || undefined,
    publicDns: instance.PublicDnsName || undefined,
    privateDns: instance.PrivateDnsName || undefined,
    dnsRecord: tags[TAGS.dns] || undefined,
    hostedZoneId: tags[TAGS.zone] || undefined,
    dnsValue: tags[TAGS.dnsValue] || undefined,
    launchTime: instance.LaunchTime ? new Date(instance.LaunchTime) : undefined,
    expiresAt: parseDate(tags[TAGS.expiresAt]),
    managed: tags[TAGS.managed] === 'true',
    sshPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
    user: tags[TAGS.user] || undefined,
    securityGroups: (instance.SecurityGroups ?? []).map((g) => ({ id: g.GroupId ?? '', name: g.GroupName })),
    platformDetails: instance.PlatformDetails,
    architecture: instance.Architecture,
    tags,
  };
}

/** The address to reach an instance from outside: public IP, else public DNS, else private IP. */
export function reachableAddress(i: InstanceInfo): string | undefined {
  return i.publicIp ?? i.publicDns ?? i.privateIp;
}

/** A short label for messages: "lab (i-0abc...)" or just the id. */
export function label(i: InstanceInfo): string {
  return i.name ? `${i.name} (${i.id})` : i.id;
}
