// EBS volumes and snapshots. Their timed states (creating -> available, pending -> completed) are settled lazily on access.
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { Region, Snapshot, Volume } from '../state.js';
import type { Sandbox } from '../world.js';
import { azsOf } from './catalog.js';
import { compileFilters } from './filters.js';
import { findInstances } from './instances.js';
import { paginate, tagSet, type Params } from './params.js';

function settleVolume(s: Sandbox, v: Volume): Volume {
  if (v.state === 'creating' && s.now() >= v.createTime + s.delays.volume) { v.state = v.attachment ? 'in-use' : 'available'; s.changed(); }
  return v;
}
function settleSnapshot(s: Sandbox, x: Snapshot): Snapshot {
  if (x.state === 'pending' && s.now() >= x.startTime + s.delays.snapshot) { x.state = 'completed'; s.changed(); }
  return x;
}

function volumeById(s: Sandbox, r: Region, id: string): Volume {
  if (!/^vol-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidParameterValue', `Invalid id: "${id}" (expecting "vol-...")`);
  const v = r.volumes[id];
  if (!v) throw new ApiError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  return settleVolume(s, v);
}
function snapshotById(s: Sandbox, r: Region, id: string): Snapshot {
  if (!/^snap-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidParameterValue', `Invalid id: "${id}" (expecting "snap-...")`);
  const x = r.snapshots[id];
  if (!x) throw new ApiError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return settleSnapshot(s, x);
}

const tagsFor = (p: Params, type: string) => Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === type).map((t) => t.tags));

function volumeXml(v: Volume) {
  return {
    volumeId: v.id, size: v.size, snapshotId: v.snapshotId ?? '', availabilityZone: v.az, status: v.state, createTime: new Date(v.createTime),
    attachmentSet: v.attachment ? [{ volumeId: v.id, instanceId: v.attachment.instanceId, device: v.attachment.device, status: 'attached', attachTime: new Date(v.attachment.attachTime), deleteOnTermination: v.attachment.deleteOnTermination }] : [],
    tagSet: tagSet(v.tags), volumeType: v.volumeType, iops: v.volumeType === 'gp3' ? 3000 : undefined, throughput: v.volumeType === 'gp3' ? 125 : undefined,
    encrypted: false, multiAttachEnabled: false,
  };
}

