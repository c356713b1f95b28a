// Elastic IPs: AllocateAddress, AssociateAddress, DisassociateAddress, ReleaseAddress, DescribeAddresses.
// The address is a loopback one (127.N.x.y) like every public address in the sandbox, so SSH follows it.
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { ElasticIp, Instance, Region } from '../state.js';
import type { Sandbox } from '../world.js';
import { compileFilters, tagValues } from './filters.js';
import { findInstances } from './instances.js';
import { tagSet, type Params } from './params.js';

const addressesOf = (r: Region): Record<string, ElasticIp> => (r.addresses ??= {});

function byAllocation(r: Region, id: string): ElasticIp {
  const a = addressesOf(r)[id];
  if (!a) throw new ApiError(/^eipalloc-[0-9a-f]{8,17}$/.test(id) ? 'InvalidAllocationID.NotFound' : 'InvalidAllocationID.Malformed', `The allocation ID '${id}' does not exist`);
  return a;
}

export function allocateAddress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const domain = p.str('Domain') ?? 'vpc';
  if (domain !== 'vpc') throw new ApiError('InvalidParameterValue', `Value (${domain}) for parameter domain is invalid. EC2-Classic is retired: only vpc.`);
  if (p.str('Address')) throw new ApiError('InvalidParameterValue', 'The sandbox has no BYOIP pools (Address).');
  if (Object.keys(addressesOf(r)).length >= 5) throw new ApiError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
  if (p.bool('DryRun')) throw dryRunOk();
  const tags = Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === 'elastic-ip').map((t) => t.tags));
  const a: ElasticIp = { allocationId: newId('eipalloc'), publicIp: s.allocAddresses().publicIp, tags };
  addressesOf(r)[a.allocationId] = a;
  s.changed();
  return { publicIp: a.publicIp, domain: 'vpc', allocationId: a.allocationId, publicIpv4Pool: 'amazon', networkBorderGroup: region };
}

/** Moves an instance's SSH (and public address) to `publicIp`, or back to an automatic one. */
async function readdress(s: Sandbox, i: Instance, publicIp: string | undefined): Promise<void> {
  const old = i.publicIp;
  if (publicIp) { i.publicIp = publicIp; i.noPublicIp = undefined; }
  else if (i.autoPublicIp) i.publicIp = s.allocAddresses().publicIp;
  else i.noPublicIp = true;
  if (i.sshHost === old) i.sshHost = undefined;
  await s.rebindEndpoint(i);
}

export async function associateAddress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const a = p.str('AllocationId') ? byAllocation(r, p.str('AllocationId')!)
    : Object.values(addressesOf(r)).find((x) => x.publicIp === p.str('PublicIp'));
  if (!a) throw new ApiError(p.str('PublicIp') ? 'InvalidAddress.NotFound' : 'MissingParameter', p.str('PublicIp') ? `Address '${p.str('PublicIp')}' not found.` : 'The request must contain the parameter allocationId');
  const iid = p.str('InstanceId');
  if (!iid) throw new ApiError('MissingParameter', 'The request must contain the parameter instanceId or networkInterfaceId');
  const [i] = findInstances(r, [iid]);
  if (i!.state === 'terminated' || i!.state === 'shutting-down') throw new ApiError('IncorrectInstanceState', `The instance '${i!.id}' is not in a valid state for this operation.`);
  if (!i!.privateIp) throw new ApiError('InvalidInstanceID', `The instance '${i!.id}' has no private IPv4 address to associate with.`);
  if (a.instanceId && a.instanceId !== i!.id && p.str('AllowReassociation') === 'false') throw new ApiError('Resource.AlreadyAssociated', `resource ${a.allocationId} is already associated with associate-id ${a.associationId}`);
  if (p.bool('DryRun')) throw dryRunOk();
  if (a.instanceId && a.instanceId !== i!.id) await detach(s, r, a);
  const prev = i!.eipAllocationId ? addressesOf(r)[i!.eipAllocationId] : undefined;
  if (prev && prev !== a) { prev.instanceId = undefined; prev.associationId = undefined; }
  a.instanceId = i!.id;
  a.associationId = newId('eipassoc');
  i!.eipAllocationId = a.allocationId;
  await readdress(s, i!, a.publicIp);
  s.changed();
  return { return: true, associationId: a.associationId };
}

