// EC2 and Route 53 held in memory, behind the same `Ec2` and `Dns` interfaces the commands use, so the
// commands' logic (actions, DNS cleanup, name semantics) runs in-process through the real runner. The
// behaviour follows EC2 where the logic depends on it: stop and start move through stopping/pending
// (one describe later they have settled), a start gives a new public address, terminate is idempotent.
import type { Image, Snapshot, Volume } from '@aws-sdk/client-ec2';
import type { RunnerDeps } from '../../src/cli.js';
import type { AwsContext } from '../../src/lib/aws.js';
import type { Dns, DnsRecord } from '../../src/lib/dns.js';
import type { Ec2 } from '../../src/lib/ec2.js';
import { NotFoundError } from '../../src/lib/errors.js';
import type { Fleet, Fleets } from '../../src/lib/fleets.js';
import { LIVE_STATES, TAGS, type InstanceInfo } from '../../src/lib/instances.js';
import { memoryResourceOps, memoryResources, type MemoryResources } from './memory-ec2-resources.js';

export interface MemoryWorld {
  instances: Map<string, InstanceInfo>;
  /** zone id -> zone name and records by "name type". */
  zones: Map<string, { name: string; records: Map<string, DnsRecord> }>;
  /** Fleets by name (their groups), and fleet names with a launch template. */
  fleets: Map<string, Fleet>;
  templates: Set<string>;
  images: Image[];
  volumes: Volume[];
  snapshots: Map<string, Snapshot>;
  /** Every mutating call, as "Action id...", in order (a DryRun check as "DryRun Action ..."). */
  calls: string[];
  /** Key pairs, security groups, Elastic IPs, subnets, endpoints (memory-ec2-resources.ts). */
  ec2: MemoryResources;
}

let serial = 0;
const hex = (n: number) => n.toString(16).padStart(17, '0');
let addressSerial = 10;
const nextAddress = () => `198.51.100.${addressSerial++ % 250}`;

export function memoryWorld(): MemoryWorld {
  return { instances: new Map(), zones: new Map(), fleets: new Map(), templates: new Set(), images: [], volumes: [], snapshots: new Map(), calls: [], ec2: memoryResources() };
}

/** Adds a running instance; `tags` are merged over Name and ec2term:managed. */
export function addInstance(w: MemoryWorld, name: string, tags: Record<string, string> = {}, region = 'us-east-1'): InstanceInfo {
  const id = `i-${hex(++serial)}`;
  const all: Record<string, string> = { [TAGS.name]: name, [TAGS.managed]: 'true', ...tags };
  const i: InstanceInfo = {
    id, region, name, state: 'running', type: 't3.micro', publicIp: nextAddress(), privateIp: `172.31.0.${serial % 250}`,
    launchTime: new Date(Date.UTC(2026, 0, 1)), managed: true, sshPort: 22, securityGroups: [], tags: all,
    dnsRecord: all[TAGS.dns], hostedZoneId: all[TAGS.zone], dnsValue: all[TAGS.dnsValue],
  };
  w.instances.set(id, i);
  return i;
}

export function addRecord(w: MemoryWorld, zoneId: string, zoneName: string, name: string, value: string): void {
  const zone = w.zones.get(zoneId) ?? { name: zoneName, records: new Map() };
  zone.records.set(`${name} A`, { name, type: 'A', ttl: 60, values: [value] });
  w.zones.set(zoneId, zone);
}

const settled: Record<string, string> = { stopping: 'stopped', pending: 'running', 'shutting-down': 'terminated' };

/** Does an instance match one DescribeInstances filter (those the commands use)? */
function matches(i: InstanceInfo, f: { Name?: string; Values?: string[] }, w: MemoryWorld): boolean {
  const values = f.Values ?? [];
  const name = f.Name ?? '';
  if (name.startsWith('tag:')) return values.includes(i.tags[name.slice(4)] ?? '\0');
  if (name === 'tag-key') return values.some((k) => k in i.tags);
  if (name === 'instance-state-name') return values.includes(i.state);
  if (name === 'key-name') return values.includes(i.keyName ?? '');
  if (name === 'instance.group-id') return i.securityGroups.some((g) => values.includes(g.id));
  if (name === 'client-token') return values.some((t) => w.ec2.tokens.get(t) === i.id);
  throw new Error(`memoryEc2: the filter ${name} is not modelled`);
}

