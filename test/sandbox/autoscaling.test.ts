// Launch templates and Auto Scaling groups on the sandbox, through the SDK and awscli: versions, groups
// meeting their desired capacity from the template, replacement of a host killed by hand, scale-in,
// and AWS's refusals (ResourceInUse without ForceDelete, AlreadyExists, bounds).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AutoScalingClient, CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand, DescribeScalingActivitiesCommand, SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand, UpdateAutoScalingGroupCommand, type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateKeyPairCommand, CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, DeleteLaunchTemplateCommand,
  DescribeImagesCommand, DescribeInstancesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand, TerminateInstancesCommand, type EC2Client,
} from '@aws-sdk/client-ec2';
import { awsCli, findAws, type AwsCli } from '../helpers/awscli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, until } from './sdk.js';

let sb: TestSandbox;
let c: EC2Client;
let asg: AutoScalingClient;
let ami: string;

const group = async (name: string): Promise<AutoScalingGroup | undefined> =>
  (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
const inService = async (name: string, n: number) => {
  const g = await group(name);
  const ok = g?.Instances?.filter((i) => i.LifecycleState === 'InService') ?? [];
  return ok.length === n && g!.Instances!.length === n ? g : undefined;
};

describe('sandbox launch templates and Auto Scaling groups', () => {
  before(async () => {
    sb = await startTestSandbox();
    c = ec2(sb);
    asg = new AutoScalingClient({ endpoint: sb.url, region: 'us-east-1', credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 1 });
    ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    await c.send(new CreateKeyPairCommand({ KeyName: 'fleet-key' }));
  });
  after(async () => { await sb?.stop(); });

  it('launch templates are versioned; the default version moves; names are unique', async () => {
    const userData = Buffer.from('#!/bin/sh\necho hi\n').toString('base64');
    const t = (await c.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'lt-sdk', VersionDescription: 'first',
      LaunchTemplateData: {
        ImageId: ami, InstanceType: 't3.micro', KeyName: 'fleet-key', UserData: userData,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'host' }] }],
        InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.01' } },
      },
    }))).LaunchTemplate!;
    assert.match(t.LaunchTemplateId!, /^lt-[0-9a-f]{17}$/);
    assert.equal(t.LatestVersionNumber, 1);
    const v2 = (await c.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: t.LaunchTemplateId, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.small' } }))).LaunchTemplateVersion!;
    assert.equal(v2.VersionNumber, 2);
    assert.equal(v2.LaunchTemplateData!.ImageId, ami, 'SourceVersion carries the rest over');
    assert.equal(v2.LaunchTemplateData!.InstanceType, 't3.small');
    assert.equal(v2.LaunchTemplateData!.InstanceMarketOptions!.SpotOptions!.MaxPrice, '0.01');
    assert.deepEqual(v2.LaunchTemplateData!.TagSpecifications, [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'host' }] }]);
    await c.send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'lt-sdk', DefaultVersion: '2' }));
    const d = (await c.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['lt-sdk'] }))).LaunchTemplates![0]!;
    assert.equal(d.DefaultVersionNumber, 2);
    const vs = (await c.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: t.LaunchTemplateId, Versions: ['$Default', '1'] }))).LaunchTemplateVersions!;
    assert.deepEqual(vs.map((v) => [v.VersionNumber, v.DefaultVersion]), [[2, true], [1, false]]);
    assert.equal((await errorOf(c.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'lt-sdk', LaunchTemplateData: { ImageId: ami } })))).name, 'InvalidLaunchTemplateName.AlreadyExistsException');
    assert.equal((await errorOf(c.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: t.LaunchTemplateId, Versions: ['9'] })))).name, 'InvalidLaunchTemplateId.VersionNotFound');
    await c.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: t.LaunchTemplateId }));
    assert.equal((await errorOf(c.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [t.LaunchTemplateId!] })))).name, 'InvalidLaunchTemplateId.NotFound');
  });

  it('a group launches from its template, replaces a host terminated by hand, scales in, and refuses deletion while it has instances', async () => {
    const t = (await c.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'lt-group', LaunchTemplateData: { ImageId: ami, InstanceType: 't3.micro', KeyName: 'fleet-key' } }))).LaunchTemplate!;
    await asg.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'fleet', LaunchTemplate: { LaunchTemplateId: t.LaunchTemplateId, Version: '$Latest' },
      MinSize: 0, MaxSize: 5, DesiredCapacity: 3, AvailabilityZones: ['us-east-1a', 'us-east-1b'],
      Tags: [{ Key: 'Name', Value: 'fleet-host', PropagateAtLaunch: true }, { Key: 'team', Value: 'x', PropagateAtLaunch: false }],
    }));
    assert.equal((await errorOf(asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'fleet', LaunchTemplate: { LaunchTemplateId: t.LaunchTemplateId }, MinSize: 0, MaxSize: 1, AvailabilityZones: ['us-east-1a'] })))).name, 'AlreadyExistsFault', 'the SDK names the AlreadyExists code by its fault shape');
    const g = await until(() => inService('fleet', 3), 10_000, '3 in service');
    const ids = g.Instances!.map((i) => i.InstanceId!);
    assert.deepEqual([...new Set(g.Instances!.map((i) => i.AvailabilityZone))].sort(), ['us-east-1a', 'us-east-1b'], 'spread over the zones');
    const insts = (await c.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!);
    for (const i of insts) {
      const tags = Object.fromEntries(i.Tags!.map((x) => [x.Key, x.Value]));
      assert.equal(tags.Name, 'fleet-host');
      assert.equal(tags['aws:autoscaling:groupName'], 'fleet');
      assert.equal(tags.team, undefined, 'PropagateAtLaunch false stays on the group');
      assert.equal(i.KeyName, 'fleet-key');
    }

    // Killed by hand: replaced.
    await c.send(new TerminateInstancesCommand({ InstanceIds: [ids[0]!] }));
    const replaced = await until(async () => {
      const x = await inService('fleet', 3);
      return x && !x.Instances!.some((i) => i.InstanceId === ids[0]) ? x : undefined;
    }, 10_000, 'a replacement');
    assert.equal(replaced.Instances!.filter((i) => ids.includes(i.InstanceId!)).length, 2);
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'fleet' }))).Activities!;
    assert.ok(acts.some((a) => a.Description === `Terminating EC2 instance: ${ids[0]}` && /status check failure/.test(a.Cause!)));
    assert.equal(acts.filter((a) => a.Description!.startsWith('Launching a new EC2 instance: ')).length, 4);

    // Scale in, bounds, ResourceInUse, TerminateInstanceInAutoScalingGroup.
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'fleet', DesiredCapacity: 2 }));
    await until(() => inService('fleet', 2), 10_000, 'scale-in to 2');
    assert.match((await errorOf(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'fleet', DesiredCapacity: 6 })))).message, /above max value 5/);
    assert.equal((await errorOf(asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'fleet' })))).name, 'ResourceInUseFault');
    const one = (await group('fleet'))!.Instances![0]!.InstanceId!;
    const act = (await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: one, ShouldDecrementDesiredCapacity: true }))).Activity!;
    assert.equal(act.Description, `Terminating EC2 instance: ${one}`);
    await until(() => inService('fleet', 1), 10_000, 'one left');
    const si = (await asg.send(new DescribeAutoScalingInstancesCommand({}))).AutoScalingInstances!;
    assert.equal(si.length, 1);
    assert.equal(si[0]!.HealthStatus, 'HEALTHY');
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'fleet', MinSize: 2 }));
    assert.equal((await group('fleet'))!.DesiredCapacity, 2, 'a higher min raises the desired capacity');

    // ForceDelete: terminates everything, then the group goes.
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'fleet', ForceDelete: true }));
    assert.equal((await group('fleet'))?.Status, 'Delete in progress');
    await until(async () => !(await group('fleet')), 10_000, 'the group gone');
    const left = (await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['fleet'] }, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] }))).Reservations!;
    assert.equal(left.length, 0);
  });

  it('a mixed instances policy launches the on-demand base, then spot', async () => {
    await c.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'lt-mixed', LaunchTemplateData: { ImageId: ami } }));
    await asg.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'mixed', MinSize: 0, MaxSize: 4, DesiredCapacity: 3, AvailabilityZones: ['us-east-1c'],
      MixedInstancesPolicy: {
        LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'lt-mixed', Version: '$Default' }, Overrides: [{ InstanceType: 't3.small' }] },
        InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
      },
    }));
    const g = await until(() => inService('mixed', 3), 10_000, 'mixed group');
    assert.equal(g.MixedInstancesPolicy!.InstancesDistribution!.OnDemandBaseCapacity, 1);
    assert.deepEqual(g.Instances!.map((i) => i.InstanceType), ['t3.small', 't3.small', 't3.small']);
    const insts = (await c.send(new DescribeInstancesCommand({ InstanceIds: g.Instances!.map((i) => i.InstanceId!) }))).Reservations!.flatMap((r) => r.Instances!);
    assert.deepEqual(insts.map((i) => i.InstanceLifecycle ?? 'on-demand').sort(), ['on-demand', 'spot', 'spot']);
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'mixed', ForceDelete: true }));
  });
});

