// Security groups and their ingress rules.
import { ApiError, dryRunOk } from '../errors.js';
import { newId, SANDBOX_ACCOUNT_ID } from '../ids.js';
import type { Permission, Region, SecurityGroup } from '../state.js';
import { vpcIdFor, type Sandbox } from '../world.js';
import { compileFilters } from './filters.js';
import { parseV6 } from './cidr.js';
import { findVpc } from './vpcs.js';
import { tagSet, type Params } from './params.js';

const PROTO: Record<string, string> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', '-1': '-1', all: '-1' };

export function groupByIdOrName(r: Region, region: string, id?: string, name?: string, vpcId = vpcIdFor(region)): SecurityGroup {
  if (id) {
    const g = r.securityGroups[id];
    if (!g) {
      if (!/^sg-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
      throw new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    }
    return g;
  }
  if (name) {
    // Names are looked up in the default VPC (EC2 refuses names for other VPCs' groups in most calls).
    const g = Object.values(r.securityGroups).find((x) => x.name === name && x.vpcId === vpcId)
      ?? Object.values(r.securityGroups).find((x) => x.name === name);
    if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${vpcId}'`);
    return g;
  }
  throw new ApiError('MissingParameter', 'The request must contain the parameter groupName or groupId');
}

export function createSecurityGroup(s: Sandbox, region: string, p: Params) {
  const name = p.req('GroupName');
  const description = p.req('GroupDescription');
  const r = s.region(region);
  const vpcId = p.str('VpcId') ?? vpcIdFor(region);
  findVpc(s, region, vpcId);
  if (name.toLowerCase().startsWith('sg-')) throw new ApiError('InvalidParameterValue', "Group names may not be in the format sg-*");
  if (name.length > 255) throw new ApiError('InvalidParameterValue', `Invalid value '${name}' for groupName. Length exceeds maximum of 255.`);
  if (Object.values(r.securityGroups).some((g) => g.name === name && g.vpcId === vpcId)) {
    throw new ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const tags = Object.assign({}, ...p.tagSpecs().filter((t) => t.resourceType === 'security-group').map((t) => t.tags));
  const g: SecurityGroup = { id: newId('sg'), name, description, vpcId, ingress: [], egress: [{ protocol: '-1', ranges: [{ cidr: '0.0.0.0/0' }], groups: [] }], tags };
  r.securityGroups[g.id] = g;
  s.changed();
  return { return: true, groupId: g.id, tagSet: tagSet(tags) };
}

function validCidr(c: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(c);
  return !!m && m.slice(1, 5).every((x) => +x <= 255) && +m[5]! <= 32;
}

/** IpPermissions.N... or the legacy top-level IpProtocol/FromPort/ToPort/CidrIp form. */
function permissionsOf(p: Params): Permission[] {
  const perms = p.structs('IpPermissions').map((x) => ({
    protocol: x.str('IpProtocol') ?? '', fromPort: x.int('FromPort'), toPort: x.int('ToPort'),
    ranges: x.structs('IpRanges').map((r) => ({ cidr: r.req('CidrIp'), description: r.str('Description') })),
    ipv6Ranges: x.structs('Ipv6Ranges').map((r) => ({ cidr: r.req('CidrIpv6'), description: r.str('Description') })),
    groups: x.structs('Groups').map((g) => g.str('GroupId') ?? '').filter(Boolean),
  }));
  if (perms.length === 0 && p.str('IpProtocol')) {
    perms.push({ protocol: p.str('IpProtocol')!, fromPort: p.int('FromPort'), toPort: p.int('ToPort'), ranges: p.str('CidrIp') ? [{ cidr: p.str('CidrIp')!, description: undefined }] : [], ipv6Ranges: [], groups: [] });
  }
  if (perms.length === 0) throw new ApiError('MissingParameter', 'No permissions were specified (IpPermissions).');
  for (const x of perms) {
    const proto = PROTO[x.protocol.toLowerCase()];
    if (!proto) throw new ApiError('InvalidParameterValue', `Invalid value '${x.protocol}' for IP protocol. Unknown protocol.`);
    x.protocol = proto;
    if (proto === '-1') { x.fromPort = undefined; x.toPort = undefined; }
    else if (proto !== 'icmp' && (x.fromPort === undefined || x.toPort === undefined || x.fromPort < 0 || x.toPort > 65535 || x.fromPort > x.toPort)) {
      throw new ApiError('InvalidParameterValue', `Invalid value for portRange. Must specify both from and to ports with TCP/UDP.`);
    }
    for (const r of x.ranges) if (!validCidr(r.cidr)) throw new ApiError('InvalidParameterValue', `CIDR block ${r.cidr} is malformed`);
    for (const r of x.ipv6Ranges) if (!parseV6(r.cidr) && !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(r.cidr)) throw new ApiError('InvalidParameterValue', `CIDR block ${r.cidr} is malformed`);
  }
  return perms;
}

const sameRule = (a: Permission, b: Permission) => a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort;
const ruleText = (x: Permission, cidr: string) => `peer: ${cidr}, ${x.protocol === '-1' ? 'ALL' : x.protocol.toUpperCase()}, from port: ${x.fromPort ?? -1}, to port: ${x.toPort ?? -1}, ALLOW`;

export function authorizeSecurityGroupIngress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const g = groupByIdOrName(r, region, p.str('GroupId'), p.str('GroupName'));
  const perms = permissionsOf(p);
  for (const x of perms) {
    const existing = g.ingress.find((e) => sameRule(e, x));
    for (const rg of [...x.ranges, ...x.ipv6Ranges!]) {
      if ([...existing?.ranges ?? [], ...existing?.ipv6Ranges ?? []].some((e) => e.cidr === rg.cidr)) {
        throw new ApiError('InvalidPermission.Duplicate', `the specified rule "${ruleText(x, rg.cidr)}" already exists`);
      }
    }
  }
  if (p.bool('DryRun')) throw dryRunOk();
  const rules: object[] = [];
  for (const x of perms) {
    let e = g.ingress.find((y) => sameRule(y, x));
    if (!e) { e = { ...x, ranges: [], ipv6Ranges: [], groups: [] }; g.ingress.push(e); }
    for (const rg of x.ranges) {
      e.ranges.push(rg);
      rules.push({ securityGroupRuleId: newId('sgr'), groupId: g.id, groupOwnerId: SANDBOX_ACCOUNT_ID, isEgress: false, ipProtocol: x.protocol, fromPort: x.fromPort ?? -1, toPort: x.toPort ?? -1, cidrIpv4: rg.cidr, description: rg.description });
    }
    for (const rg of x.ipv6Ranges!) {
      (e.ipv6Ranges ??= []).push(rg);
      rules.push({ securityGroupRuleId: newId('sgr'), groupId: g.id, groupOwnerId: SANDBOX_ACCOUNT_ID, isEgress: false, ipProtocol: x.protocol, fromPort: x.fromPort ?? -1, toPort: x.toPort ?? -1, cidrIpv6: rg.cidr, description: rg.description });
    }
    for (const gid of x.groups) if (!e.groups.includes(gid)) e.groups.push(gid);
  }
  s.changed();
  return { return: true, securityGroupRuleSet: rules };
}

export function revokeSecurityGroupIngress(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const g = groupByIdOrName(r, region, p.str('GroupId'), p.str('GroupName'));
  const perms = permissionsOf(p);
  for (const x of perms) {
    const e = g.ingress.find((y) => sameRule(y, x));
    if (!e || x.ranges.some((rg) => !e.ranges.some((q) => q.cidr === rg.cidr)) || x.ipv6Ranges!.some((rg) => !(e.ipv6Ranges ?? []).some((q) => q.cidr === rg.cidr))) {
      throw new ApiError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
  }
  if (p.bool('DryRun')) throw dryRunOk();
  for (const x of perms) {
    const e = g.ingress.find((y) => sameRule(y, x))!;
    e.ranges = e.ranges.filter((q) => !x.ranges.some((rg) => rg.cidr === q.cidr));
    e.ipv6Ranges = (e.ipv6Ranges ?? []).filter((q) => !x.ipv6Ranges!.some((rg) => rg.cidr === q.cidr));
    e.groups = e.groups.filter((q) => !x.groups.includes(q));
    if (e.ranges.length === 0 && e.ipv6Ranges.length === 0 && e.groups.length === 0) g.ingress.splice(g.ingress.indexOf(e), 1);
  }
  s.changed();
  return { return: true };
}

const permXml = (x: Permission) => ({
  ipProtocol: x.protocol, fromPort: x.fromPort, toPort: x.toPort,
  groups: x.groups.map((gid) => ({ groupId: gid, userId: SANDBOX_ACCOUNT_ID })),
  ipRanges: x.ranges.map((r) => ({ cidrIp: r.cidr, description: r.description })),
  ipv6Ranges: (x.ipv6Ranges ?? []).map((r) => ({ cidrIpv6: r.cidr, description: r.description })), prefixListIds: [],
});

export function describeSecurityGroups(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const ids = p.list('GroupId');
  const names = p.list('GroupName');
  for (const id of ids) groupByIdOrName(r, region, id);
  for (const n of names) groupByIdOrName(r, region, undefined, n);
  const match = compileFilters<SecurityGroup>(p.filters(), new Set(['group-name', 'group-id', 'description', 'vpc-id', 'owner-id', 'ip-permission.from-port', 'ip-permission.to-port', 'ip-permission.cidr', 'ip-permission.ipv6-cidr', 'ip-permission.protocol']), (g, f) => {
    switch (f) {
      case 'group-name': return [g.name];
      case 'group-id': return [g.id];
      case 'description': return [g.description];
      case 'vpc-id': return [g.vpcId];
      case 'owner-id': return [SANDBOX_ACCOUNT_ID];
      case 'ip-permission.from-port': return g.ingress.map((x) => String(x.fromPort ?? -1));
      case 'ip-permission.to-port': return g.ingress.map((x) => String(x.toPort ?? -1));
      case 'ip-permission.cidr': return g.ingress.flatMap((x) => x.ranges.map((q) => q.cidr));
      case 'ip-permission.ipv6-cidr': return g.ingress.flatMap((x) => (x.ipv6Ranges ?? []).map((q) => q.cidr));
      case 'ip-permission.protocol': return g.ingress.map((x) => x.protocol);
      default: return f === 'tag-key' ? Object.keys(g.tags) : f === 'tag-value' ? Object.values(g.tags) : [g.tags[f.slice(4)]];
    }
  });
  return {
    securityGroupInfo: Object.values(r.securityGroups)
      .filter((g) => (ids.length === 0 || ids.includes(g.id)) && (names.length === 0 || names.includes(g.name)) && match(g))
      .map((g) => ({
        ownerId: SANDBOX_ACCOUNT_ID, groupId: g.id, groupName: g.name, groupDescription: g.description, vpcId: g.vpcId,
        ipPermissions: g.ingress.map(permXml), ipPermissionsEgress: g.egress.map(permXml), tagSet: tagSet(g.tags),
      })),
  };
}

export function deleteSecurityGroup(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const g = groupByIdOrName(r, region, p.str('GroupId'), p.str('GroupName'));
  if (g.name === 'default') throw new ApiError('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
  const inUse = Object.values(r.instances).some((i) => i.state !== 'terminated' && i.groups.some((x) => x.groupId === g.id));
  if (inUse) throw new ApiError('DependencyViolation', `resource ${g.id} has a dependent object`);
  if (p.bool('DryRun')) throw dryRunOk();
  delete r.securityGroups[g.id];
  s.changed();
  return { return: true, groupId: g.id };
}
