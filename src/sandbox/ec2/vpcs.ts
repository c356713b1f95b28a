// VPCs and subnets: the default VPC (172.31.0.0/16, a /20 per zone) made on first use, custom ones with
// IPv4 and Amazon-provided IPv6 blocks, and the addresses handed out in a subnet.
import { createHash, randomBytes } from 'node:crypto';
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { Region, Subnet, Vpc } from '../state.js';
import { allTraffic, vpcIdFor, type Sandbox } from '../world.js';
import { azsOf } from './catalog.js';
import { parseV4, parseV6, v4Overlap, v4Size, v4Str, v4ToStr, v4Within, v6Host, v6Str, v6Within, type V6Block } from './cidr.js';
import { compileFilters, tagValues } from './filters.js';
import { tagSet, type Params } from './params.js';

const subnetIds = new Map<string, string>();
/** The default subnet of a zone (stable, so worlds saved before VPCs keep their ids). */
export const subnetOf = (az: string): string => {
  let v = subnetIds.get(az);
  if (!v) subnetIds.set(az, (v = `subnet-${createHash('md5').update(az).digest('hex').slice(0, 17)}`));
  return v;
};

const zoneId = (region: string, az: string) => `${region.replace(/-(\w)\w*-/, (_m, c: string) => c + '')}-az${azsOf(region).indexOf(az) + 1}`;

export interface Network { vpcs: Record<string, Vpc>; subnets: Record<string, Subnet> }

/** The region's VPCs and subnets, with the default VPC made the first time anyone looks. */
export function network(s: Sandbox, region: string): Network {
  const r = s.region(region);
  if (!r.vpcs || !r.subnets) {
    r.vpcs = {};
    r.subnets = {};
    const id = vpcIdFor(region);
    r.vpcs[id] = { id, cidrBlock: '172.31.0.0/16', isDefault: true, tags: {}, ipv4AssociationId: newId('vpc-cidr-assoc'), ipv6Blocks: [], dhcpOptionsId: newId('dopt') };
    azsOf(region).forEach((az, k) => {
      const sid = subnetOf(az);
      r.subnets![sid] = {
        id: sid, vpcId: id, az, tags: {}, cidrBlock: `172.31.${16 * k}.0/20`, ipv6Native: false, defaultForAz: true,
        mapPublicIpOnLaunch: true, assignIpv6AddressOnCreation: false, nextHost: 4, nextIpv6Host: 4,
      };
    });
    s.changed();
  }
  return r as Network;
}

export function findVpc(s: Sandbox, region: string, id: string): Vpc {
  const v = network(s, region).vpcs[id];
  if (!v) throw new ApiError(/^vpc-[0-9a-f]{8,17}$/.test(id) ? 'InvalidVpcID.NotFound' : 'InvalidVpcID.Malformed', /^vpc-[0-9a-f]{8,17}$/.test(id) ? `The vpc ID '${id}' does not exist` : `Invalid id: "${id}"`);
  return v;
}

export function findSubnet(s: Sandbox, region: string, id: string): Subnet {
  const v = network(s, region).subnets[id];
  if (!v) throw new ApiError(/^subnet-[0-9a-f]{8,17}$/.test(id) ? 'InvalidSubnetID.NotFound' : 'InvalidSubnetID.Malformed', /^subnet-[0-9a-f]{8,17}$/.test(id) ? `The subnet ID '${id}' does not exist` : `Invalid id: "${id}"`);
  return v;
}

export function defaultSubnet(s: Sandbox, region: string, az: string): Subnet {
  const n = network(s, region);
  const sub = Object.values(n.subnets).find((x) => x.az === az && x.defaultForAz);
  if (!sub) throw new ApiError('MissingInput', 'No default subnet for availability zone: ' + az);
  return sub;
}

/** The next free IPv4 address in a subnet (AWS reserves the first four and the last). */
export function allocPrivateIp(sub: Subnet): string {
  const b = parseV4(sub.cidrBlock!)!;
  if (sub.nextHost >= v4Size(b) - 1) throw new ApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${sub.id}' to satisfy the requested number of instances.`);
  return v4ToStr(b.base + sub.nextHost++);
}

/** A random-looking interface id in the subnet's /64 (EC2's are random too). */
export function allocIpv6(sub: Subnet): string {
  const b = parseV6(sub.ipv6Cidr!.cidr)!;
  sub.nextIpv6Host++;
  return v6Host(b, BigInt('0x' + randomBytes(8).toString('hex')) | 1n);
}

