// CreateTags / DeleteTags on any taggable id the sandbox knows.
import { ApiError, dryRunOk } from '../errors.js';
import type { Region, Tags } from '../state.js';
import type { Sandbox } from '../world.js';
import { findImage } from './catalog.js';
import { MAX_TAGS_PER_RESOURCE } from '../limits.js';
import { tagsOf, type Params } from './params.js';

const NOT_FOUND: Record<string, [string, (id: string) => string]> = {
  i: ['InvalidInstanceID.NotFound', (id) => `The instance ID '${id}' does not exist`],
  vol: ['InvalidVolume.NotFound', (id) => `The volume '${id}' does not exist.`],
  snap: ['InvalidSnapshot.NotFound', (id) => `The snapshot '${id}' does not exist.`],
  sg: ['InvalidGroup.NotFound', (id) => `The security group '${id}' does not exist`],
  key: ['InvalidKeyPair.NotFound', (id) => `The key pair '${id}' does not exist`],
  ami: ['InvalidAMIID.NotFound', (id) => `The image id '[${id}]' does not exist`],
  vpc: ['InvalidVpcID.NotFound', (id) => `The vpc ID '${id}' does not exist`],
  subnet: ['InvalidSubnetID.NotFound', (id) => `The subnet ID '${id}' does not exist`],
  eipalloc: ['InvalidAllocationID.NotFound', (id) => `The allocation ID '${id}' does not exist`],
  eice: ['InvalidInstanceConnectEndpointId.NotFound', (id) => `The instance connect endpoint ID '${id}' does not exist`],
};

function tagsOfResource(r: Region, region: string, id: string): Tags {
  const m = /^([a-z]+)-[0-9a-f]{8,17}$/.exec(id);
  if (!m || !NOT_FOUND[m[1]!]) throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
  let t: Tags | undefined;
  switch (m[1]) {
    case 'i': t = r.instances[id]?.tags; break;
    case 'vol': t = r.volumes[id]?.tags; break;
    case 'snap': t = r.snapshots[id]?.tags; break;
    case 'sg': t = r.securityGroups[id]?.tags; break;
    case 'key': t = Object.values(r.keyPairs).find((k) => k.id === id)?.tags; break;
    case 'ami': if (findImage(region, id)) t = (r.otherTags[id] ??= {}); break;
    case 'vpc': t = r.vpcs?.[id]?.tags; break;
    case 'subnet': t = r.subnets?.[id]?.tags; break;
    case 'eipalloc': t = r.addresses?.[id]?.tags; break;
    case 'eice': t = r.instanceConnectEndpoints?.[id]?.tags; break;
  }
  if (!t) { const [code, msg] = NOT_FOUND[m[1]!]!; throw new ApiError(code, msg(id)); }
  return t;
}

export function createTags(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('ResourceId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = tagsOf(p, 'Tag');
  const targets = ids.map((id) => tagsOfResource(r, region, id));
  for (const t of targets) {
    if (Object.keys({ ...t, ...tags }).length > MAX_TAGS_PER_RESOURCE) throw new ApiError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  }
  if (p.bool('DryRun')) throw dryRunOk();
  for (const t of targets) Object.assign(t, tags);
  s.changed();
  return { return: true };
}

export function deleteTags(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('ResourceId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const targets = ids.map((id) => tagsOfResource(r, region, id));
  const specs = p.structs('Tag').map((x) => ({ key: x.str('Key'), value: x.str('Value') }));
  if (p.bool('DryRun')) throw dryRunOk();
  for (const t of targets) {
    // No Tag.N at all deletes every tag; a given Value must match to delete.
    if (specs.length === 0) { for (const k of Object.keys(t)) delete t[k]; continue; }
    for (const sp of specs) {
      if (sp.key === undefined) continue;
      if (sp.value === undefined || t[sp.key] === sp.value) delete t[sp.key];
    }
  }
  s.changed();
  return { return: true };
}
