// Where a new instance goes: its subnet (SubnetId, NetworkInterface.1 or the zone's default), whether it
// gets a public IPv4, its IPv6 addresses, its security groups (of the subnet's VPC) and IAM profile.
import { ApiError } from '../errors.js';
import { SANDBOX_ACCOUNT_ID, stableId } from '../ids.js';
import type { Instance, Region, SecurityGroup, Subnet } from '../state.js';
import type { Sandbox } from '../world.js';
import { azsOf } from './catalog.js';
import type { Params } from './params.js';
import { groupByIdOrName } from './securitygroups.js';
import { parseV4, v4Within } from './cidr.js';
import { allocIpv6, allocPrivateIp, defaultSubnet, findSubnet } from './vpcs.js';

/** The sandbox's IAM instance profiles (plus those added by POST /_sandbox/instance-profiles). */
export const FIXED_INSTANCE_PROFILES = ['ec2term-sandbox', 'AmazonSSMRoleForInstancesQuickSetup'];

export interface Placement {
  subnet: Subnet;
  az: string;
  publicIp: boolean;
  ipv6Count: number;
  privateIp?: string;
  groups: SecurityGroup[];
  iamProfile?: { arn: string; id: string };
}

function iamProfileOf(s: Sandbox, p: Params): Placement['iamProfile'] {
  const ip = p.sub('IamInstanceProfile');
  const name = ip.str('Name'), arn = ip.str('Arn');
  if (name === undefined && arn === undefined) return undefined;
  if (name !== undefined && arn !== undefined) throw new ApiError('InvalidParameterCombination', 'The parameter iamInstanceProfile.name cannot be used with the parameter iamInstanceProfile.arn');
  const known = [...FIXED_INSTANCE_PROFILES, ...(s.world.instanceProfiles ?? [])];
  const n = name ?? /^arn:aws:iam::\d{12}:instance-profile\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(arn!)?.[1];
  if (!n || !known.includes(n) || (arn && !arn.startsWith(`arn:aws:iam::${SANDBOX_ACCOUNT_ID}:`))) {
    throw new ApiError('InvalidParameterValue', name !== undefined
      ? `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`
      : `Value (${arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`);
  }
  return { arn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:instance-profile/${n}`, id: stableId('AIPA', n).replace(/^AIPA-/, 'AIPA').toUpperCase().slice(0, 21) };
}

export function placementOf(s: Sandbox, r: Region, region: string, p: Params): Placement {
  const nis = p.structs('NetworkInterface');
  const ni = nis.find((x) => (x.int('DeviceIndex') ?? 0) === 0) ?? nis[0];
  if (nis.length > 1) throw new ApiError('InvalidParameterValue', 'The sandbox attaches one network interface per instance (DeviceIndex 0).');
  const topGroups = [...p.list('SecurityGroupId'), ...p.list('SecurityGroup')];
  if (ni && p.str('SubnetId')) throw new ApiError('InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID may not be specified on the same request');
  if (ni && topGroups.length) throw new ApiError('InvalidParameterCombination', 'Network interfaces and an instance-level security groups may not be specified on the same request');
  if (ni?.str('NetworkInterfaceId')) throw new ApiError('InvalidParameterValue', 'The sandbox does not attach existing network interfaces (NetworkInterfaceId).');
  const subnetId = ni?.str('SubnetId') ?? p.str('SubnetId');
  const azParam = p.sub('Placement').str('AvailabilityZone');
  if (azParam !== undefined && !azsOf(region).includes(azParam)) throw new ApiError('InvalidParameterValue', `Invalid availability zone: [${azParam}]`);
  const subnet = subnetId ? findSubnet(s, region, subnetId) : defaultSubnet(s, region, azParam ?? azsOf(region)[0]!);
  if (azParam && subnet.az !== azParam) throw new ApiError('InvalidParameterValue', `The subnet '${subnet.id}' is in availability zone ${subnet.az}, not ${azParam}.`);

  const assoc = ni?.str('AssociatePublicIpAddress');
  const publicIp = !subnet.ipv6Native && (assoc !== undefined ? assoc === 'true' : subnet.mapPublicIpOnLaunch);
  if (subnet.ipv6Native && assoc === 'true') throw new ApiError('InvalidParameterCombination', 'The associatePublicIPAddress parameter cannot be specified for an IPv6-only subnet.');
  const explicit6 = ni?.int('Ipv6AddressCount') ?? p.int('Ipv6AddressCount') ?? (ni ?? p).structs('Ipv6Address' + (ni ? 'es' : '')).length;
  const ipv6Count = explicit6 || (subnet.assignIpv6AddressOnCreation ? 1 : 0);
  if (ipv6Count < 0 || ipv6Count > 10) throw new ApiError('InvalidParameterValue', `Value (${ipv6Count}) for parameter ipv6AddressCount is invalid.`);
  if (ipv6Count && !subnet.ipv6Cidr) throw new ApiError('InvalidParameterValue', `The subnet '${subnet.id}' has no IPv6 CIDR block, so no IPv6 address can be assigned.`);
  if (subnet.ipv6Native && !ipv6Count) throw new ApiError('InvalidParameterCombination', 'An instance in an IPv6-only subnet needs at least one IPv6 address.');

  const groupIds = ni ? ni.list('SecurityGroupId') : p.list('SecurityGroupId');
  const groups = [
    ...groupIds.map((id) => groupByIdOrName(r, region, id)),
    ...(ni ? [] : p.list('SecurityGroup')).map((n) => groupByIdOrName(r, region, undefined, n, subnet.vpcId)),
  ];
  if (groups.length === 0) groups.push(Object.values(r.securityGroups).find((g) => g.name === 'default' && g.vpcId === subnet.vpcId)!);
  for (const g of groups) {
    if (g.vpcId !== subnet.vpcId) throw new ApiError('InvalidParameter', `Security group ${g.id} and subnet ${subnet.id} belong to different networks.`);
  }
  const privateIp = ni?.str('PrivateIpAddress') ?? p.str('PrivateIpAddress');
  if (privateIp !== undefined) {
    const b = parseV4(`${privateIp}/32`);
    if (!b || !subnet.cidrBlock || !v4Within(b, parseV4(subnet.cidrBlock)!)) throw new ApiError('InvalidParameterValue', `Address ${privateIp} does not fall within the subnet's address range`);
    if (Object.values(r.instances).some((i) => i.subnetId === subnet.id && i.privateIp === privateIp && i.state !== 'terminated')) throw new ApiError('InvalidIPAddress.InUse', `Address ${privateIp} is in use.`);
  }
  return { subnet, az: subnet.az, publicIp, ipv6Count, privateIp, groups, iamProfile: iamProfileOf(s, p) };
}

/** The addresses one instance of this placement gets (each instance its own). */
export function addressesFor(pl: Placement): Pick<Instance, 'privateIp' | 'ipv6Addresses' | 'noPublicIp' | 'autoPublicIp' | 'subnetId' | 'vpcId'> {
  const privateIp = pl.privateIp ?? (pl.subnet.cidrBlock ? allocPrivateIp(pl.subnet) : '');
  pl.privateIp = undefined; // a given address goes to the first instance only (MaxCount 1 with it, as on EC2)
  const ipv6Addresses = Array.from({ length: pl.ipv6Count }, () => allocIpv6(pl.subnet));
  return { privateIp, ipv6Addresses: ipv6Addresses.length ? ipv6Addresses : undefined, noPublicIp: !pl.publicIp || undefined, autoPublicIp: pl.publicIp, subnetId: pl.subnet.id, vpcId: pl.subnet.vpcId };
}