const vpcXml = (v: Vpc, state: string) => ({
  vpcId: v.id, ownerId: SANDBOX_ACCOUNT_ID, state, cidrBlock: v.cidrBlock, dhcpOptionsId: v.dhcpOptionsId, instanceTenancy: 'default', isDefault: v.isDefault,
  cidrBlockAssociationSet: [{ associationId: v.ipv4AssociationId, cidrBlock: v.cidrBlock, cidrBlockState: { state: 'associated' } }],
  ipv6CidrBlockAssociationSet: v.ipv6Blocks.length ? v.ipv6Blocks.map((b) => ({ associationId: b.associationId, ipv6CidrBlock: b.cidr, ipv6CidrBlockState: { state: 'associated' }, networkBorderGroup: '', ipv6Pool: 'Amazon' })) : undefined,
  tagSet: tagSet(v.tags),
});

function subnetXml(s: Sandbox, region: string, x: Subnet) {
  const r = s.region(region);
  const used = Object.values(r.instances).filter((i) => i.subnetId === x.id && i.state !== 'terminated').length;
  return {
    subnetId: x.id, subnetArn: `arn:aws:ec2:${region}:${SANDBOX_ACCOUNT_ID}:subnet/${x.id}`, state: 'available', vpcId: x.vpcId, ownerId: SANDBOX_ACCOUNT_ID,
    cidrBlock: x.cidrBlock, availableIpAddressCount: x.cidrBlock ? v4Size(parseV4(x.cidrBlock)!) - 5 - used : 0,
    availabilityZone: x.az, availabilityZoneId: zoneId(region, x.az), defaultForAz: x.defaultForAz, mapPublicIpOnLaunch: x.mapPublicIpOnLaunch,
    assignIpv6AddressOnCreation: x.assignIpv6AddressOnCreation, ipv6Native: x.ipv6Native, mapCustomerOwnedIpOnLaunch: false, enableDns64: false,
    ipv6CidrBlockAssociationSet: x.ipv6Cidr ? [{ associationId: x.ipv6Cidr.associationId, ipv6CidrBlock: x.ipv6Cidr.cidr, ipv6CidrBlockState: { state: 'associated' } }] : undefined,
    privateDnsNameOptionsOnLaunch: { hostnameType: x.ipv6Native ? 'resource-name' : 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
    tagSet: tagSet(x.tags),
  };
}

const tagsFor = (p: Params, type: string) => Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === type).map((t) => t.tags));

/** Amazon hands out /56 blocks from its pool; the sandbox's pool is 2600:1f18::/32 (us-east-1's). */
function amazonIpv6Block(r: Region): string {
  const taken = new Set(Object.values(r.vpcs ?? {}).flatMap((v) => v.ipv6Blocks.map((b) => b.cidr)));
  for (;;) {
    const n = randomBytes(3).readUIntBE(0, 3);
    const cidr = `2600:1f18:${((n >> 8) & 0xffff).toString(16)}:${((n & 0xff) << 8).toString(16)}::/56`;
    const b = parseV6(cidr)!;
    if (!taken.has(v6Str(b))) return v6Str(b);
  }
}

