// RunInstances (validation, block devices, idempotency tokens) and the admin route's bulk instances.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { BlockDevice, Instance, Region, Tags, Volume } from '../state.js';
import { generateHostKey } from '../sshbridge.js';
import type { Sandbox } from '../world.js';
import { azsOf, findImage, findType, imagesOf } from './catalog.js';
import type { Params } from './params.js';
import { addressesFor, placementOf } from './placement.js';
import { instancesSetXml } from './instance-xml.js';
import { MAX_BULK_PER_CALL, MAX_INSTANCES_PER_REGION, MAX_USER_DATA_BYTES } from '../limits.js';

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
