// The EC2 operations on instances that several commands share, behind a small interface (`Ec2`)
// so pure logic can be tested with a stub, and the one SDK-backed implementation of it.
import type {
  Address, EC2Client, Filter, Image, Ec2InstanceConnectEndpoint, InstanceStateChange, InstanceStatus, IpPermission, KeyPairInfo, RunInstancesCommandInput, SecurityGroup, Snapshot, Subnet, Volume,
} from '@aws-sdk/client-ec2';
import type { AwsContext } from './aws.js';
import { fromAwsError } from './errors.js';
import { LIVE_STATES, toInstanceInfo, type InstanceInfo } from './instances.js';

export interface DescribeQuery {
  ids?: string[];
  filters?: Filter[];
  /** Instance states to include; default every state but terminated. `[]` means all states. */
  states?: string[];
}

/**
 * The EC2 writes ec2launch makes. Each is also on `Ec2.dryRun`, where it only asks EC2's DryRun whether
 * it would succeed (commands reach them through one dry-run chokepoint: commands/launch/writes.ts).
 */
export interface Ec2Writes {
  /** Creates an ed25519 key pair; its private key (PEM/OpenSSH text). */
  createKeyPair(name: string, tags: Record<string, string>): Promise<string>;
  importKeyPair(name: string, publicKey: string, tags: Record<string, string>): Promise<void>;
  deleteKeyPair(name: string): Promise<void>;
  /** Its group id. */
  createSecurityGroup(group: { name: string; description: string; vpcId?: string; tags: Record<string, string> }): Promise<string>;
  authorizeIngress(group: { id: string; name: string }, permissions: IpPermission[]): Promise<void>;
  deleteSecurityGroup(id: string): Promise<void>;
  allocateAddress(tags: Record<string, string>): Promise<{ allocationId: string; publicIp?: string }>;
  associateAddress(allocationId: string, instanceId: string): Promise<void>;
  disassociateAddress(associationId: string, allocationId: string): Promise<void>;
  releaseAddress(allocationId: string): Promise<void>;
  /** `doing` names the launch in errors ("launching lab"). */
  runInstances(request: RunInstancesCommandInput, doing: string): Promise<InstanceInfo[]>;
}

/** The same writes as EC2 DryRun checks: resolve when EC2 says the request would succeed. */
export type Ec2DryRun = { [K in keyof Ec2Writes]: (...args: Parameters<Ec2Writes[K]>) => Promise<void> };

export interface Ec2 extends Ec2Writes {
  readonly region: string;
  readonly dryRun: Ec2DryRun;
  /** The SDK client, for command-specific calls (send through `call` to get typed errors). */
  readonly client: EC2Client;
  describeInstances(query?: DescribeQuery): Promise<InstanceInfo[]>;
  /** `filters` (optional) narrows the answer server-side, e.g. [{ Name: 'event.code', Values: [...] }]. */
  instanceStatus(ids?: string[], includeAll?: boolean, filters?: Filter[]): Promise<InstanceStatus[]>;
  /** Console output, decoded; `latest` asks for the most recent (Nitro) rather than the boot-time buffer. */
  consoleOutput(id: string, latest?: boolean): Promise<string>;
  createTags(ids: string[], tags: Record<string, string>): Promise<void>;
  deleteTags(ids: string[], keys: string[]): Promise<void>;
  stop(ids: string[], force?: boolean): Promise<InstanceStateChange[]>;
  start(ids: string[]): Promise<InstanceStateChange[]>;
  terminate(ids: string[]): Promise<InstanceStateChange[]>;
  /** Regions enabled for the account. */
  regions(): Promise<string[]>;
  /** Images by id, or those `owners` publish that match `filters`; `doing` names the lookup in errors. */
  images(query: { ids?: string[]; owners?: string[]; filters?: Filter[] }, doing?: string): Promise<Image[]>;
  /** EBS volumes: every one in the region, or those attached to `instanceIds`. */
  volumes(instanceIds?: string[]): Promise<Volume[]>;
  /** Snapshots this account owns, narrowed by `filters`. */
  snapshots(filters: Filter[]): Promise<Snapshot[]>;
  /** Starts a snapshot of the volume with these tags; its id. */
  createSnapshot(volumeId: string, description: string, tags: Record<string, string>): Promise<string>;
  deleteSnapshot(id: string): Promise<void>;
  /** Key pairs of this name (none, or one). */
  keyPairs(name: string): Promise<KeyPairInfo[]>;
  /** Security groups matching `filters`; `doing` names the lookup in errors. */
  securityGroups(filters: Filter[], doing: string): Promise<SecurityGroup[]>;
  /** Elastic IPs by allocation id (an unknown id is a NotFoundError). */
  addresses(allocationIds: string[]): Promise<Address[]>;
  /** Subnets by id, or every subnet of a VPC. */
  subnets(query: { ids?: string[]; vpcId?: string }): Promise<Subnet[]>;
  /** EC2 Instance Connect Endpoints by id, or those of some VPCs (all when neither is given). */
  instanceConnectEndpoints(query: { ids?: string[]; vpcIds?: string[] }): Promise<Ec2InstanceConnectEndpoint[]>;
}

/** The launch-resource part of Ec2 (implemented in ec2-resources.ts, and by memoryEc2 in the tests). */
export type Ec2ResourceOps = Pick<Ec2, keyof Ec2Writes | 'dryRun' | 'keyPairs' | 'securityGroups' | 'addresses' | 'subnets' | 'instanceConnectEndpoints'>;

