// The SDK side of Ec2's launch resources: key pairs, security groups, Elastic IPs, subnets, Instance
// Connect Endpoints and RunInstances. Each write is built once and sent either for real or with
// DryRun=true (Ec2.dryRun), where EC2's "DryRunOperation" means the request would have succeeded.
import type { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import type { Ec2DryRun, Ec2ResourceOps, Ec2Writes } from './ec2.js';
import { call } from './ec2.js';
import { awsErrorCode, fromAwsError } from './errors.js';
import { toInstanceInfo } from './instances.js';

type Sdk = typeof import('@aws-sdk/client-ec2');
type Send = { abortSignal?: AbortSignal };
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** The writes, sent for real (`dry` false) or as EC2 DryRun checks (`dry` true: the answer is dropped). */
function writes(sdk: Sdk, client: EC2Client, region: string, opts: Send, dry: boolean): Ec2Writes {
  const DryRun = dry || undefined;
  // Loosely typed on purpose: every command of this file goes through here, one way or the other.
  const send = async <T>(doing: string, command: object): Promise<T> => {
    if (!dry) return call(doing, () => client.send(command as never, opts) as Promise<T>);
    try {
      await client.send(command as never, opts);
    } catch (err) {
      if (awsErrorCode(err) === 'DryRunOperation') return undefined as T;
      throw fromAwsError(err, `${doing} (DryRun)`);
    }
    return undefined as T;
  };
  return {
    async createKeyPair(name, tags) {
      const res = await send<{ KeyMaterial?: string }>(`creating the key pair ${name}`, new sdk.CreateKeyPairCommand({
        KeyName: name, KeyType: 'ed25519', DryRun, TagSpecifications: dry ? undefined : [{ ResourceType: 'key-pair', Tags: tagList(tags) }],
      }));
      return res?.KeyMaterial ?? '';
    },
    async importKeyPair(name, publicKey, tags) {
      await send(`importing the key pair ${name}`, new sdk.ImportKeyPairCommand({
        KeyName: name, PublicKeyMaterial: Buffer.from(publicKey.trim()), DryRun, TagSpecifications: dry ? undefined : [{ ResourceType: 'key-pair', Tags: tagList(tags) }],
      }));
    },
    async deleteKeyPair(name) {
      await send(`deleting the key pair ${name}`, new sdk.DeleteKeyPairCommand({ KeyName: name, DryRun }));
    },
    async createSecurityGroup(g) {
      const res = await send<{ GroupId?: string }>(`creating the security group ${g.name}`, new sdk.CreateSecurityGroupCommand({
        GroupName: g.name, Description: g.description, VpcId: g.vpcId, DryRun, TagSpecifications: dry ? undefined : [{ ResourceType: 'security-group', Tags: tagList(g.tags) }],
      }));
      return res?.GroupId ?? '';
    },
    async authorizeIngress(group, permissions: IpPermission[]) {
      await send(`opening ports in ${group.name}`, new sdk.AuthorizeSecurityGroupIngressCommand({ GroupId: group.id, IpPermissions: permissions, DryRun }));
    },
    async deleteSecurityGroup(id) {
      await send(`deleting the security group ${id}`, new sdk.DeleteSecurityGroupCommand({ GroupId: id, DryRun }));
    },
    async allocateAddress(tags) {
      const res = await send<{ AllocationId?: string; PublicIp?: string }>('allocating an Elastic IP', new sdk.AllocateAddressCommand({
        Domain: 'vpc', DryRun, TagSpecifications: dry ? undefined : [{ ResourceType: 'elastic-ip', Tags: tagList(tags) }],
      }));
      return { allocationId: res?.AllocationId ?? '', publicIp: res?.PublicIp };
    },
    async associateAddress(allocationId, instanceId) {
      await send(`associating the Elastic IP ${allocationId}`, new sdk.AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: false, DryRun }));
    },
    async disassociateAddress(associationId, allocationId) {
      await send(`disassociating the Elastic IP ${allocationId}`, new sdk.DisassociateAddressCommand({ AssociationId: associationId, DryRun }));
    },
    async releaseAddress(allocationId) {
      await send(`releasing the Elastic IP ${allocationId}`, new sdk.ReleaseAddressCommand({ AllocationId: allocationId, DryRun }));
    },
    async runInstances(request, doing) {
      const res = await send<{ Instances?: import('@aws-sdk/client-ec2').Instance[] }>(doing, new sdk.RunInstancesCommand({ ...request, DryRun }));
      return (res?.Instances ?? []).map((i) => toInstanceInfo(i, region));
    },
  };
}

/** Ec2's launch-resource operations for one region's client. */
export function sdkResourceOps(sdk: Sdk, client: EC2Client, region: string, opts: Send): Ec2ResourceOps {
  return {
    ...writes(sdk, client, region, opts, false),
    dryRun: writes(sdk, client, region, opts, true) as unknown as Ec2DryRun,
    async keyPairs(name) {
      const res = await call(`looking up the key pair ${name}`, () => client.send(new sdk.DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: [name] }] }), opts));
      return res.KeyPairs ?? [];
    },
    async securityGroups(filters, doing) {
      const res = await call(doing, () => client.send(new sdk.DescribeSecurityGroupsCommand({ Filters: filters }), opts));
      return res.SecurityGroups ?? [];
    },
    async addresses(allocationIds) {
      const res = await call(`looking up the Elastic IP ${allocationIds.join(', ')}`, () => client.send(new sdk.DescribeAddressesCommand({ AllocationIds: allocationIds }), opts));
      return res.Addresses ?? [];
    },
    async subnets(q) {
      const res = await call('looking up subnets', () =>
        client.send(new sdk.DescribeSubnetsCommand(q.ids ? { SubnetIds: q.ids } : { Filters: [{ Name: 'vpc-id', Values: [q.vpcId ?? ''] }] }), opts));
      return res.Subnets ?? [];
    },
    async instanceConnectEndpoints(q) {
      const out = [];
      let NextToken: string | undefined;
      do {
        const page = await call('listing EC2 Instance Connect Endpoints', () =>
          client.send(new sdk.DescribeInstanceConnectEndpointsCommand({ InstanceConnectEndpointIds: q.ids, Filters: q.vpcIds?.length ? [{ Name: 'vpc-id', Values: q.vpcIds }] : undefined, NextToken }), opts));
        out.push(...(page.InstanceConnectEndpoints ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
  };
}
