// DescribeInstances and DescribeInstanceStatus: lookup by id, filters, pages, status checks and scheduled events.
import { ApiError } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import { STATE_CODES, type Instance, type Region } from '../state.js';
import type { Sandbox } from '../world.js';
import { compileFilters } from './filters.js';
import { paginate, type Params } from './params.js';
import { hasPublicIp, privateDns, publicDns, subnetIdOf, vpcIdOf } from './instance-network.js';
import { instancesSetXml } from './instance-xml.js';

const ID_RE = /^i-[0-9a-f]{8,17}$/;

export function findInstances(r: Region, ids: string[]): Instance[] {
  const bad = ids.find((id) => !ID_RE.test(id));
  if (bad) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad}"`);
  const missing = ids.filter((id) => !r.instances[id]);
  if (missing.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  return ids.map((id) => r.instances[id]!);
}

const INSTANCE_FILTERS = new Set(['instance-id', 'instance-state-name', 'instance-state-code', 'dns-name', 'ip-address', 'private-ip-address',
  'private-dns-name', 'key-name', 'image-id', 'instance-type', 'availability-zone', 'reservation-id', 'architecture', 'launch-time',
  'instance.group-id', 'instance.group-name', 'group-id', 'group-name', 'client-token', 'vpc-id', 'subnet-id', 'ipv6-address', 'network-interface.ipv6-addresses.ipv6-address', 'iam-instance-profile.arn', 'root-device-name', 'network-interface.addresses.association.public-ip']);

function instanceField(i: Instance, f: string): (string | undefined)[] {
  switch (f) {
    case 'instance-id': return [i.id];
    case 'instance-state-name': return [i.state];
    case 'instance-state-code': return [String(STATE_CODES[i.state])];
    case 'dns-name': return [publicDns(i)];
    case 'ip-address': case 'network-interface.addresses.association.public-ip': return [hasPublicIp(i) ? i.publicIp : undefined];
    case 'private-ip-address': return [i.privateIp || undefined];
    case 'private-dns-name': return [privateDns(i)];
    case 'key-name': return [i.keyName];
    case 'image-id': return [i.imageId];
    case 'instance-type': return [i.instanceType];
    case 'availability-zone': return [i.az];
    case 'reservation-id': return [i.reservationId];
    case 'architecture': return [i.architecture];
    case 'launch-time': return [new Date(i.launchTime).toISOString()];
    case 'instance.group-id': case 'group-id': return i.groups.map((g) => g.groupId);
    case 'instance.group-name': case 'group-name': return i.groups.map((g) => g.groupName);
    case 'client-token': return [i.clientToken];
    case 'vpc-id': return [vpcIdOf(i)];
    case 'subnet-id': return [subnetIdOf(i)];
    case 'ipv6-address': case 'network-interface.ipv6-addresses.ipv6-address': return i.ipv6Addresses ?? [];
    case 'iam-instance-profile.arn': return [i.iamProfile?.arn];
    case 'root-device-name': return [i.rootDeviceName];
    case 'tag-key': return Object.keys(i.tags);
    case 'tag-value': return Object.values(i.tags);
    default: return [i.tags[f.slice(4)]];
  }
}

export function describeInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('InstanceId');
  if (ids.length && p.str('MaxResults') !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const match = compileFilters<Instance>(p.filters(), INSTANCE_FILTERS, instanceField);
  const base = ids.length ? findInstances(r, [...new Set(ids)]) : Object.values(r.instances);
  const list = base.filter(match);
  const { page, nextToken } = paginate(list, p, { min: 5, max: 1000 });
  const byRes = new Map<string, Instance[]>();
  for (const i of page) {
    const g = byRes.get(i.reservationId);
    if (g) g.push(i); else byRes.set(i.reservationId, [i]);
  }
  return {
    reservationSet: [...byRes.entries()].map(([rid, insts]) => ({ reservationId: rid, ownerId: SANDBOX_ACCOUNT_ID, groupSet: [], instancesSet: instancesSetXml(insts) })),
    nextToken,
  };
}

const STATUS_FILTERS = new Set(['instance-id', 'instance-state-name', 'instance-state-code', 'availability-zone', 'instance-status.status',
  'system-status.status', 'instance-status.reachability', 'system-status.reachability', 'event.code']);

function statusOf(s: Sandbox, i: Instance): 'ok' | 'initializing' | 'not-applicable' {
  if (i.state !== 'running') return 'not-applicable';
  if (i.bulk) return 'ok';
  return s.now() - i.stateSince < s.delays.setup || !i.setupDone ? 'initializing' : 'ok';
}

export function describeInstanceStatus(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('InstanceId');
  const all = p.bool('IncludeAllInstances');
  const base = ids.length ? findInstances(r, [...new Set(ids)]) : Object.values(r.instances);
  // Scheduled events come from faults, remembered on the instance once assigned.
  for (const i of base) {
    if (i.state !== 'running' || i.events?.length) continue;
    const rule = s.faults.forInstance('scheduled-event', i.id, i.tags.Name);
    if (rule) {
      const code = rule.code ?? 'system-reboot';
      const start = s.now() + 3 * 86400_000;
      i.events = [{
        code, id: newId('instance-event'), notBefore: start, notAfter: start + 2 * 3600_000,
        description: code === 'instance-retirement' ? 'The instance is running on degraded hardware' : code === 'instance-stop' ? 'The instance is scheduled for stop' : 'The instance is scheduled for a reboot',
      }];
      s.changed();
    }
  }
  const match = compileFilters<Instance>(p.filters(), STATUS_FILTERS, (i, f) => {
    switch (f) {
      case 'instance-status.status': case 'system-status.status': return [statusOf(s, i)];
      case 'instance-status.reachability': case 'system-status.reachability': return [statusOf(s, i) === 'ok' ? 'passed' : statusOf(s, i) === 'initializing' ? 'initializing' : undefined];
      case 'event.code': return (i.events ?? []).map((e) => e.code);
      default: return instanceField(i, f);
    }
  });
  const list = base.filter((i) => (all || i.state === 'running') && match(i));
  const { page, nextToken } = paginate(list, p, { min: 5, max: 1000 });
  return {
    instanceStatusSet: page.map((i) => {
      const st = statusOf(s, i);
      const details = st === 'not-applicable' ? [] : [{ name: 'reachability', status: st === 'ok' ? 'passed' : 'initializing' }];
      return {
        instanceId: i.id, availabilityZone: i.az,
        eventsSet: i.events?.length ? i.events.map((e) => ({ instanceEventId: e.id, code: e.code, description: e.description, notBefore: new Date(e.notBefore), notAfter: new Date(e.notAfter) })) : undefined,
        instanceState: { code: STATE_CODES[i.state], name: i.state },
        systemStatus: { status: st, details },
        instanceStatus: { status: st, details },
      };
    }),
    nextToken,
  };
}