export function memoryEc2(w: MemoryWorld, region = 'us-east-1'): Ec2 {
  const find = (id: string) => {
    const i = w.instances.get(id);
    if (!i || i.region !== region) throw new NotFoundError(`The instance ID '${id}' does not exist`);
    return i;
  };
  const change = (ids: string[], action: string, to: string) =>
    ids.map((id) => {
      const i = find(id);
      const previous = i.state;
      w.calls.push(`${action} ${id}`);
      if (!(action === 'TerminateInstances' && (previous === 'terminated' || previous === 'shutting-down'))) i.state = to;
      if (action === 'StopInstances' || action === 'TerminateInstances') i.publicIp = undefined;
      if (action === 'StartInstances') i.publicIp = nextAddress();
      return { InstanceId: id, PreviousState: { Name: previous as never }, CurrentState: { Name: i.state as never } };
    });
  return {
    region,
    get client(): never {
      throw new Error('memoryEc2 has no SDK client: give the operation a method on Ec2');
    },
    ...memoryResourceOps(w, region),
    async describeInstances(query = {}) {
      const states = query.states ?? LIVE_STATES;
      const out: InstanceInfo[] = [];
      w.ec2.before?.(`DescribeInstances ${(query.filters ?? []).map((f) => f.Name).join(',')}`);
      for (const i of w.instances.values()) {
        if (i.region !== region) continue;
        if (settled[i.state]) i.state = settled[i.state];
        if (query.ids && !query.ids.includes(i.id)) continue;
        if (states.length > 0 && !query.ids && !states.includes(i.state as never)) continue;
        if (query.ids && query.states && query.states.length > 0 && !query.states.includes(i.state as never)) continue;
        if (!(query.filters ?? []).every((f) => matches(i, f, w))) continue;
        out.push(structuredClone(i));
      }
      return out;
    },
    async instanceStatus() {
      return [];
    },
    async consoleOutput() {
      return '';
    },
    async createTags(ids, tags) {
      w.ec2.before?.(`CreateTags ${ids.join(',')}`);
      for (const id of ids) {
        const i = find(id);
        w.calls.push(`CreateTags ${id} ${Object.keys(tags).join(',')}`);
        Object.assign(i.tags, tags);
        if (TAGS.dnsValue in tags) i.dnsValue = tags[TAGS.dnsValue];
      }
    },
    async deleteTags(ids, keys) {
      for (const id of ids) for (const k of keys) delete find(id).tags[k];
    },
    async stop(ids) {
      return change(ids, 'StopInstances', 'stopping');
    },
    async start(ids) {
      return change(ids, 'StartInstances', 'pending');
    },
    async terminate(ids) {
      return change(ids, 'TerminateInstances', 'shutting-down');
    },
    async regions() {
      return ['us-east-1', 'eu-west-1'];
    },
    async images(query) {
      return w.images.filter((im) => !query.ids || query.ids.includes(im.ImageId ?? ''));
    },
    // Volumes and snapshots: none unless a test adds them to the world; a new snapshot completes at once.
    async volumes(instanceIds) {
      return w.volumes.filter((v) => !instanceIds || v.Attachments?.some((a) => instanceIds.includes(a.InstanceId ?? '')));
    },
    async snapshots(filters) {
      const ids = filters.find((f) => f.Name === 'snapshot-id')?.Values;
      return [...w.snapshots.values()].filter((x) => !ids || ids.includes(x.SnapshotId ?? ''));
    },
    async createSnapshot(volumeId, description, tags) {
      const id = `snap-${hex(++serial)}`;
      w.calls.push(`CreateSnapshot ${volumeId}`);
      w.snapshots.set(id, { SnapshotId: id, VolumeId: volumeId, Description: description, State: 'completed', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
      return id;
    },
    async deleteSnapshot(id) {
      w.calls.push(`DeleteSnapshot ${id}`);
      w.snapshots.delete(id);
    },
  };
}

export function memoryDns(w: MemoryWorld): Dns {
  const zone = (id: string) => {
    const z = w.zones.get(id);
    if (!z) throw new NotFoundError(`No hosted zone found with ID: ${id}`);
    return z;
  };
  const change = () => ({ id: `C${hex(++serial).toUpperCase()}`, status: 'INSYNC' });
  return {
    async findZoneFor(name) {
      let best: { id: string; name: string } | undefined;
      for (const [id, z] of w.zones) if ((name === z.name || name.endsWith(`.${z.name}`)) && (!best || z.name.length > best.name.length)) best = { id, name: z.name };
      return best ? ({ id: best.id, name: best.name, private: false } as never) : undefined;
    },
    async upsertRecord(zoneId, name, type, value, ttl = 60) {
      w.calls.push(`UPSERT ${name} ${value}`);
      zone(zoneId).records.set(`${name} ${type}`, { name, type, ttl, values: [value] });
      return change();
    },
    async waitInsync() {},
    async getRecord(zoneId, name, type) {
      return zone(zoneId).records.get(`${name} ${type}`);
    },
    async deleteRecordIfPointsAt(zoneId, name, expected) {
      const z = zone(zoneId);
      const record = z.records.get(`${name} A`) ?? z.records.get(`${name} CNAME`);
      if (!record) return { deleted: false, reason: 'missing' };
      if (!record.values.every((v) => expected.includes(v.replace(/\.$/, '')))) return { deleted: false, reason: 'points-elsewhere', record };
      w.calls.push(`DELETE ${name}`);
      z.records.delete(`${name} ${record.type}`);
      return { deleted: true, record, change: change() };
    },
    async repointRecordIfPointsAt(zoneId, name, expected, value, ttl = 60) {
      const z = zone(zoneId);
      const record = z.records.get(`${name} A`);
      if (!record) return { changed: false, reason: 'missing' };
      if (record.values.length === 1 && record.values[0] === value) return { changed: false, reason: 'current', record };
      if (!record.values.every((v) => expected.includes(v))) return { changed: false, reason: 'points-elsewhere', record };
      w.calls.push(`REPOINT ${name} ${value}`);
      const next = { name, type: 'A', ttl, values: [value] };
      z.records.set(`${name} A`, next);
      return { changed: true, record: next, change: change() };
    },
    async createZone(domain) {
      throw new Error(`memoryDns: createZone(${domain}) is not modelled`);
    },
  };
}

/** Adds a fleet of `hosts` running instances, with its group and template. */
export function addFleet(w: MemoryWorld, name: string, hosts: number): Fleet {
  const instances = Array.from({ length: hosts }, () => ({ id: addInstance(w, `${name}-host`, { [TAGS.fleet]: name }).id, lifecycle: 'InService' }));
  const f: Fleet = { name, group: `ec2term-${name}`, desired: hosts, max: hosts, instances, deleting: false };
  w.fleets.set(name, f);
  w.templates.add(name);
  return f;
}

/** Fleets the way Auto Scaling behaves for ec2list: a resize is recorded, a removal takes the hosts with it. */
export function memoryFleets(w: MemoryWorld): Fleets {
  return {
    list: async () => [...w.fleets.values()].map((f) => ({ ...f, instances: [...f.instances] })),
    templateNames: async () => new Set(w.templates),
    async resize(f, hosts) {
      w.calls.push(`UpdateAutoScalingGroup ${f.group} ${hosts}`);
      const live = w.fleets.get(f.name);
      if (live) { live.desired = hosts; live.max = Math.max(live.max, hosts); }
    },
    async remove(group) {
      const f = [...w.fleets.values()].find((x) => x.group === group);
      const lines: string[] = [];
      if (f) {
        w.calls.push(`DeleteAutoScalingGroup ${group}`);
        for (const m of f.instances) { const i = w.instances.get(m.id); if (i) i.state = 'terminated'; }
        w.fleets.delete(f.name);
        lines.push(`deleted the Auto Scaling group ${group}`);
      }
      const name = group.replace(/^ec2term-/, '');
      if (w.templates.delete(name)) { w.calls.push(`DeleteLaunchTemplate ${group}`); lines.push(`deleted the launch template ${group}`); }
      return lines;
    },
  };
}

/** Runner deps for a memory world: no credentials, no HTTP, the world's EC2 and Route 53. */
export function memoryDeps(w: MemoryWorld): RunnerDeps {
  const aws = { region: 'us-east-1', regionSource: 'test', credentialSource: 'test', endpoints: {} } as unknown as AwsContext;
  return { aws: async () => aws, ec2: async (region) => memoryEc2(w, region ?? 'us-east-1'), dns: async () => memoryDns(w), fleets: async () => memoryFleets(w) };
}
