// memoryEc2's launch resources: key pairs, security groups, Elastic IPs, subnets, Instance Connect
// Endpoints and RunInstances, behaving like EC2 where the launch's logic depends on it: duplicates and
// missing resources fail with EC2's codes (InvalidKeyPair.Duplicate, InvalidGroup.NotFound, ...), a
// ClientToken returns the instance it launched first, a group in use cannot be deleted
// (DependencyViolation), and every write has a DryRun twin that checks the same and changes nothing.
import type { Address, Ec2InstanceConnectEndpoint, IpPermission, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { Ec2DryRun, Ec2ResourceOps, Ec2Writes } from '../../src/lib/ec2.js';
import { fromAwsError } from '../../src/lib/errors.js';
import { TAGS, type InstanceInfo } from '../../src/lib/instances.js';
import type { MemoryWorld } from './memory-aws.js';

export interface MemoryResources {
  keyPairs: Map<string, { name: string; tags: Record<string, string> }>;
  /** By group id. */
  groups: Map<string, SecurityGroup>;
  /** By allocation id. */
  addresses: Map<string, Address>;
  subnets: Subnet[];
  endpoints: Ec2InstanceConnectEndpoint[];
  /** ClientToken -> the instance it launched. */
  tokens: Map<string, string>;
  /** Called before every call as "Action detail" (reads too): a test makes races and faults here (throw awsFault(...)). */
  before?: (call: string) => void;
}

export function memoryResources(): MemoryResources {
  return { keyPairs: new Map(), groups: new Map(), addresses: new Map(), subnets: [], endpoints: [], tokens: new Map() };
}

/** An error shaped as the SDK throws it for EC2's `code`. */
export function awsFault(code: string, message = code, status = 400): Error {
  return Object.assign(new Error(message), { name: code, Code: code, $metadata: { httpStatusCode: status } });
}

let serial = 0x100;
const next = (prefix: string) => `${prefix}-${(++serial).toString(16).padStart(17, '0')}`;
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Adds a security group (as another run or a person made it). */
export function addGroup(w: MemoryWorld, name: string, permissions: IpPermission[] = [], vpcId = 'vpc-default'): SecurityGroup {
  const g: SecurityGroup = { GroupId: next('sg'), GroupName: name, VpcId: vpcId, IpPermissions: structuredClone(permissions), Tags: [] };
  w.ec2.groups.set(g.GroupId!, g);
  return g;
}

const live = (i: InstanceInfo) => i.state !== 'terminated';

export function memoryResourceOps(w: MemoryWorld, region: string): Ec2ResourceOps {
  const r = w.ec2;
  const fail = (doing: string, code: string, message: string): never => {
    throw fromAwsError(awsFault(code, message), doing);
  };
  /** The hook, then the check; `dry`: the check only (DryRunOperation), recorded as "DryRun Action". */
  const step = (action: string, detail: string, doing: string, dry: boolean) => {
    try {
      r.before?.(`${dry ? 'DryRun ' : ''}${action} ${detail}`);
    } catch (err) {
      throw fromAwsError(err, doing);
    }
    if (!dry) w.calls.push(`${action} ${detail}`);
  };
  const group = (id: string, doing: string) => r.groups.get(id) ?? fail(doing, 'InvalidGroup.NotFound', `The security group '${id}' does not exist`);

  const writes = (dry: boolean): Ec2Writes => {
  // A DryRun failure names the check as the SDK side does.
  const label = (doing: string) => (dry ? `${doing} (DryRun)` : doing);
  return {
    async createKeyPair(name, tags) {
      const doing = label(`creating the key pair ${name}`);
      step('CreateKeyPair', name, doing, dry);
      if (r.keyPairs.has(name)) fail(doing, 'InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
      if (dry) return dryRun(`CreateKeyPair ${name}`);
      r.keyPairs.set(name, { name, tags });
      return `-----BEGIN OPENSSH PRIVATE KEY-----\nmemory-${name}\n-----END OPENSSH PRIVATE KEY-----\n`;
    },
    async importKeyPair(name, _publicKey, tags) {
      const doing = label(`importing the key pair ${name}`);
      step('ImportKeyPair', name, doing, dry);
      if (r.keyPairs.has(name)) fail(doing, 'InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
      if (dry) return dryRun(`ImportKeyPair ${name}`);
      r.keyPairs.set(name, { name, tags });
    },
    async deleteKeyPair(name) {
      step('DeleteKeyPair', name, label(`deleting the key pair ${name}`), dry);
      if (dry) return dryRun(`DeleteKeyPair ${name}`);
      r.keyPairs.delete(name); // EC2 deletes a missing key pair without complaint
    },
    async createSecurityGroup(g) {
      const doing = label(`creating the security group ${g.name}`);
      step('CreateSecurityGroup', g.name, doing, dry);
      const vpcId = g.vpcId ?? 'vpc-default';
      if ([...r.groups.values()].some((x) => x.GroupName === g.name && x.VpcId === vpcId)) fail(doing, 'InvalidGroup.Duplicate', `The security group '${g.name}' already exists for VPC '${vpcId}'`);
      if (dry) return dryRun(`CreateSecurityGroup ${g.name}`);
      const id = next('sg');
      r.groups.set(id, { GroupId: id, GroupName: g.name, Description: g.description, VpcId: vpcId, IpPermissions: [], Tags: tagList(g.tags) });
      return id;
    },
    async authorizeIngress(ref, permissions) {
      const doing = label(`opening ports in ${ref.name}`);
      step('AuthorizeSecurityGroupIngress', `${ref.id} ${permissions.map((p) => p.FromPort).join(',')}`, doing, dry);
      const g = group(ref.id, doing);
      const key = (p: IpPermission) => JSON.stringify([p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges?.map((x) => x.CidrIp), p.Ipv6Ranges?.map((x) => x.CidrIpv6), p.UserIdGroupPairs?.map((x) => x.GroupId)]);
      const have = new Set((g.IpPermissions ?? []).map(key));
      if (permissions.some((p) => have.has(key(p)))) fail(doing, 'InvalidPermission.Duplicate', 'the specified rule already exists');
      if (dry) return dryRun('AuthorizeSecurityGroupIngress');
      g.IpPermissions = [...(g.IpPermissions ?? []), ...structuredClone(permissions)];
    },
    async deleteSecurityGroup(id) {
      const doing = label(`deleting the security group ${id}`);
      step('DeleteSecurityGroup', id, doing, dry);
      group(id, doing);
      if ([...w.instances.values()].some((i) => live(i) && i.securityGroups.some((s) => s.id === id))) fail(doing, 'DependencyViolation', `resource ${id} has a dependent object`);
      if (dry) return dryRun(`DeleteSecurityGroup ${id}`);
      r.groups.delete(id);
    },
    async allocateAddress(tags) {
      step('AllocateAddress', '', label('allocating an Elastic IP'), dry);
      if (dry) return dryRun('AllocateAddress');
      const a: Address = { AllocationId: next('eipalloc'), PublicIp: `203.0.113.${(serial % 250) + 1}`, Domain: 'vpc', Tags: tagList(tags) };
      r.addresses.set(a.AllocationId!, a);
      return { allocationId: a.AllocationId!, publicIp: a.PublicIp };
    },
    async associateAddress(allocationId, instanceId) {
      const doing = label(`associating the Elastic IP ${allocationId}`);
      step('AssociateAddress', `${allocationId} ${instanceId}`, doing, dry);
      const a = r.addresses.get(allocationId) ?? fail(doing, 'InvalidAllocationID.NotFound', `The allocation ID '${allocationId}' does not exist`);
      if (dry) return dryRun('AssociateAddress');
      a.InstanceId = instanceId;
      a.AssociationId = next('eipassoc');
      const i = w.instances.get(instanceId);
      if (i) i.publicIp = a.PublicIp;
    },
    async disassociateAddress(associationId, allocationId) {
      step('DisassociateAddress', allocationId, label(`disassociating the Elastic IP ${allocationId}`), dry);
      if (dry) return dryRun('DisassociateAddress');
      const a = r.addresses.get(allocationId);
      if (a?.AssociationId === associationId) { a.AssociationId = undefined; a.InstanceId = undefined; }
    },
    async releaseAddress(allocationId) {
      step('ReleaseAddress', allocationId, label(`releasing the Elastic IP ${allocationId}`), dry);
      if (dry) return dryRun('ReleaseAddress');
      r.addresses.delete(allocationId);
    },
    async runInstances(req, doing) {
      doing = label(doing);
      step('RunInstances', req.ClientToken ?? '', doing, dry);
      if (req.KeyName && !r.keyPairs.has(req.KeyName)) fail(doing, 'InvalidKeyPair.NotFound', `The key pair '${req.KeyName}' does not exist`);
      const groups = (req.SecurityGroupIds ?? []).map((id) => group(id, doing));
      if (dry) return dryRun('RunInstances');
      const earlier = req.ClientToken ? r.tokens.get(req.ClientToken) : undefined;
      if (earlier && w.instances.has(earlier)) return [structuredClone(w.instances.get(earlier)!)];
      const tags = Object.fromEntries((req.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
      const id = next('i');
      const i: InstanceInfo = {
        id, region, name: tags[TAGS.name], state: 'pending', type: req.InstanceType, imageId: req.ImageId, keyName: req.KeyName,
        publicIp: `198.51.100.${(serial % 250) + 1}`, privateIp: `172.31.1.${serial % 250}`, launchTime: new Date(Date.UTC(2026, 0, 1)),
        managed: tags[TAGS.managed] === 'true', sshPort: 22, securityGroups: groups.map((g) => ({ id: g.GroupId!, name: g.GroupName })), tags,
      };
      w.instances.set(id, i);
      if (req.ClientToken) r.tokens.set(req.ClientToken, id);
      return [structuredClone(i)];
    },
  };
  };

  // A DryRun that would succeed: recorded, nothing changed (the caller's answer is dropped).
  const dryRun = (what: string): never => {
    w.calls.push(`DryRun ${what}`);
    return undefined as never;
  };
  const read = (action: string, detail: string, doing: string) => {
    try {
      r.before?.(`${action} ${detail}`);
    } catch (err) {
      throw fromAwsError(err, doing);
    }
  };
  return {
    ...writes(false),
    dryRun: writes(true) as unknown as Ec2DryRun,
    async keyPairs(name) {
      read('DescribeKeyPairs', name, `looking up the key pair ${name}`);
      return r.keyPairs.has(name) ? [{ KeyName: name }] : [];
    },
    async securityGroups(filters, doing) {
      const name = filters.find((f) => f.Name === 'group-name')?.Values;
      const vpc = filters.find((f) => f.Name === 'vpc-id')?.Values;
      read('DescribeSecurityGroups', name?.join(',') ?? '', doing);
      return [...r.groups.values()].filter((g) => (!name || name.includes(g.GroupName ?? '')) && (!vpc || vpc.includes(g.VpcId ?? ''))).map((g) => structuredClone(g));
    },
    async addresses(ids) {
      const doing = `looking up the Elastic IP ${ids.join(', ')}`;
      read('DescribeAddresses', ids.join(','), doing);
      return ids.map((id) => structuredClone(r.addresses.get(id) ?? fail(doing, 'InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`)));
    },
    async subnets(q) {
      read('DescribeSubnets', '', 'looking up subnets');
      if (q.ids) return q.ids.map((id) => structuredClone(r.subnets.find((s) => s.SubnetId === id) ?? fail('looking up subnets', 'InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`)));
      return r.subnets.filter((s) => s.VpcId === q.vpcId).map((s) => structuredClone(s));
    },
    async instanceConnectEndpoints(q) {
      return r.endpoints.filter((e) => (!q.ids || q.ids.includes(e.InstanceConnectEndpointId ?? '')) && (!q.vpcIds || q.vpcIds.includes(e.VpcId ?? '')));
    },
  };
}