/** Runs one SDK call and turns its failure into a typed ec2term error naming what was being done. */
export async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromAwsError(err, doing);
  }
}

/** An Ec2 for one region, backed by the SDK. Requests are aborted when `signal` fires. */
export async function sdkEc2(aws: AwsContext, region = aws.region, signal?: AbortSignal): Promise<Ec2> {
  const sdk = await import('@aws-sdk/client-ec2');
  const client = await aws.ec2(region);
  const opts = { abortSignal: signal };
  const { sdkResourceOps } = await import('./ec2-resources.js');
  return {
    region,
    client,
    ...sdkResourceOps(sdk, client, region, opts),
    async describeInstances(query = {}) {
      const filters = [...(query.filters ?? [])];
      const states = query.states ?? LIVE_STATES;
      if (states.length > 0 && !query.ids) filters.push({ Name: 'instance-state-name', Values: states });
      const out: InstanceInfo[] = [];
      let NextToken: string | undefined;
      do {
        const page = await call('listing instances', () =>
          client.send(
            new sdk.DescribeInstancesCommand({
              InstanceIds: query.ids,
              Filters: filters.length > 0 ? filters : undefined,
              // MaxResults may not be combined with InstanceIds.
              MaxResults: query.ids ? undefined : 1000,
              NextToken,
            }),
            opts,
          ),
        );
        for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) out.push(toInstanceInfo(i, region));
        NextToken = page.NextToken;
      } while (NextToken);
      if (query.ids && query.states && query.states.length > 0) return out.filter((i) => query.states!.includes(i.state));
      return out;
    },
    async instanceStatus(ids, includeAll = true, filters) {
      const out: InstanceStatus[] = [];
      let NextToken: string | undefined;
      do {
        const page = await call('reading instance status', () =>
          client.send(
            new sdk.DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: includeAll, Filters: filters?.length ? filters : undefined, MaxResults: ids ? undefined : 1000, NextToken }),
            opts,
          ),
        );
        out.push(...(page.InstanceStatuses ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async consoleOutput(id, latest = true) {
      const res = await call(`reading the console output of ${id}`, () =>
        client.send(new sdk.GetConsoleOutputCommand({ InstanceId: id, Latest: latest }), opts),
      );
      return res.Output ? Buffer.from(res.Output, 'base64').toString('utf8') : '';
    },
    async createTags(ids, tags) {
      await call('tagging', () =>
        client.send(new sdk.CreateTagsCommand({ Resources: ids, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }), opts),
      );
    },
    async deleteTags(ids, keys) {
      await call('removing tags', () => client.send(new sdk.DeleteTagsCommand({ Resources: ids, Tags: keys.map((Key) => ({ Key })) }), opts));
    },
    async stop(ids, force = false) {
      const res = await call('stopping', () => client.send(new sdk.StopInstancesCommand({ InstanceIds: ids, Force: force }), opts));
      return res.StoppingInstances ?? [];
    },
    async start(ids) {
      const res = await call('starting', () => client.send(new sdk.StartInstancesCommand({ InstanceIds: ids }), opts));
      return res.StartingInstances ?? [];
    },
    async images(query, doing = 'reading image details') {
      const res = await call(doing, () => client.send(new sdk.DescribeImagesCommand({ ImageIds: query.ids, Owners: query.owners, Filters: query.filters }), opts));
      return res.Images ?? [];
    },
    async volumes(instanceIds) {
      const out: Volume[] = [];
      // A filter value list is limited (200 values): chunk when asked for specific instances.
      const chunks: (string[] | undefined)[] = instanceIds ? Array.from({ length: Math.ceil(instanceIds.length / 190) }, (_, k) => instanceIds.slice(k * 190, k * 190 + 190)) : [undefined];
      for (const chunk of chunks) {
        let NextToken: string | undefined;
        do {
          const page = await call(`listing volumes in ${region}`, () => client.send(new sdk.DescribeVolumesCommand({
            Filters: chunk ? [{ Name: 'attachment.instance-id', Values: chunk }] : undefined, MaxResults: 500, NextToken,
          }), opts));
          out.push(...(page.Volumes ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
      }
      return out;
    },
    async snapshots(filters) {
      const out: Snapshot[] = [];
      let NextToken: string | undefined;
      do {
        const page = await call(`listing snapshots in ${region}`, () =>
          client.send(new sdk.DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, MaxResults: 1000, NextToken }), opts));
        out.push(...(page.Snapshots ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async createSnapshot(volumeId, description, tags) {
      const res = await call(`snapshotting ${volumeId}`, () => client.send(new sdk.CreateSnapshotCommand({
        VolumeId: volumeId, Description: description, TagSpecifications: [{ ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }), opts));
      return res.SnapshotId ?? '';
    },
    async deleteSnapshot(id) {
      await call(`deleting snapshot ${id}`, () => client.send(new sdk.DeleteSnapshotCommand({ SnapshotId: id }), opts));
    },
    async terminate(ids) {
      const res = await call('terminating', () => client.send(new sdk.TerminateInstancesCommand({ InstanceIds: ids }), opts));
      return res.TerminatingInstances ?? [];
    },
    async regions() {
      const res = await call('listing regions', () => client.send(new sdk.DescribeRegionsCommand({}), opts));
      return (res.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean).sort();
    },
  };
}
