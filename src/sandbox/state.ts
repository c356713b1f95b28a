// The sandbox world: plain JSON-able records kept in memory and persisted to <dir>/state.json.
import { readFileSync, existsSync } from 'node:fs';
import { open, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { HostKey } from './sshbridge.js';
import type { LaunchTemplate } from './ec2/launch-templates.js';
import type { AutoScaling } from './autoscaling/model.js';

export type Tags = Record<string, string>;
export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80,
};

export interface BlockDevice { deviceName: string; volumeId: string; deleteOnTermination: boolean; attachTime: number }
export interface ScheduledEvent { code: string; description: string; notBefore: number; notAfter: number; id: string }

export interface Instance {
  id: string;
  region: string;
  reservationId: string;
  ownerId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  az: string;
  /** '' on an IPv6-only instance. */
  privateIp: string;
  /**
   * The instance's own loopback address (127.N.x.y): its public IPv4 when it has one, and what its
   * services (GraphTerm, -L localhost) bind to either way.
   */
  publicIp: string;
  /** No public IPv4 (subnet without MapPublicIpOnLaunch, AssociatePublicIpAddress=false, IPv6-only). */
  noPublicIp?: boolean;
  /** Absent on instances from worlds saved before VPCs: the default subnet of `az`. */
  subnetId?: string;
  vpcId?: string;
  ipv6Addresses?: string[];
  networkInterfaceId?: string;
  /** The Elastic IP associated (its address is then publicIp). */
  eipAllocationId?: string;
  /** Whether the instance gets an automatic public IPv4 when it has no Elastic IP. */
  autoPublicIp?: boolean;
  iamProfile?: { arn: string; id: string };
  /** Keys pushed by SendSSHPublicKey: accepted from `from` until `until` (sandbox clock). */
  connectKeys?: { user: string; publicKey: string; from: number; until: number }[];
  launchTime: number;
  state: InstanceStateName;
  /** When the current state began (sandbox ms clock); transitions are computed lazily from it. */
  stateSince: number;
  stateReason?: { code: string; message: string };
  stateTransitionReason: string;
  groups: { groupId: string; groupName: string }[];
  blockDevices: BlockDevice[];
  rootDeviceName: string;
  architecture: string;
  shutdownBehavior: 'stop' | 'terminate';
  userData: string; // base64 as given
  clientToken?: string;
  amiLaunchIndex: number;
  /** 'spot' when launched with InstanceMarketOptions.MarketType=spot (EC2's instanceLifecycle). */
  lifecycle?: 'spot';
  tags: Tags;
  /** Bulk instances (benchmarks) have no SSH endpoint and no files. */
  bulk?: boolean;
  hostKey?: HostKey;
  /** SSH endpoint address actually bound (127.10.x.y, or 127.0.0.1 where that cannot be bound). */
  sshHost?: string;
  sshPort?: number;
  /** Set once the simulated user-data ran for this boot. */
  setupDone?: boolean;
  setupFailed?: boolean;
  bootedAt?: number;
  events?: ScheduledEvent[];
}

export interface KeyPair { id: string; name: string; type: 'rsa' | 'ed25519'; fingerprint: string; publicKey: string; createTime: number; tags: Tags }
export interface IpRange { cidr: string; description?: string }
export interface Permission { protocol: string; fromPort?: number; toPort?: number; ranges: IpRange[]; ipv6Ranges?: IpRange[]; groups: string[] }
export interface SecurityGroup { id: string; name: string; description: string; vpcId: string; ingress: Permission[]; egress: Permission[]; tags: Tags }
export interface Volume {
  id: string; size: number; az: string; snapshotId?: string; volumeType: string; createTime: number;
  state: 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted';
  attachment?: { instanceId: string; device: string; attachTime: number; deleteOnTermination: boolean };
  tags: Tags;
}
export interface Snapshot { id: string; volumeId: string; volumeSize: number; description: string; startTime: number; state: 'pending' | 'completed'; tags: Tags }

export interface Vpc {
  id: string; cidrBlock: string; isDefault: boolean; tags: Tags;
  /** Secondary IPv4 blocks are not modelled; IPv6: Amazon-provided /56 blocks. */
  ipv4AssociationId: string;
  ipv6Blocks: { associationId: string; cidr: string }[];
  dhcpOptionsId: string;
}
export interface Subnet {
  id: string; vpcId: string; az: string; tags: Tags;
  /** Absent on IPv6-only (Ipv6Native) subnets. */
  cidrBlock?: string;
  ipv6Cidr?: { associationId: string; cidr: string };
  ipv6Native: boolean;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  assignIpv6AddressOnCreation: boolean;
  /** Next host number handed out in the IPv4 block (AWS keeps the first four and the last). */
  nextHost: number;
  nextIpv6Host: number;
}
export interface ElasticIp {
  allocationId: string; publicIp: string; tags: Tags;
  instanceId?: string; associationId?: string;
}
export type InstanceConnectEndpointState = 'create-in-progress' | 'create-complete' | 'create-failed' | 'delete-in-progress' | 'delete-complete';
export interface InstanceConnectEndpoint {
  id: string; vpcId: string; subnetId: string; az: string; securityGroupIds: string[]; preserveClientIp: boolean;
  dnsName: string; fipsDnsName: string; networkInterfaceIds: string[]; createdAt: number; clientToken?: string;
  state: InstanceConnectEndpointState; stateSince: number; tags: Tags;
}

