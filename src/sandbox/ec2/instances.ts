// Instances: RunInstances, DescribeInstances, DescribeInstanceStatus, Stop/Start/Terminate, GetConsoleOutput.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import { STATE_CODES, type BlockDevice, type Instance, type Region, type Tags, type Volume } from '../state.js';
import { generateHostKey } from '../sshbridge.js';
import type { Sandbox } from '../world.js';
import { azsOf, findImage, findType, imagesOf } from './catalog.js';
import { compileFilters } from './filters.js';
import { esc, RawXml } from '../xml.js';
import { paginate, tagSet, type Params } from './params.js';
import { hasPublicIp, networkXml, privateDns, publicDns, subnetIdOf, vpcIdOf } from './instance-network.js';
import { addressesFor, placementOf } from './placement.js';
import { dropAddressOf } from './addresses.js';
import { MAX_BULK_PER_CALL, MAX_INSTANCES_PER_REGION, MAX_USER_DATA_BYTES } from '../limits.js';

const ID_RE = /^i-[0-9a-f]{8,17}$/;

export function findInstances(r: Region, ids: string[]): Instance[] {
  const bad = ids.find((id) => !ID_RE.test(id));
  if (bad) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad}"`);
  const missing = ids.filter((id) => !r.instances[id]);
  if (missing.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  return ids.map((id) => r.instances[id]!);
}

export { publicDns, privateDns } from './instance-network.js';
export { subnetOf } from './vpcs.js';
const tag = (k: string, v: string | number | boolean | undefined) => (v === undefined ? '' : `<${k}>${typeof v === 'string' ? esc(v) : v}</${k}>`);
const iso = (t: number) => new Date(t).toISOString();

/**
 * The instance as EC2's `instancesSet/item` carries it, as an XML string. Written by hand and cached
 * per instance (keyed on everything that can change) because DescribeInstances over 10,000
 * instances must stay fast.
 */