export function createVolume(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const az = p.req('AvailabilityZone');
  if (!azsOf(region).includes(az)) throw new ApiError('InvalidParameterValue', `Invalid availability zone: [${az}]`);
  const snapId = p.str('SnapshotId');
  const snap = snapId ? snapshotById(s, r, snapId) : undefined;
  const size = p.int('Size') ?? snap?.volumeSize;
  if (size === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  if (size < 1 || size > 16384) throw new ApiError('InvalidParameterValue', `Volume size ${size} is out of range`);
  if (snap && size < snap.volumeSize) throw new ApiError('InvalidParameterValue', `Volume of size ${size}GB is smaller than snapshot '${snap.id}', expect size >= ${snap.volumeSize}GB`);
  const volumeType = p.str('VolumeType') ?? 'gp2';
  if (!['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'].includes(volumeType)) throw new ApiError('InvalidParameterValue', `Value (${volumeType}) for parameter volumeType is invalid.`);
  if (p.bool('DryRun')) throw dryRunOk();
  const v: Volume = { id: newId('vol'), size, az, snapshotId: snapId, volumeType, createTime: s.now(), state: s.delays.volume > 0 ? 'creating' : 'available', tags: tagsFor(p, 'volume') };
  r.volumes[v.id] = v;
  s.changed();
  const { attachmentSet: _a, ...rest } = volumeXml(v); void _a;
  return rest;
}

export function attachVolume(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const v = volumeById(s, r, p.req('VolumeId'));
  const [i] = findInstances(r, [p.req('InstanceId')]);
  const device = p.req('Device');
  if (v.attachment) throw new ApiError('VolumeInUse', `${v.id} is already attached to an instance`);
  if (v.state !== 'available') throw new ApiError('IncorrectState', `The volume '${v.id}' is not in the 'available' state.`);
  if (i!.state !== 'running' && i!.state !== 'stopped') throw new ApiError('IncorrectState', `Instance '${i!.id}' is not 'running'.`);
  if (i!.az !== v.az) throw new ApiError('InvalidVolume.ZoneMismatch', `The volume '${v.id}' is not in the same availability zone as instance '${i!.id}'`);
  if (i!.blockDevices.some((b) => b.deviceName === device)) throw new ApiError('InvalidParameterValue', `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`);
  if (p.bool('DryRun')) throw dryRunOk();
  const now = s.now();
  v.attachment = { instanceId: i!.id, device, attachTime: now, deleteOnTermination: false };
  v.state = 'in-use';
  i!.blockDevices.push({ deviceName: device, volumeId: v.id, deleteOnTermination: false, attachTime: now });
  s.changed();
  return { volumeId: v.id, instanceId: i!.id, device, status: 'attaching', attachTime: new Date(now), deleteOnTermination: false };
}

export function detachVolume(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const v = volumeById(s, r, p.req('VolumeId'));
  const a = v.attachment;
  if (!a) throw new ApiError('IncorrectState', `Volume '${v.id}' is in the '${v.state}' state.`);
  const wantInst = p.str('InstanceId');
  if (wantInst && wantInst !== a.instanceId) throw new ApiError('InvalidAttachment.NotFound', `The volume '${v.id}' is not attached to instance '${wantInst}'`);
  const inst = r.instances[a.instanceId];
  if (inst && a.device === inst.rootDeviceName && inst.state !== 'stopped' && inst.state !== 'terminated') {
    throw new ApiError('OperationNotPermitted', `The volume '${v.id}' is the root device of instance '${inst.id}' and cannot be detached while the instance is running.`);
  }
  if (p.bool('DryRun')) throw dryRunOk();
  if (inst) inst.blockDevices = inst.blockDevices.filter((b) => b.volumeId !== v.id);
  v.attachment = undefined;
  v.state = 'available';
  s.changed();
  return { volumeId: v.id, instanceId: a.instanceId, device: a.device, status: 'detaching', attachTime: new Date(a.attachTime), deleteOnTermination: a.deleteOnTermination };
}

const VOLUME_FILTERS = new Set(['attachment.instance-id', 'attachment.device', 'attachment.status', 'attachment.delete-on-termination', 'status', 'volume-id',
  'availability-zone', 'size', 'snapshot-id', 'volume-type', 'create-time', 'encrypted']);

export function describeVolumes(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('VolumeId');
  if (ids.length && p.str('MaxResults') !== undefined) throw new ApiError('InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
  const base = ids.length ? ids.map((id) => volumeById(s, r, id)) : Object.values(r.volumes).map((v) => settleVolume(s, v));
  const match = compileFilters<Volume>(p.filters(), VOLUME_FILTERS, (v, f) => {
    switch (f) {
      case 'attachment.instance-id': return [v.attachment?.instanceId];
      case 'attachment.device': return [v.attachment?.device];
      case 'attachment.status': return [v.attachment ? 'attached' : undefined];
      case 'attachment.delete-on-termination': return [v.attachment ? String(v.attachment.deleteOnTermination) : undefined];
      case 'status': return [v.state];
      case 'volume-id': return [v.id];
      case 'availability-zone': return [v.az];
      case 'size': return [String(v.size)];
      case 'snapshot-id': return [v.snapshotId];
      case 'volume-type': return [v.volumeType];
      case 'create-time': return [new Date(v.createTime).toISOString()];
      case 'encrypted': return ['false'];
      default: return f === 'tag-key' ? Object.keys(v.tags) : f === 'tag-value' ? Object.values(v.tags) : [v.tags[f.slice(4)]];
    }
  });
  const { page, nextToken } = paginate(base.filter(match), p, { min: 5, max: 500 });
  return { volumeSet: page.map(volumeXml), nextToken };
}

export function deleteVolume(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const v = volumeById(s, r, p.req('VolumeId'));
  if (v.attachment) throw new ApiError('VolumeInUse', `Volume ${v.id} is currently attached to ${v.attachment.instanceId}`);
  if (p.bool('DryRun')) throw dryRunOk();
  delete r.volumes[v.id];
  s.changed();
  return { return: true };
}

function snapshotXml(x: Snapshot) {
  return {
    snapshotId: x.id, volumeId: x.volumeId, status: x.state, startTime: new Date(x.startTime), progress: x.state === 'completed' ? '100%' : '0%',
    ownerId: SANDBOX_ACCOUNT_ID, volumeSize: x.volumeSize, description: x.description, encrypted: false, storageTier: 'standard', tagSet: tagSet(x.tags),
  };
}

export function createSnapshot(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const v = volumeById(s, r, p.req('VolumeId'));
  if (v.state === 'creating') throw new ApiError('IncorrectState', `The volume '${v.id}' is in state 'creating'.`);
  if (p.bool('DryRun')) throw dryRunOk();
  const x: Snapshot = { id: newId('snap'), volumeId: v.id, volumeSize: v.size, description: p.str('Description') ?? '', startTime: s.now(), state: s.delays.snapshot > 0 ? 'pending' : 'completed', tags: tagsFor(p, 'snapshot') };
  r.snapshots[x.id] = x;
  s.changed();
  return snapshotXml(x);
}

export function describeSnapshots(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('SnapshotId');
  const owners = p.list('Owner');
  const base = ids.length ? ids.map((id) => snapshotById(s, r, id)) : Object.values(r.snapshots).map((x) => settleSnapshot(s, x));
  // Only the sandbox account's own snapshots exist to be listed.
  const ownerOk = owners.length === 0 || owners.some((o) => o === 'self' || o === SANDBOX_ACCOUNT_ID);
  const match = compileFilters<Snapshot>(p.filters(), new Set(['snapshot-id', 'volume-id', 'status', 'owner-id', 'description', 'volume-size', 'progress', 'start-time']), (x, f) => {
    switch (f) {
      case 'snapshot-id': return [x.id];
      case 'volume-id': return [x.volumeId];
      case 'status': return [x.state];
      case 'owner-id': return [SANDBOX_ACCOUNT_ID];
      case 'description': return [x.description];
      case 'volume-size': return [String(x.volumeSize)];
      case 'progress': return [x.state === 'completed' ? '100%' : '0%'];
      case 'start-time': return [new Date(x.startTime).toISOString()];
      default: return f === 'tag-key' ? Object.keys(x.tags) : f === 'tag-value' ? Object.values(x.tags) : [x.tags[f.slice(4)]];
    }
  });
  const { page, nextToken } = paginate(ownerOk ? base.filter(match) : [], p, { min: 5, max: 1000 });
  return { snapshotSet: page.map(snapshotXml), nextToken };
}

export function deleteSnapshot(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const x = snapshotById(s, r, p.req('SnapshotId'));
  if (p.bool('DryRun')) throw dryRunOk();
  delete r.snapshots[x.id];
  s.changed();
  return { return: true };
}
