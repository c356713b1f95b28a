// EC2 instances through the real SDK: run, describe (filters, pagination), status, stop/start/terminate, idempotency, DryRun.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateKeyPairCommand, CreateTagsCommand, DeleteTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand, DescribeAvailabilityZonesCommand, DescribeRegionsCommand, GetConsoleOutputCommand, RunInstancesCommand,
  StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, DescribeVolumesCommand, paginateDescribeInstances, type EC2Client,
} from '@aws-sdk/client-ec2';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, until } from './sdk.js';

let sb: TestSandbox;
let c: EC2Client;
let ami: string;

async function stateOf(id: string): Promise<string | undefined> {
  const d = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return d.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('sandbox EC2 instances', () => {
  before(async () => {
    sb = await startTestSandbox();
    c = ec2(sb);
    const imgs = await c.send(new DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*'] }, { Name: 'state', Values: ['available'] }] }));
    assert.equal(imgs.Images?.length, 1);
    ami = imgs.Images![0]!.ImageId!;
    await c.send(new CreateKeyPairCommand({ KeyName: 'main', KeyType: 'ed25519' }));
  });
  after(async () => { await sb?.stop(); });

  it('serves the catalog: regions, zones, images, instance types', async () => {
    const regions = await c.send(new DescribeRegionsCommand({}));
    assert.ok(regions.Regions!.some((r) => r.RegionName === 'eu-west-1'));
    const zones = await c.send(new DescribeAvailabilityZonesCommand({}));
    assert.equal(zones.AvailabilityZones![0]!.ZoneName, 'us-east-1a');
    const amazon = await c.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    assert.match(amazon.Images![0]!.Name!, /^al2023-ami/);
    const debian = await c.send(new DescribeImagesCommand({ Owners: ['136693071363'] }));
    assert.match(debian.Images![0]!.Name!, /^debian-12/);
    const jammy = await c.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['*jammy-22.04*'] }] }));
    assert.equal(jammy.Images!.length, 2, 'jammy for x86_64 and arm64 (the default image)');
    const types = await c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro', 't4g.small'] }));
    const micro = types.InstanceTypes!.find((t) => t.InstanceType === 't3.micro')!;
    assert.equal(micro.MemoryInfo!.SizeInMiB, 1024);
    assert.equal(micro.VCpuInfo!.DefaultVCpus, 2);
    assert.deepEqual(types.InstanceTypes!.find((t) => t.InstanceType === 't4g.small')!.ProcessorInfo!.SupportedArchitectures, ['arm64']);
    const other = ec2(sb, 'eu-west-1');
    const euImg = await other.send(new DescribeImagesCommand({ Owners: ['099720109477'] }));
    assert.ok(euImg.Images!.every((i) => i.ImageId !== ami), 'image ids differ per region');
  });

  it('runs an instance through pending -> running with realistic fields, then stop/start/terminate', async () => {
    const run = await c.send(new RunInstancesCommand({
      ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: 'main',
      UserData: Buffer.from('#!/bin/bash\necho hi\n').toString('base64'),
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'alpha' }] }, { ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'alpha-root' }] }],
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
      InstanceInitiatedShutdownBehavior: 'terminate',
    }));
    const inst = run.Instances![0]!;
    assert.match(inst.InstanceId!, /^i-[0-9a-f]{17}$/);
    assert.match(run.ReservationId!, /^r-[0-9a-f]{17}$/);
    assert.equal(inst.State!.Name, 'pending');
    assert.equal(inst.State!.Code, 0);
    const id = inst.InstanceId!;
    await until(async () => (await stateOf(id)) === 'running', 5000, 'running');
    const d = (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    assert.equal(d.State!.Code, 16);
    assert.match(d.PublicIpAddress!, /^127\.\d+\.\d+\.\d+$/);
    assert.match(d.PrivateIpAddress!, /^172\.31\.\d+\.\d+$/);
    assert.equal(d.PrivateDnsName, `ip-${d.PrivateIpAddress!.replace(/\./g, '-')}.ec2.internal`);
    assert.equal(d.PublicDnsName, `ec2-${d.PublicIpAddress!.replace(/\./g, '-')}.compute-1.amazonaws.com`);
    assert.equal(d.KeyName, 'main');
    assert.equal(d.RootDeviceName, '/dev/sda1');
    assert.equal(d.Placement!.AvailabilityZone, 'us-east-1a');
    assert.equal(d.Architecture, 'x86_64');
    assert.ok(d.LaunchTime instanceof Date);
    assert.equal(d.SecurityGroups![0]!.GroupName, 'default');
    const port = d.Tags!.find((t) => t.Key === 'ec2term:ssh-port')?.Value;
    assert.match(port ?? '', /^\d+$/);
    const ssh = await sb.admin('GET', `instances/${id}/ssh`);
    assert.equal(String(ssh.port), port);
    assert.equal(ssh.listening, true);
    const vols = await c.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }));
    assert.equal(vols.Volumes![0]!.Size, 20);
    assert.equal(vols.Volumes![0]!.Tags![0]!.Value, 'alpha-root');

    // user-data simulation writes the setup marker under the instance root
    const marker = join(sb.dir, 'instances', 'us-east-1', id, 'root', 'home', 'ubuntu', 'SETUP_STATUS');
    await until(async () => existsSync(marker), 5000, 'SETUP_STATUS');
    const status = await until(async () => {
      const st = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
      return st.InstanceStatuses?.[0]?.InstanceStatus?.Status === 'ok' && st.InstanceStatuses[0];
    }, 5000, 'status ok');
    assert.equal(status.SystemStatus!.Status, 'ok');

    const out = await c.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true }));
    const text = Buffer.from(out.Output!, 'base64').toString();
    assert.match(text, /-----BEGIN SSH HOST KEY FINGERPRINTS-----/);
    assert.ok(text.includes(ssh.hostKeyFingerprint), 'console shows the real host key fingerprint');

    const stop = await c.send(new StopInstancesCommand({ InstanceIds: [id], Force: true }));
    assert.deepEqual([stop.StoppingInstances![0]!.PreviousState!.Name, stop.StoppingInstances![0]!.CurrentState!.Name], ['running', 'stopping']);
    assert.equal((await sb.admin('GET', `instances/${id}/ssh`)).listening, false);
    await until(async () => (await stateOf(id)) === 'stopped', 5000, 'stopped');
    const stopped = (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    assert.equal(stopped.PublicIpAddress, undefined);
    assert.equal(stopped.StateReason?.Code, 'Client.UserInitiatedShutdown');

    const start = await c.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.equal(start.StartingInstances![0]!.CurrentState!.Name, 'pending');
    await until(async () => (await stateOf(id)) === 'running', 5000, 'running again');
    const again = await sb.admin('GET', `instances/${id}/ssh`);
    assert.equal(again.port, ssh.port, 'same SSH port after restart');
    assert.equal(again.hostKeyFingerprint, ssh.hostKeyFingerprint, 'same host key after restart');
    // As on EC2: a started instance gets a new public address and DNS name; the private one stays.
    const restarted = (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    assert.match(restarted.PublicIpAddress!, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(restarted.PublicIpAddress, d.PublicIpAddress, 'new public address after a stop and start');
    assert.equal(restarted.PublicDnsName, `ec2-${restarted.PublicIpAddress!.replace(/\./g, '-')}.compute-1.amazonaws.com`);
    assert.equal(restarted.PrivateIpAddress, d.PrivateIpAddress, 'same private address');
    assert.equal(again.publicIp, restarted.PublicIpAddress);
    if (ssh.host !== '127.0.0.1') assert.equal(again.host, restarted.PublicIpAddress, 'SSH listens on the new address');

    const term = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(term.TerminatingInstances![0]!.CurrentState!.Name, 'shutting-down');
    await until(async () => (await stateOf(id)) === 'terminated', 5000, 'terminated');
    const gone = await c.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }));
    assert.equal(gone.Volumes!.length, 0, 'DeleteOnTermination volume deleted');
    const e = await errorOf(c.send(new StopInstancesCommand({ InstanceIds: [id] })));
    assert.equal(e.name, 'IncorrectInstanceState');
  });

  it('validates RunInstances like EC2', async () => {
    const base = { ImageId: ami, InstanceType: 't3.micro' as const, MinCount: 1, MaxCount: 1 };
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, KeyName: 'nope' })))).name, 'InvalidKeyPair.NotFound');
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, ImageId: 'ami-0123456789abcdef0' })))).name, 'InvalidAMIID.NotFound');
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, InstanceType: 'x9.huge' as never })))).name, 'InvalidParameterValue');
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, InstanceType: 't4g.small' })))).name, 'InvalidParameterValue');
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, SecurityGroupIds: ['sg-0123456789abcdef0'] })))).name, 'InvalidGroup.NotFound');
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ...base, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { SnapshotId: 'snap-0123456789abcdef0' } }] })))).name, 'InvalidSnapshot.NotFound');
    const dry = await errorOf(c.send(new RunInstancesCommand({ ...base, DryRun: true })));
    assert.deepEqual([dry.name, dry.status], ['DryRunOperation', 412]);
    const bad = await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    assert.deepEqual([bad.name, bad.message], ['InvalidInstanceID.NotFound', "The instance ID 'i-0123456789abcdef0' does not exist"]);
  });

  it('honours ClientToken idempotency', async () => {
    const p = { ImageId: ami, InstanceType: 't3.micro' as const, MinCount: 2, MaxCount: 2, ClientToken: 'tok-1' };
    const a = await c.send(new RunInstancesCommand(p));
    const b = await c.send(new RunInstancesCommand(p));
    assert.equal(a.ReservationId, b.ReservationId);
    assert.deepEqual(a.Instances!.map((i) => i.InstanceId), b.Instances!.map((i) => i.InstanceId));
    assert.equal(a.Instances!.length, 2);
    const e = await errorOf(c.send(new RunInstancesCommand({ ...p, InstanceType: 't3.small' })));
    assert.equal(e.name, 'IdempotentParameterMismatch');
    const d = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['tok-1'] }] }));
    assert.equal(d.Reservations!.length, 1);
    assert.equal(d.Reservations![0]!.Instances!.length, 2);
    await c.send(new TerminateInstancesCommand({ InstanceIds: a.Instances!.map((i) => i.InstanceId!) }));
  });

  it('filters by tags, wildcards, state, addresses; tags come and go', async () => {
    const run = await c.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.small', MinCount: 3, MaxCount: 3, KeyName: 'main',
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'filt' }, { Key: 'team', Value: 'blue' }] }] }));
    const ids = run.Instances!.map((i) => i.InstanceId!);
    await c.send(new CreateTagsCommand({ Resources: [ids[0]!], Tags: [{ Key: 'Name', Value: 'filt-special' }, { Key: 'env', Value: 'prod' }] }));
    const q = async (Filters: { Name: string; Values: string[] }[]) =>
      ((await c.send(new DescribeInstancesCommand({ Filters }))).Reservations ?? []).flatMap((r) => r.Instances!.map((i) => i.InstanceId!)).filter((x) => ids.includes(x)).sort();
    assert.deepEqual(await q([{ Name: 'tag:Name', Values: ['filt'] }]), ids.slice(1).sort());
    assert.deepEqual(await q([{ Name: 'tag:Name', Values: ['filt*'] }]), [...ids].sort());
    assert.deepEqual(await q([{ Name: 'tag:Name', Values: ['filt-sp?cial'] }]), [ids[0]]);
    assert.deepEqual(await q([{ Name: 'tag-key', Values: ['env'] }]), [ids[0]]);
    assert.deepEqual(await q([{ Name: 'tag:team', Values: ['blue'] }, { Name: 'tag:env', Values: ['prod'] }]), [ids[0]]);
    assert.deepEqual(await q([{ Name: 'instance-type', Values: ['t3.small'] }, { Name: 'key-name', Values: ['main'] }]), [...ids].sort());
    await until(async () => (await q([{ Name: 'instance-state-name', Values: ['running'] }])).length === 3, 5000, 'running');
    const one = (await c.send(new DescribeInstancesCommand({ InstanceIds: [ids[1]!] }))).Reservations![0]!.Instances![0]!;
    assert.deepEqual(await q([{ Name: 'ip-address', Values: [one.PublicIpAddress!] }]), [ids[1]]);
    assert.deepEqual(await q([{ Name: 'dns-name', Values: [one.PublicDnsName!] }]), [ids[1]]);
    assert.deepEqual(await q([{ Name: 'private-ip-address', Values: [one.PrivateIpAddress!] }]), [ids[1]]);
    await c.send(new DeleteTagsCommand({ Resources: [ids[0]!], Tags: [{ Key: 'env' }] }));
    assert.deepEqual(await q([{ Name: 'tag-key', Values: ['env'] }]), []);
    assert.equal((await errorOf(c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'bogus-filter', Values: ['x'] }] })))).name, 'InvalidParameterValue');
    const all = await c.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true, InstanceIds: ids }));
    assert.equal(all.InstanceStatuses!.length, 3);
    await c.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    const st = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: ids }));
    assert.equal(st.InstanceStatuses!.length, 0, 'without IncludeAllInstances only running ones are listed');
  });

  it('paginates DescribeInstances with MaxResults/NextToken', async () => {
    const other = ec2(sb, 'us-west-2');
    await sb.admin('POST', 'bulk-instances', { region: 'us-west-2', count: 23, namePrefix: 'pg-' });
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: other, pageSize: 5 }, {})) {
      pages++;
      const n = page.Reservations!.flatMap((r) => r.Instances!).length;
      assert.ok(n <= 5);
      seen.push(...page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
    }
    assert.equal(pages, 5);
    assert.equal(new Set(seen).size, 23);
    assert.equal((await errorOf(other.send(new DescribeInstancesCommand({ MaxResults: 2 })))).name, 'InvalidParameterValue');
    assert.equal((await errorOf(other.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [seen[0]!] })))).name, 'InvalidParameterCombination');
  });
});