const xmlCache = new WeakMap<Instance, { key: string; xml: string }>();
export function instanceItemXml(i: Instance): string {
  const key = `${i.state}|${i.stateSince}|${i.publicIp}|${i.noPublicIp}|${i.eipAllocationId}|${i.stateTransitionReason}|${i.blockDevices.length}|${i.groups.length}|${JSON.stringify(i.tags)}`;
  const hit = xmlCache.get(i);
  if (hit && hit.key === key) return hit.xml;
  const live = i.state !== 'terminated';
  const groups = i.groups.map((g) => `<item><groupId>${g.groupId}</groupId><groupName>${esc(g.groupName)}</groupName></item>`).join('');
  const bdm = live ? i.blockDevices.map((b) => `<item><deviceName>${b.deviceName}</deviceName><ebs><volumeId>${b.volumeId}</volumeId><status>attached</status><attachTime>${iso(b.attachTime)}</attachTime><deleteOnTermination>${b.deleteOnTermination}</deleteOnTermination></ebs></item>`).join('') : '';
  const tags = Object.entries(i.tags).map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`).join('');
  const net = networkXml(i, groups, iso);
  const reason = i.stateReason ? `<stateReason><code>${esc(i.stateReason.code)}</code><message>${esc(i.stateReason.message)}</message></stateReason>` : '';
  const xml = '<item>'
    + `<instanceId>${i.id}</instanceId><imageId>${i.imageId}</imageId>`
    + `<instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState>`
    + `<privateDnsName>${privateDns(i)}</privateDnsName><dnsName>${publicDns(i)}</dnsName>`
    + tag('reason', i.stateTransitionReason || undefined) + tag('keyName', i.keyName) + tag('amiLaunchIndex', i.amiLaunchIndex)
    + `<instanceType>${i.instanceType}</instanceType><launchTime>${iso(i.launchTime)}</launchTime>`
    + `<placement><availabilityZone>${i.az}</availabilityZone><groupName/><tenancy>default</tenancy></placement>`
    + net.addresses
    + `<groupSet>${groups}</groupSet>${reason}`
    + `<architecture>${i.architecture}</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>${i.rootDeviceName}</rootDeviceName>`
    + `<blockDeviceMapping>${bdm}</blockDeviceMapping><virtualizationType>hvm</virtualizationType>`
    + tag('clientToken', i.clientToken) + tag('instanceLifecycle', i.lifecycle) + `<tagSet>${tags}</tagSet>` + net.interfaces
    // EC2 sends more static fields (hypervisor, cpuOptions, metadataOptions...); the sandbox leaves them
    // out because the SDK's XML parser cost grows with every byte of a 1000-instance page.
    + '</item>';
  xmlCache.set(i, { key, xml });
  return xml;
}

/** A pre-rendered `instancesSet` (toXml passes RawXml through untouched). */
export const instancesSetXml = (insts: Instance[]): RawXml => new RawXml(insts.map(instanceItemXml).join(''));

function tagsForType(p: Params, type: string): Tags {
  const specs = p.tagSpecs();
  for (const s of specs) {
    if (!['instance', 'volume', 'network-interface', 'spot-instances-request'].includes(s.resourceType)) {
      throw new ApiError('InvalidParameterValue', `'${s.resourceType}' is not a valid taggable resource type for this operation.`);
    }
  }
  return Object.assign({}, ...specs.filter((s) => s.resourceType === type).map((s) => s.tags));
}

/** Idempotency fingerprint: every parameter except the token and DryRun. */
function paramsHash(p: Params): string {
  const entries = [...p.map.entries()].filter(([k]) => k !== 'ClientToken' && k !== 'DryRun' && k !== 'Action' && k !== 'Version').sort();
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** Bounds the state a region can grow to, whoever asks (RunInstances or the admin bulk route). */
function roomFor(r: Region, more: number): void {
  const have = Object.keys(r.instances).length;
  if (have + more > MAX_INSTANCES_PER_REGION) {
    throw new ApiError('InstanceLimitExceeded', `The sandbox holds at most ${MAX_INSTANCES_PER_REGION} instances per region (${have} now, ${more} more requested).`);
  }
}

function reservationXml(reservationId: string, instances: Instance[]) {
  return { reservationId, ownerId: SANDBOX_ACCOUNT_ID, groupSet: [], instancesSet: instancesSetXml(instances) };
}

export function runInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const token = p.str('ClientToken');
  const hash = paramsHash(p);
  if (token) {
    if (token.length > 64) throw new ApiError('InvalidParameterValue', 'Client token must not exceed 64 characters');
    const prev = r.clientTokens[token];
    if (prev) {
      if (prev.paramsHash !== hash) throw new ApiError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
      const insts = prev.instanceIds.map((id) => r.instances[id]).filter((x): x is Instance => !!x);
      return reservationXml(prev.reservationId, insts);
    }
  }
  const imageId = p.req('ImageId');
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  const image = findImage(region, imageId);
  if (!image) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  const typeName = p.str('InstanceType') ?? 't3.micro';
  const type = findType(typeName);
  if (!type) throw new ApiError('InvalidParameterValue', `Invalid value '${typeName}' for InstanceType.`);
  if (type.arch !== image.architecture) {
    throw new ApiError('InvalidParameterValue', `The architecture '${type.arch}' of the specified instance type does not match the architecture '${image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`);
  }
  const min = p.int('MinCount') ?? 1, max = p.int('MaxCount') ?? min;
  if (min < 1) throw new ApiError('InvalidParameterValue', `Value (${min}) for parameter minCount is invalid. Expected a positive integer.`);
  if (max < min) throw new ApiError('InvalidParameterValue', `Value (${max}) for parameter maxCount is invalid. Expected a value >= minCount.`);
  if (max > 100) throw new ApiError('InstanceLimitExceeded', `You have requested more instances (${max}) than your current instance limit of 100 allows for the specified instance type.`);
  roomFor(r, max);
  const keyName = p.str('KeyName');
  if (keyName !== undefined && !r.keyPairs[keyName]) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  const pl = placementOf(s, r, region, p);
  const { groups, az } = pl;
  const userData = p.str('UserData') ?? '';
  if (userData) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData.replace(/\s/g, ''))) throw new ApiError('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
    if (Buffer.from(userData, 'base64').length > MAX_USER_DATA_BYTES) throw new ApiError('InvalidParameterValue', `User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
  }
  const shutdown = (p.str('InstanceInitiatedShutdownBehavior') ?? 'stop') as 'stop' | 'terminate';
  if (shutdown !== 'stop' && shutdown !== 'terminate') throw new ApiError('InvalidParameterValue', `Value (${shutdown}) for parameter instanceInitiatedShutdownBehavior is invalid.`);
  const instanceTags = tagsForType(p, 'instance');
  const spot = p.sub('InstanceMarketOptions').str('MarketType') === 'spot';
  const volumeTags = tagsForType(p, 'volume');

  // Block devices: the image's root plus any requested; sizes from the snapshot unless overridden.
  const mappings = new Map<string, { size: number; snapshotId?: string; deleteOnTermination: boolean; volumeType: string }>();
  mappings.set(image.rootDeviceName, { size: image.size, snapshotId: image.snapshotId, deleteOnTermination: true, volumeType: 'gp3' });
  for (const b of p.structs('BlockDeviceMapping')) {
    const dev = b.req('DeviceName');
    if (b.str('NoDevice') !== undefined) { if (dev !== image.rootDeviceName) mappings.delete(dev); continue; }
    const ebs = b.sub('Ebs');
    const snapshotId = ebs.str('SnapshotId') ?? mappings.get(dev)?.snapshotId;
    let snapSize: number | undefined;
    if (snapshotId) {
      const own = r.snapshots[snapshotId];
      snapSize = own ? own.volumeSize : snapshotId === image.snapshotId ? image.size : undefined;
      if (snapSize === undefined) throw new ApiError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
    }
    const size = ebs.int('VolumeSize') ?? snapSize;
    if (size === undefined) throw new ApiError('InvalidBlockDeviceMapping', `The request must contain the parameter size or snapshotId for device ${dev}`);
    if (snapSize !== undefined && size < snapSize) throw new ApiError('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot '${snapshotId}', expect size >= ${snapSize}GB`);
    if (size < 1 || size > 16384) throw new ApiError('InvalidParameterValue', `Volume size ${size} is out of range`);
    mappings.set(dev, { size, snapshotId, deleteOnTermination: ebs.str('DeleteOnTermination') !== undefined ? ebs.bool('DeleteOnTermination') : true, volumeType: ebs.str('VolumeType') ?? 'gp3' });
  }

  if (p.bool('DryRun')) throw dryRunOk();

  const now = s.now();
  const reservationId = newId('r');
  const created: Instance[] = [];
  for (let n = 0; n < max; n++) {
    const id = newId('i');
    const { publicIp } = s.allocAddresses();
    const net = addressesFor(pl);
    const blockDevices: BlockDevice[] = [];
    for (const [dev, m] of mappings) {
      const v: Volume = { id: newId('vol'), size: m.size, az, snapshotId: m.snapshotId, volumeType: m.volumeType, createTime: now, state: 'in-use', attachment: { instanceId: id, device: dev, attachTime: now, deleteOnTermination: m.deleteOnTermination }, tags: { ...volumeTags } };
      r.volumes[v.id] = v;
      blockDevices.push({ deviceName: dev, volumeId: v.id, deleteOnTermination: m.deleteOnTermination, attachTime: now });
    }
    const inst: Instance = {
      id, region, reservationId, ownerId: SANDBOX_ACCOUNT_ID, imageId, instanceType: type.name, keyName, az, publicIp, ...net, iamProfile: pl.iamProfile,
      launchTime: now, state: 'pending', stateSince: now, stateTransitionReason: '',
      groups: groups.map((g) => ({ groupId: g.id, groupName: g.name })), blockDevices, rootDeviceName: image.rootDeviceName,
      architecture: image.architecture, shutdownBehavior: shutdown, userData, clientToken: token, amiLaunchIndex: n,
      tags: { ...instanceTags }, hostKey: generateHostKey(), lifecycle: spot ? 'spot' : undefined,
    };
    r.instances[id] = inst;
    mkdirSync(s.instanceRoot(inst), { recursive: true, mode: 0o700 });
    created.push(inst);
    s.setState(inst, 'pending', now);
  }
  if (token) r.clientTokens[token] = { reservationId, paramsHash: hash, instanceIds: created.map((i) => i.id) };
  s.changed();
  return reservationXml(reservationId, created);
}