export interface ClientTokenRecord { reservationId: string; paramsHash: string; instanceIds: string[] }

export interface Region {
  instances: Record<string, Instance>;
  keyPairs: Record<string, KeyPair>; // by name
  securityGroups: Record<string, SecurityGroup>; // by id
  volumes: Record<string, Volume>;
  snapshots: Record<string, Snapshot>;
  clientTokens: Record<string, ClientTokenRecord>;
  /** Tags on ids that have no record of their own (e.g. images). */
  otherTags: Record<string, Tags>;
  /** By id (ec2/launch-templates.ts); absent in worlds saved before templates existed. */
  launchTemplates?: Record<string, LaunchTemplate>;
  /** Auto Scaling groups and their activities (autoscaling/model.ts). */
  autoScaling?: AutoScaling;
  /** By id; the default VPC and its subnets are made on first use (ec2/vpcs.ts network()). */
  vpcs?: Record<string, Vpc>;
  subnets?: Record<string, Subnet>;
  addresses?: Record<string, ElasticIp>;
  instanceConnectEndpoints?: Record<string, InstanceConnectEndpoint>;
}

export interface RecordSet { name: string; type: string; ttl?: number; values: string[]; setIdentifier?: string; weight?: number; alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean } }
export interface Zone { id: string; name: string; callerReference: string; comment?: string; privateZone: boolean; nameServers: string[]; records: RecordSet[]; createdAt: number }
export interface Change { id: string; submittedAt: number; status: 'PENDING' | 'INSYNC'; comment?: string }

export interface World {
  version: 1;
  /** Next loopback address to hand out (127.10.x.y) and next private address. */
  nextAddr: number;
  regions: Record<string, Region>;
  zones: Record<string, Zone>;
  changes: Record<string, Change>;
  /** Moved forward by POST /_sandbox/clock; the sandbox clock is Date.now() + this. */
  clockOffsetMs?: number;
  /** IAM instance profiles added by POST /_sandbox/instance-profiles. */
  instanceProfiles?: string[];
}

export function emptyWorld(): World {
  // Each new world starts in its own /16 of 127.10-127.73, so GraphTerm's fixed ports (8899-8901) on
  // instances of two sandboxes running at once (the demo beside the user's own) do not collide.
  return { version: 1, nextAddr: 1 + (randomInt(64) << 16), regions: {}, zones: {}, changes: {} };
}

export function emptyRegion(): Region {
  return { instances: {}, keyPairs: {}, securityGroups: {}, volumes: {}, snapshots: {}, clientTokens: {}, otherTags: {} };
}

/** Loads state.json; a corrupt file is an error naming it (never silently replaced). */
export function loadWorld(dir: string): World {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return emptyWorld();
  let w: World;
  try {
    w = JSON.parse(readFileSync(file, 'utf8')) as World;
  } catch (e) {
    throw new Error(`sandbox state file ${file} is corrupt (${(e as Error).message}); move it away or remove it to start afresh`);
  }
  if (!w || w.version !== 1 || typeof w.regions !== 'object') throw new Error(`sandbox state file ${file} is not a version 1 sandbox state`);
  return w;
}

/**
 * Coalescing atomic writer: many mutations in a burst produce one write; flush() resolves once a
 * write that includes every mutation made before the call has reached the disk.
 */
export class Persister {
  private dirty = false;
  private writing: Promise<void> | null = null;
  private tmpSeq = 0;
  constructor(private readonly dir: string, private readonly snapshot: () => string) {}

  markDirty(): void {
    this.dirty = true;
    // Background write so state reaches disk even when nobody waits for it.
    setImmediate(() => { void this.flush().catch(() => {}); });
  }

  async flush(): Promise<void> {
    while (this.dirty || this.writing) {
      if (this.writing) { await this.writing; continue; }
      this.dirty = false;
      this.writing = this.write().finally(() => { this.writing = null; });
      await this.writing;
    }
  }

  private async write(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, 'state.json');
    const tmp = `${file}.${process.pid}.${this.tmpSeq++}.tmp`;
    // 0600 from creation: the state holds every instance's host private key.
    const h = await open(tmp, 'w', 0o600);
    try { await h.chmod(0o600); await h.writeFile(this.snapshot()); } finally { await h.close(); }
    await rename(tmp, file);
  }
}