describe('Auto Scaling with no spot capacity (EC2TERM_SANDBOX_SPOT_CAPACITY=0)', () => {
  let nsb: TestSandbox;
  before(async () => { nsb = await startTestSandbox({ spotCapacity: 0 }); });
  after(async () => { await nsb?.stop(); });

  it('spot launches fail with AWS\'s message and the group stays short; a partial policy update to on-demand fills it', async () => {
    const nc = ec2(nsb);
    const nasg = new AutoScalingClient({ endpoint: nsb.url, region: 'us-east-1', credentials: { accessKeyId: nsb.info.accessKeyId, secretAccessKey: nsb.info.secretAccessKey }, maxAttempts: 1 });
    const img = (await nc.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    await nc.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'lt-spot', LaunchTemplateData: { ImageId: img } }));
    await nasg.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'spot', MinSize: 0, MaxSize: 2, DesiredCapacity: 2, AvailabilityZones: ['us-east-1a'],
      MixedInstancesPolicy: {
        LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'lt-spot', Version: '$Latest' } },
        InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
      },
    }));
    const failed = await until(async () => (await nasg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'spot' }))).Activities?.find((a) => a.StatusCode === 'Failed'), 10_000, 'a failed launch');
    assert.equal(failed.StatusMessage, 'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.');
    assert.match(failed.Description!, /^Launching a new EC2 instance\.  Status Reason: Could not launch Spot Instances/);
    const short = (await nasg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['spot'] }))).AutoScalingGroups![0]!;
    assert.deepEqual([short.DesiredCapacity, short.Instances?.length ?? 0], [2, 0]);

    // Only the distribution is given: the template and the spot strategy stay (UpdateAutoScalingGroup changes what it names).
    await nasg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'spot', MixedInstancesPolicy: { InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 100 } } }));
    const g = await until(async () => {
      const x = (await nasg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['spot'] }))).AutoScalingGroups![0]!;
      return x.Instances?.filter((i) => i.LifecycleState === 'InService').length === 2 ? x : undefined;
    }, 10_000, 'the group filled on-demand');
    assert.equal(g.MixedInstancesPolicy!.LaunchTemplate!.LaunchTemplateSpecification!.LaunchTemplateName, 'lt-spot');
    assert.deepEqual(g.MixedInstancesPolicy!.InstancesDistribution, { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100, SpotAllocationStrategy: 'price-capacity-optimized' });
    const insts = (await nc.send(new DescribeInstancesCommand({ InstanceIds: g.Instances!.map((i) => i.InstanceId!) }))).Reservations!.flatMap((r) => r.Instances!);
    assert.deepEqual(insts.map((i) => i.InstanceLifecycle ?? 'on-demand'), ['on-demand', 'on-demand']);
    await nasg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'spot', ForceDelete: true }));
  });
});