export function createVpc(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const cidr = p.req('CidrBlock');
  const b = parseV4(cidr);
  if (!b) throw new ApiError('InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  if (b.len < 16 || b.len > 28) throw new ApiError('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`);
  if (p.bool('DryRun')) throw dryRunOk();
  const r = s.region(region);
  const v: Vpc = { id: newId('vpc'), cidrBlock: v4Str(b), isDefault: false, tags: tagsFor(p, 'vpc'), ipv4AssociationId: newId('vpc-cidr-assoc'), ipv6Blocks: [], dhcpOptionsId: n.vpcs[vpcIdFor(region)]?.dhcpOptionsId ?? newId('dopt') };
  if (p.bool('AmazonProvidedIpv6CidrBlock')) v.ipv6Blocks.push({ associationId: newId('vpc-cidr-assoc'), cidr: amazonIpv6Block(r) });
  n.vpcs[v.id] = v;
  const sg = newId('sg');
  r.securityGroups[sg] = { id: sg, name: 'default', description: 'default VPC security group', vpcId: v.id, ingress: [], egress: [allTraffic()], tags: {} };
  s.changed();
  return { vpc: vpcXml(v, 'pending') };
}

export function associateVpcCidrBlock(s: Sandbox, region: string, p: Params) {
  const v = findVpc(s, region, p.req('VpcId'));
  if (!p.bool('AmazonProvidedIpv6CidrBlock')) throw new ApiError('InvalidParameterCombination', 'The sandbox associates only Amazon-provided IPv6 blocks (AmazonProvidedIpv6CidrBlock=true).');
  if (v.ipv6Blocks.length >= 1) throw new ApiError('CidrLimitExceeded', `This network '${v.id}' has met its maximum number of allowed CIDRs: 1`);
  if (p.bool('DryRun')) throw dryRunOk();
  const b = { associationId: newId('vpc-cidr-assoc'), cidr: amazonIpv6Block(s.region(region)) };
  v.ipv6Blocks.push(b);
  s.changed();
  return { vpcId: v.id, ipv6CidrBlockAssociation: { associationId: b.associationId, ipv6CidrBlock: b.cidr, ipv6CidrBlockState: { state: 'associating' }, networkBorderGroup: region, ipv6Pool: 'Amazon' } };
}

const VPC_FILTERS = new Set(['vpc-id', 'cidr', 'cidr-block-association.cidr-block', 'ipv6-cidr-block-association.ipv6-cidr-block', 'is-default', 'state', 'owner-id', 'dhcp-options-id']);

export function describeVpcs(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const ids = p.list('VpcId');
  for (const id of ids) findVpc(s, region, id);
  const match = compileFilters<Vpc>(p.filters(), VPC_FILTERS, (v, f) => tagValues(f, v.tags) ?? (
    f === 'vpc-id' ? [v.id] : f === 'cidr' || f === 'cidr-block-association.cidr-block' ? [v.cidrBlock]
      : f === 'ipv6-cidr-block-association.ipv6-cidr-block' ? v.ipv6Blocks.map((b) => b.cidr) : f === 'is-default' ? [String(v.isDefault)]
        : f === 'state' ? ['available'] : f === 'dhcp-options-id' ? [v.dhcpOptionsId] : [SANDBOX_ACCOUNT_ID]));
  return { vpcSet: Object.values(n.vpcs).filter((v) => (!ids.length || ids.includes(v.id)) && match(v)).map((v) => vpcXml(v, 'available')) };
}

export function deleteVpc(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const v = findVpc(s, region, p.req('VpcId'));
  const r = s.region(region);
  const busy = Object.values(n.subnets).some((x) => x.vpcId === v.id)
    || Object.values(r.securityGroups).some((g) => g.vpcId === v.id && g.name !== 'default');
  if (busy) throw new ApiError('DependencyViolation', `The vpc '${v.id}' has dependencies and cannot be deleted.`);
  if (p.bool('DryRun')) throw dryRunOk();
  delete n.vpcs[v.id];
  for (const g of Object.values(r.securityGroups)) if (g.vpcId === v.id) delete r.securityGroups[g.id];
  s.changed();
  return { return: true };
}

export function createSubnet(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const v = findVpc(s, region, p.req('VpcId'));
  const ipv6Native = p.bool('Ipv6Native');
  const cidr = p.str('CidrBlock');
  const cidr6 = p.str('Ipv6CidrBlock');
  if (ipv6Native && cidr) throw new ApiError('InvalidParameterCombination', 'Cannot specify an IPv4 CIDR block for an IPv6-only subnet.');
  if (ipv6Native && !cidr6) throw new ApiError('InvalidParameterCombination', 'An IPv6-only subnet requires an IPv6 CIDR block.');
  if (!ipv6Native && !cidr) throw new ApiError('MissingParameter', 'The request must contain the parameter cidrBlock');
  const azName = p.str('AvailabilityZone') ?? (p.str('AvailabilityZoneId') ? azsOf(region).find((z) => zoneId(region, z) === p.str('AvailabilityZoneId')) : azsOf(region)[0]);
  if (!azName || !azsOf(region).includes(azName)) throw new ApiError('InvalidParameterValue', `Value (${p.str('AvailabilityZone') ?? p.str('AvailabilityZoneId')}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${azsOf(region).join(', ')}.`);
  const siblings = Object.values(n.subnets).filter((x) => x.vpcId === v.id);
  let block: string | undefined;
  if (cidr) {
    const b = parseV4(cidr);
    if (!b || b.len < 16 || b.len > 28 || !v4Within(b, parseV4(v.cidrBlock)!)) throw new ApiError('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`);
    if (siblings.some((x) => x.cidrBlock && v4Overlap(parseV4(x.cidrBlock)!, b))) throw new ApiError('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`);
    block = v4Str(b);
  }
  let ipv6: Subnet['ipv6Cidr'];
  if (cidr6) {
    const b6 = parseV6(cidr6);
    const inVpc = (x: V6Block) => v.ipv6Blocks.some((vb) => v6Within(x, parseV6(vb.cidr)!));
    if (!b6 || b6.len !== 64 || !inVpc(b6)) throw new ApiError('InvalidSubnet.Range', `The IPv6 CIDR '${cidr6}' is invalid.`);
    if (siblings.some((x) => x.ipv6Cidr && x.ipv6Cidr.cidr === v6Str(b6))) throw new ApiError('InvalidSubnet.Conflict', `The CIDR '${cidr6}' conflicts with another subnet`);
    ipv6 = { associationId: newId('subnet-cidr-assoc'), cidr: v6Str(b6) };
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const sub: Subnet = {
    id: newId('subnet'), vpcId: v.id, az: azName, tags: tagsFor(p, 'subnet'), cidrBlock: block, ipv6Cidr: ipv6, ipv6Native, defaultForAz: false,
    mapPublicIpOnLaunch: false, assignIpv6AddressOnCreation: ipv6Native, nextHost: 4, nextIpv6Host: 4,
  };
  n.subnets[sub.id] = sub;
  s.changed();
  return { subnet: subnetXml(s, region, sub) };
}

export function modifySubnetAttribute(s: Sandbox, region: string, p: Params) {
  const sub = findSubnet(s, region, p.req('SubnetId'));
  const mapPublic = p.str('MapPublicIpOnLaunch.Value');
  const assign6 = p.str('AssignIpv6AddressOnCreation.Value');
  if (mapPublic === undefined && assign6 === undefined) throw new ApiError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  if (assign6 === 'true' && !sub.ipv6Cidr) throw new ApiError('InvalidParameterValue', `Subnet '${sub.id}' has no IPv6 CIDR block.`);
  if (p.bool('DryRun')) throw dryRunOk();
  if (mapPublic !== undefined) sub.mapPublicIpOnLaunch = mapPublic === 'true';
  if (assign6 !== undefined) sub.assignIpv6AddressOnCreation = assign6 === 'true';
  s.changed();
  return { return: true };
}

const SUBNET_FILTERS = new Set(['subnet-id', 'vpc-id', 'availability-zone', 'availability-zone-id', 'cidr-block', 'cidr', 'cidrBlock', 'default-for-az', 'defaultForAz',
  'ipv6-cidr-block-association.ipv6-cidr-block', 'map-public-ip-on-launch', 'ipv6-native', 'state', 'owner-id', 'subnet-arn']);

export function describeSubnets(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const ids = p.list('SubnetId');
  for (const id of ids) findSubnet(s, region, id);
  const match = compileFilters<Subnet>(p.filters(), SUBNET_FILTERS, (x, f) => tagValues(f, x.tags) ?? (
    f === 'subnet-id' ? [x.id] : f === 'vpc-id' ? [x.vpcId] : f === 'availability-zone' ? [x.az] : f === 'availability-zone-id' ? [zoneId(region, x.az)]
      : f === 'cidr-block' || f === 'cidr' || f === 'cidrBlock' ? [x.cidrBlock] : f === 'default-for-az' || f === 'defaultForAz' ? [String(x.defaultForAz)]
        : f === 'ipv6-cidr-block-association.ipv6-cidr-block' ? [x.ipv6Cidr?.cidr] : f === 'map-public-ip-on-launch' ? [String(x.mapPublicIpOnLaunch)]
          : f === 'ipv6-native' ? [String(x.ipv6Native)] : f === 'state' ? ['available'] : f === 'subnet-arn' ? [`arn:aws:ec2:${region}:${SANDBOX_ACCOUNT_ID}:subnet/${x.id}`] : [SANDBOX_ACCOUNT_ID]));
  return { subnetSet: Object.values(n.subnets).filter((x) => (!ids.length || ids.includes(x.id)) && match(x)).map((x) => subnetXml(s, region, x)) };
}

export function deleteSubnet(s: Sandbox, region: string, p: Params) {
  const n = network(s, region);
  const sub = findSubnet(s, region, p.req('SubnetId'));
  const r = s.region(region);
  const busy = Object.values(r.instances).some((i) => i.subnetId === sub.id && i.state !== 'terminated')
    || Object.values(r.instanceConnectEndpoints ?? {}).some((e) => e.subnetId === sub.id);
  if (busy) throw new ApiError('DependencyViolation', `The subnet '${sub.id}' has dependencies and cannot be deleted.`);
  if (p.bool('DryRun')) throw dryRunOk();
  delete n.subnets[sub.id];
  s.changed();
  return { return: true };
}