/** Admin bulk creation for benchmarks: running at once, no SSH endpoint, no volumes. */
export function bulkInstances(s: Sandbox, region: string, count: number, namePrefix: string): number {
  const r = s.region(region);
  if (!Number.isInteger(count) || count < 1 || count > MAX_BULK_PER_CALL) throw new ApiError('InvalidParameterValue', `count must be 1..${MAX_BULK_PER_CALL}`);
  if (namePrefix.length > 200) throw new ApiError('InvalidParameterValue', 'namePrefix must be at most 200 characters');
  roomFor(r, count);
  const now = s.now();
  const sg = Object.values(r.securityGroups).find((g) => g.name === 'default')!;
  const ami = imagesOf(region)[0]!.id;
  let reservationId = '';
  for (let n = 0; n < count; n++) {
    const id = newId('i');
    const { publicIp, privateIp } = s.allocAddresses();
    if (n % 10 === 0) reservationId = newId('r'); // as if launched ten at a time
    r.instances[id] = {
      id, region, reservationId, amiLaunchIndex: n % 10, ownerId: SANDBOX_ACCOUNT_ID, imageId: ami, instanceType: 't3.micro', az: azsOf(region)[n % 3]!,
      privateIp, publicIp, launchTime: now, state: 'running', stateSince: now, stateTransitionReason: '', groups: [{ groupId: sg.id, groupName: sg.name }],
      blockDevices: [], rootDeviceName: '/dev/sda1', architecture: 'x86_64', shutdownBehavior: 'stop', userData: '',
      tags: { Name: `${namePrefix}${n}` }, bulk: true,
    };
  }
  s.changed();
  return count;
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

function changeXml(i: Instance, prev: Instance['state']) {
  return { instanceId: i.id, currentState: { code: STATE_CODES[i.state], name: i.state }, previousState: { code: STATE_CODES[prev], name: prev } };
}

function stamp(s: Sandbox): string {
  return new Date(s.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' GMT');
}

export async function stopInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  for (const i of insts) {
    if (i.state === 'shutting-down' || i.state === 'terminated') throw new ApiError('IncorrectInstanceState', `This instance '${i.id}' is not in a state from which it can be stopped.`);
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const force = p.bool('Force');
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev === 'pending' || prev === 'running') {
      // Force skips the graceful OS shutdown: the stop completes in half the time.
      s.setState(i, 'stopping', s.now() - (force ? s.delays.stopping / 2 : 0), `User initiated (${stamp(s)})`);
      await s.stopEndpoint(i.id);
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export async function startInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  for (const i of insts) {
    if (i.state === 'stopping' || i.state === 'shutting-down' || i.state === 'terminated') {
      throw new ApiError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
    }
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev === 'stopped') {
      // As on EC2 (without an Elastic IP): a new public address and DNS name on every start; the private
      // address stays. The SSH endpoint follows the new address (the 127.0.0.1 fallback stays put).
      // An Elastic IP stays; an instance without a public address keeps its hidden loopback one.
      if (!i.eipAllocationId && !i.noPublicIp) {
        const old = i.publicIp;
        i.publicIp = s.allocAddresses().publicIp;
        if (i.sshHost === old) i.sshHost = undefined;
      }
      s.setState(i, 'pending', s.now(), '');
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export async function terminateInstances(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const insts = findInstances(r, p.list('InstanceId'));
  if (insts.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  if (p.bool('DryRun')) throw dryRunOk();
  const out = [];
  for (const i of insts) {
    const prev = i.state;
    if (prev !== 'terminated' && prev !== 'shutting-down') {
      dropAddressOf(r, i);
      s.setState(i, 'shutting-down', s.now(), `User initiated (${stamp(s)})`);
      await s.stopEndpoint(i.id);
    }
    out.push(changeXml(i, prev));
  }
  return { instancesSet: out };
}

export function getConsoleOutput(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const [i] = findInstances(r, [p.req('InstanceId')]);
  if (p.bool('DryRun')) throw dryRunOk();
  const text = s.console(i!);
  return { instanceId: i!.id, timestamp: new Date(s.now()), output: Buffer.from(text).toString('base64') };
}
