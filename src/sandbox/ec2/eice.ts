// EC2 Instance Connect Endpoints (Create/Describe/DeleteInstanceConnectEndpoint). Their tunnels are in
// ../connect/tunnel.ts. States move lazily with the sandbox clock, like instances.
import { randomBytes } from 'node:crypto';
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { InstanceConnectEndpoint, Region } from '../state.js';
import type { Sandbox } from '../world.js';
import { compileFilters, tagValues } from './filters.js';
import { paginate, tagSet, type Params } from './params.js';
import { groupByIdOrName } from './securitygroups.js';
import { findSubnet } from './vpcs.js';

const endpointsOf = (r: Region): Record<string, InstanceConnectEndpoint> => (r.instanceConnectEndpoints ??= {});

/** Advances create-in-progress -> create-complete and drops endpoints whose deletion has finished. */
export function settleEndpoints(s: Sandbox, r: Region): void {
  const now = s.now();
  for (const e of Object.values(endpointsOf(r))) {
    if (e.state === 'create-in-progress' && now >= e.stateSince + s.delays.eiceCreate) { e.state = 'create-complete'; e.stateSince = e.stateSince + s.delays.eiceCreate; s.changed(); }
    if (e.state === 'delete-in-progress' && now >= e.stateSince + s.delays.eiceDelete) { delete endpointsOf(r)[e.id]; s.changed(); }
  }
}

export function findEndpoint(s: Sandbox, r: Region, id: string): InstanceConnectEndpoint {
  settleEndpoints(s, r);
  const e = endpointsOf(r)[id];
  if (!e) throw new ApiError(/^eice-[0-9a-f]{17}$/.test(id) ? 'InvalidInstanceConnectEndpointId.NotFound' : 'InvalidInstanceConnectEndpointId.Malformed',
    /^eice-[0-9a-f]{17}$/.test(id) ? `The instance connect endpoint ID '${id}' does not exist` : `Invalid id: "${id}"`);
  return e;
}

const endpointXml = (region: string, e: InstanceConnectEndpoint) => ({
  ownerId: SANDBOX_ACCOUNT_ID, instanceConnectEndpointId: e.id, instanceConnectEndpointArn: `arn:aws:ec2:${region}:${SANDBOX_ACCOUNT_ID}:instance-connect-endpoint/${e.id}`,
  state: e.state, stateMessage: '', dnsName: e.dnsName, fipsDnsName: e.fipsDnsName, networkInterfaceIdSet: e.networkInterfaceIds,
  vpcId: e.vpcId, availabilityZone: e.az, createdAt: new Date(e.createdAt), subnetId: e.subnetId, preserveClientIp: e.preserveClientIp,
  securityGroupIdSet: e.securityGroupIds, tagSet: tagSet(e.tags), ipAddressType: 'ipv4',
});

export function createInstanceConnectEndpoint(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  settleEndpoints(s, r);
  const token = p.str('ClientToken');
  const same = token ? Object.values(endpointsOf(r)).find((e) => e.clientToken === token) : undefined;
  if (same) return { instanceConnectEndpoint: endpointXml(region, same), clientToken: token };
  const subnet = findSubnet(s, region, p.req('SubnetId'));
  const groups = p.list('SecurityGroupId').map((id) => groupByIdOrName(r, region, id));
  for (const g of groups) if (g.vpcId !== subnet.vpcId) throw new ApiError('InvalidParameter', `Security group ${g.id} and subnet ${subnet.id} belong to different networks.`);
  if (!groups.length) groups.push(Object.values(r.securityGroups).find((g) => g.name === 'default' && g.vpcId === subnet.vpcId)!);
  if (Object.values(endpointsOf(r)).some((e) => e.subnetId === subnet.id && e.state !== 'delete-in-progress')) {
    throw new ApiError('InvalidParameter', `An EC2 Instance Connect Endpoint already exists in subnet ${subnet.id}: a subnet can have one.`);
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const id = newId('eice');
  const zone = randomBytes(4).toString('hex');
  const now = s.now();
  const e: InstanceConnectEndpoint = {
    id, vpcId: subnet.vpcId, subnetId: subnet.id, az: subnet.az, securityGroupIds: groups.map((g) => g.id), preserveClientIp: p.bool('PreserveClientIp'),
    dnsName: `${id}.${zone}.ec2-instance-connect-endpoint.${region}.amazonaws.com`, fipsDnsName: `${id}.${zone}.fips.ec2-instance-connect-endpoint.${region}.amazonaws.com`,
    networkInterfaceIds: [newId('eni')], createdAt: now, clientToken: token, state: 'create-in-progress', stateSince: now,
    tags: Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === 'instance-connect-endpoint').map((t) => t.tags)),
  };
  endpointsOf(r)[id] = e;
  s.changed();
  return { instanceConnectEndpoint: endpointXml(region, e), clientToken: token };
}

const FILTERS = new Set(['instance-connect-endpoint-id', 'state', 'vpc-id', 'subnet-id', 'availability-zone', 'owner-id']);

export function describeInstanceConnectEndpoints(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  settleEndpoints(s, r);
  const ids = p.list('InstanceConnectEndpointId');
  for (const id of ids) findEndpoint(s, r, id);
  const match = compileFilters<InstanceConnectEndpoint>(p.filters(), FILTERS, (e, f) => tagValues(f, e.tags) ?? (
    f === 'instance-connect-endpoint-id' ? [e.id] : f === 'state' ? [e.state] : f === 'vpc-id' ? [e.vpcId] : f === 'subnet-id' ? [e.subnetId]
      : f === 'availability-zone' ? [e.az] : [SANDBOX_ACCOUNT_ID]));
  const list = Object.values(endpointsOf(r)).filter((e) => (!ids.length || ids.includes(e.id)) && match(e));
  const { page, nextToken } = paginate(list, p, { min: 1, max: 50 });
  return { instanceConnectEndpointSet: page.map((e) => endpointXml(region, e)), nextToken };
}

export function deleteInstanceConnectEndpoint(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const e = findEndpoint(s, r, p.req('InstanceConnectEndpointId'));
  if (p.bool('DryRun')) throw dryRunOk();
  if (e.state !== 'delete-in-progress') { e.state = 'delete-in-progress'; e.stateSince = s.now(); s.changed(); }
  return { instanceConnectEndpoint: endpointXml(region, e) };
}