describe('Auto Scaling through awscli', { skip: findAws() ? false : 'awscli not installed' }, () => {
  let aws: AwsCli;
  let lsb: TestSandbox;
  before(async () => { lsb = await startTestSandbox(); aws = awsCli(lsb); });
  after(async () => { await lsb?.stop(); });

  it('awscli creates a template and a group across subnets, sees it fill, and force-deletes it', async () => {
    const img = (await aws('ec2', 'describe-images', '--owners', '099720109477')).Images[0].ImageId as string;
    const lt = await aws('ec2', 'create-launch-template', '--launch-template-name', 'cli-lt', '--version-description', 'v1',
      '--launch-template-data', JSON.stringify({ ImageId: img, InstanceType: 't3.micro', SecurityGroupIds: [], UserData: Buffer.from('#!/bin/sh\n').toString('base64'),
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'cli-host' }] }] }));
    const id = lt.LaunchTemplate.LaunchTemplateId as string;
    await aws('ec2', 'create-launch-template-version', '--launch-template-id', id, '--source-version', '1', '--launch-template-data', '{"InstanceType":"t3.small"}');
    await aws('ec2', 'modify-launch-template', '--launch-template-id', id, '--default-version', '2');
    const vs = await aws('ec2', 'describe-launch-template-versions', '--launch-template-id', id);
    assert.deepEqual(vs.LaunchTemplateVersions.map((v: any) => [v.VersionNumber, v.DefaultVersion, v.LaunchTemplateData.InstanceType]), [[1, false, 't3.micro'], [2, true, 't3.small']]);

    const subnets = (await aws('ec2', 'describe-instances')).Reservations; // none yet: subnets come from a launched instance
    assert.deepEqual(subnets, []);
    const probe = await aws('ec2', 'run-instances', '--image-id', img, '--placement', 'AvailabilityZone=us-east-1b');
    const subnet = probe.Instances[0].SubnetId as string;
    await aws('ec2', 'terminate-instances', '--instance-ids', probe.Instances[0].InstanceId);

    await aws('autoscaling', 'create-auto-scaling-group', '--auto-scaling-group-name', 'cli-fleet', '--launch-template', `LaunchTemplateId=${id}`,
      '--min-size', '0', '--max-size', '4', '--desired-capacity', '2', '--vpc-zone-identifier', subnet,
      '--tags', 'Key=course,Value=intro,PropagateAtLaunch=true');
    const filled = await until(async () => {
      const g = (await aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', 'cli-fleet')).AutoScalingGroups[0];
      return g.Instances.length === 2 && g.Instances.every((i: any) => i.LifecycleState === 'InService') ? g : undefined;
    }, 20_000, 'the group filled');
    assert.equal(filled.VPCZoneIdentifier, subnet);
    assert.deepEqual(filled.AvailabilityZones, ['us-east-1b']);
    assert.deepEqual(filled.Instances.map((i: any) => i.InstanceType), ['t3.small', 't3.small'], 'the default version ($Default = 2)');
    assert.deepEqual(filled.Tags, [{ ResourceId: 'cli-fleet', ResourceType: 'auto-scaling-group', Key: 'course', Value: 'intro', PropagateAtLaunch: true }]);
    const err = await aws('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'cli-fleet').then(() => '', (e) => String(e.stderr));
    assert.match(err, /ResourceInUse/);
    const acts = await aws('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', 'cli-fleet');
    assert.equal(acts.Activities.length, 2);
    await aws('autoscaling', 'delete-auto-scaling-group', '--auto-scaling-group-name', 'cli-fleet', '--force-delete');
    await until(async () => (await aws('autoscaling', 'describe-auto-scaling-groups')).AutoScalingGroups.length === 0, 20_000, 'deleted');
    await aws('ec2', 'delete-launch-template', '--launch-template-id', id);
    assert.deepEqual((await aws('ec2', 'describe-launch-templates')).LaunchTemplates, []);
  });
});
