// ec2launch --hosts --spot against a sandbox with no spot capacity (EC2TERM_SANDBOX_SPOT_CAPACITY=0): the
// group's spot launches fail as AWS's do, ec2launch switches the group to on-demand, and the fleet comes up
// and joins (the real GraphTerm: the server keys its hosts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { findRuntime } from '../../src/sandbox/graphterm/runtime.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2 } from '../sandbox/sdk.js';

const RUNTIME = findRuntime(process.env);
describe('ec2launch --hosts --spot with no spot capacity', { timeout: 300_000, skip: RUNTIME ? false : 'no GraphTerm runtime: npm run graphterm:runtime' }, () => {
  let sb: TestSandbox;
  let asg: AutoScalingClient;
  const launch = (args: string[]) => runBin('ec2launch', args, { env: sb.env, timeoutMs: 240_000 });

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast', graphterm: 'real', spotCapacity: 0 });
    asg = new AutoScalingClient({ endpoint: sb.url, region: 'us-east-1', credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 1 });
    const r = await launch(['--sandbox', '--yes', '--accept-hosts', 'lab']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => { await sb?.stop(); });

  it('falls back to on-demand instances, says so once, and the fleet comes up', async () => {
    const r = await launch(['--sandbox', '--yes', '--json', '--hosts', '2', '--spot', '--connect-to', 'lab', 'node']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/no spot capacity for node: falling back to on-demand instances/g)?.length, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.fleet.spot, true);
    assert.equal(out.fleet.fellBackToOnDemand, true);
    assert.equal(out.instances.length, 2);
    assert.match(r.stderr, /fleet node: 2 of 2 running, 2 keyed, 2 joined/);

    // The hosts are on-demand; the group's failed activities carry AWS's message.
    const ids = out.instances.map((h: { instanceId: string }) => h.instanceId);
    const reservations = (await ec2(sb).send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? [];
    for (const i of reservations.flatMap((x) => x.Instances ?? [])) assert.equal(i.InstanceLifecycle, undefined, `${i.InstanceId} is on-demand`);
    const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'ec2term-node' }))).Activities ?? [];
    assert.ok(acts.some((a) => a.StatusCode === 'Failed' && /There is no Spot capacity available that matches your request/.test(a.StatusMessage ?? '')), JSON.stringify(acts));

    // The policy says on-demand now, and keeps the rest of what --spot asked for.
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ec2term-node'] }))).AutoScalingGroups![0]!;
    const dist = g.MixedInstancesPolicy!.InstancesDistribution!;
    assert.equal(dist.OnDemandPercentageAboveBaseCapacity, 100);
    assert.equal(dist.OnDemandBaseCapacity, 0);
    assert.equal(dist.SpotAllocationStrategy, 'price-capacity-optimized');
    assert.ok(g.MixedInstancesPolicy!.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId);
  });
});