async function detach(s: Sandbox, r: Region, a: ElasticIp): Promise<void> {
  const i = a.instanceId ? r.instances[a.instanceId] : undefined;
  a.instanceId = undefined;
  a.associationId = undefined;
  if (i && i.eipAllocationId === a.allocationId) {
    i.eipAllocationId = undefined;
    if (i.state !== 'terminated' && i.state !== 'shutting-down') await readdress(s, i, undefined);
  }
}

/** Termination disassociates the instance's Elastic IP (it stays allocated). */
export function dropAddressOf(r: Region, i: Instance): void {
  const a = i.eipAllocationId ? r.addresses?.[i.eipAllocationId] : undefined;
  if (a) { a.instanceId = undefined; a.associationId = undefined; }
  i.eipAllocationId = undefined;
}

export async function disassociateAddress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const id = p.str('AssociationId');
  const a = id ? Object.values(addressesOf(r)).find((x) => x.associationId === id) : Object.values(addressesOf(r)).find((x) => x.publicIp === p.str('PublicIp'));
  if (!a) throw new ApiError(id ? 'InvalidAssociationID.NotFound' : 'MissingParameter', id ? `The association ID '${id}' does not exist` : 'The request must contain the parameter associationId');
  if (p.bool('DryRun')) throw dryRunOk();
  await detach(s, r, a);
  s.changed();
  return { return: true };
}

export function releaseAddress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const a = byAllocation(r, p.req('AllocationId'));
  if (a.instanceId) throw new ApiError('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
  if (p.bool('DryRun')) throw dryRunOk();
  delete addressesOf(r)[a.allocationId];
  s.changed();
  return { return: true };
}

const FILTERS = new Set(['allocation-id', 'association-id', 'instance-id', 'public-ip', 'domain', 'network-interface-owner-id', 'private-ip-address', 'network-border-group']);

export function describeAddresses(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('AllocationId'), ips = p.list('PublicIp');
  for (const id of ids) byAllocation(r, id);
  for (const ip of ips) if (!Object.values(addressesOf(r)).some((a) => a.publicIp === ip)) throw new ApiError('InvalidAddress.NotFound', `Address '${ip}' not found.`);
  const inst = (a: ElasticIp) => (a.instanceId ? r.instances[a.instanceId] : undefined);
  const match = compileFilters<ElasticIp>(p.filters(), FILTERS, (a, f) => tagValues(f, a.tags) ?? (
    f === 'allocation-id' ? [a.allocationId] : f === 'association-id' ? [a.associationId] : f === 'instance-id' ? [a.instanceId]
      : f === 'public-ip' ? [a.publicIp] : f === 'domain' ? ['vpc'] : f === 'private-ip-address' ? [inst(a)?.privateIp] : f === 'network-border-group' ? [region] : [SANDBOX_ACCOUNT_ID]));
  return {
    addressesSet: Object.values(addressesOf(r)).filter((a) => (!ids.length || ids.includes(a.allocationId)) && (!ips.length || ips.includes(a.publicIp)) && match(a)).map((a) => {
      const i = inst(a);
      return {
        publicIp: a.publicIp, allocationId: a.allocationId, domain: 'vpc', publicIpv4Pool: 'amazon', networkBorderGroup: region,
        instanceId: a.instanceId, associationId: a.associationId,
        networkInterfaceId: i ? (i.networkInterfaceId ?? `eni-${i.id.slice(2)}`) : undefined, networkInterfaceOwnerId: i ? SANDBOX_ACCOUNT_ID : undefined,
        privateIpAddress: i?.privateIp || undefined, tagSet: tagSet(a.tags),
      };
    }),
  };
}
