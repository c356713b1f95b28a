// Key pairs, security groups, volumes and snapshots through the real SDK.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import {
  AttachVolumeCommand, AuthorizeSecurityGroupIngressCommand, CreateKeyPairCommand, CreateSecurityGroupCommand, CreateSnapshotCommand,
  CreateVolumeCommand, DeleteKeyPairCommand, DeleteSecurityGroupCommand, DeleteSnapshotCommand, DeleteVolumeCommand, DescribeImagesCommand,
  DescribeKeyPairsCommand, DescribeSecurityGroupsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, DetachVolumeCommand,
  ImportKeyPairCommand, RevokeSecurityGroupIngressCommand, RunInstancesCommand, TerminateInstancesCommand, DescribeInstancesCommand, type EC2Client,
} from '@aws-sdk/client-ec2';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, until } from './sdk.js';
import { generateEd25519KeyPair } from '../../src/sandbox/ssh/index.js';

let sb: TestSandbox;
let c: EC2Client;

describe('sandbox EC2 resources', () => {
  before(async () => { sb = await startTestSandbox(); c = ec2(sb); });
  after(async () => { await sb?.stop(); });

  it('creates, imports, describes and deletes key pairs', async () => {
    const rsa = await c.send(new CreateKeyPairCommand({ KeyName: 'rsa-key' }));
    assert.match(rsa.KeyMaterial!, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(rsa.KeyFingerprint!, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    assert.match(rsa.KeyPairId!, /^key-[0-9a-f]{17}$/);
    assert.ok(!(ssh2.utils.parseKey(rsa.KeyMaterial!) instanceof Error), 'ssh2 can read the RSA key');
    const ed = await c.send(new CreateKeyPairCommand({ KeyName: 'ed-key', KeyType: 'ed25519', TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'who', Value: 'me' }] }] }));
    assert.match(ed.KeyMaterial!, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.equal((await errorOf(c.send(new CreateKeyPairCommand({ KeyName: 'ed-key' })))).name, 'InvalidKeyPair.Duplicate');
    const pub = generateEd25519KeyPair().publicKey;
    const imp = await c.send(new ImportKeyPairCommand({ KeyName: 'imported', PublicKeyMaterial: Buffer.from(pub) }));
    assert.ok(imp.KeyFingerprint);
    assert.equal((await errorOf(c.send(new ImportKeyPairCommand({ KeyName: 'junk', PublicKeyMaterial: Buffer.from('not a key') })))).name, 'InvalidKey.Format');
    const all = await c.send(new DescribeKeyPairsCommand({}));
    assert.deepEqual(all.KeyPairs!.map((k) => k.KeyName).sort(), ['ed-key', 'imported', 'rsa-key']);
    const byFilter = await c.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['ed-*'] }], IncludePublicKey: true }));
    assert.equal(byFilter.KeyPairs![0]!.KeyType, 'ed25519');
    assert.match(byFilter.KeyPairs![0]!.PublicKey!, /^ssh-ed25519 AAAA/);
    assert.equal(byFilter.KeyPairs![0]!.Tags![0]!.Value, 'me');
    assert.equal((await errorOf(c.send(new DescribeKeyPairsCommand({ KeyNames: ['none'] })))).name, 'InvalidKeyPair.NotFound');
    await c.send(new DeleteKeyPairCommand({ KeyName: 'imported' }));
    await c.send(new DeleteKeyPairCommand({ KeyName: 'imported' })); // idempotent, like EC2
    assert.equal((await c.send(new DescribeKeyPairsCommand({}))).KeyPairs!.length, 2);
  });

  it('manages security groups and their rules', async () => {
    const g = await c.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers' }));
    assert.match(g.GroupId!, /^sg-[0-9a-f]{17}$/);
    assert.equal((await errorOf(c.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'again' })))).name, 'InvalidGroup.Duplicate');
    const perm = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'me' }] };
    await c.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: [perm] }));
    const dup = await errorOf(c.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: [perm] })));
    assert.equal(dup.name, 'InvalidPermission.Duplicate');
    const d = await c.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['web'] }] }));
    assert.equal(d.SecurityGroups![0]!.IpPermissions![0]!.IpRanges![0]!.CidrIp, '203.0.113.7/32');
    assert.equal(d.SecurityGroups![0]!.IpPermissions![0]!.FromPort, 22);
    const byName = await c.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
    assert.equal(byName.SecurityGroups!.length, 1);
    assert.equal((await errorOf(c.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).name, 'InvalidGroup.NotFound');

    const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const run = await c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SecurityGroupIds: [g.GroupId!] }));
    const id = run.Instances![0]!.InstanceId!;
    assert.equal(run.Instances![0]!.SecurityGroups![0]!.GroupName, 'web');
    assert.equal((await errorOf(c.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })))).name, 'DependencyViolation');
    await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await until(async () => (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name === 'terminated', 5000, 'terminated');
    await c.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: [perm] }));
    assert.equal((await errorOf(c.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: [perm] })))).name, 'InvalidPermission.NotFound');
    await c.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId }));
  });

  it('moves volumes and snapshots through their states', async () => {
    const v = await c.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'gp3', TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'data' }] }] }));
    assert.equal(v.State, 'creating');
    const vid = v.VolumeId!;
    await until(async () => (await c.send(new DescribeVolumesCommand({ VolumeIds: [vid] }))).Volumes![0]!.State === 'available', 3000, 'available');
    const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const id = (await c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }))).Instances![0]!.InstanceId!;
    await until(async () => (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name === 'running', 5000, 'running');
    const att = await c.send(new AttachVolumeCommand({ VolumeId: vid, InstanceId: id, Device: '/dev/sdf' }));
    assert.equal(att.State, 'attaching');
    const inUse = await c.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }, { Name: 'tag:Name', Values: ['data'] }] }));
    assert.equal(inUse.Volumes![0]!.State, 'in-use');
    assert.equal((await errorOf(c.send(new DeleteVolumeCommand({ VolumeId: vid })))).name, 'VolumeInUse');
    const snap = await c.send(new CreateSnapshotCommand({ VolumeId: vid, Description: 'backup', TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'k', Value: 'v' }] }] }));
    assert.equal(snap.State, 'pending');
    await until(async () => (await c.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:k', Values: ['v'] }] }))).Snapshots![0]!.State === 'completed', 3000, 'completed');
    await c.send(new DetachVolumeCommand({ VolumeId: vid }));
    assert.equal((await c.send(new DescribeVolumesCommand({ VolumeIds: [vid] }))).Volumes![0]!.State, 'available');
    // a new instance can boot with a volume made from the snapshot
    const r2 = await c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro',
      BlockDeviceMappings: [{ DeviceName: '/dev/sdg', Ebs: { SnapshotId: snap.SnapshotId, DeleteOnTermination: false } }] }));
    const vols = await c.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [r2.Instances![0]!.InstanceId!] }] }));
    assert.ok(vols.Volumes!.some((x) => x.SnapshotId === snap.SnapshotId && x.Size === 10));
    await c.send(new DeleteVolumeCommand({ VolumeId: vid }));
    await c.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId }));
    assert.equal((await errorOf(c.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId })))).name, 'InvalidSnapshot.NotFound');
    await c.send(new TerminateInstancesCommand({ InstanceIds: [id, r2.Instances![0]!.InstanceId!] }));
  });
});
