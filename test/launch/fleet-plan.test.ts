// Fleet planning, pure: --hosts against the launch plan, the template data, the group request, --scale,
// and a fleet host's name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetResourceName, groupRequest, planFleet, templateData } from '../../src/commands/launch/fleet/plan.js';
import { planLaunch } from '../../src/commands/launch/plan.js';
import { serverFleetName, splitServerAndFleet } from '../../src/commands/launch/fleet/with-server.js';
import { parseScale } from '../../src/commands/list/fleets.js';
import { UsageError } from '../../src/lib/errors.js';
import { fleetHostName } from '../../src/lib/graphterm/delivery.js';

describe('fleet planning', () => {
  const hostPlan = planLaunch({ name: 'node', connectTo: 'lab' });
  it('--hosts: a number, a host role, a plain name, not with --count, --client-token or --replace', () => {
    assert.deepEqual(planFleet('10', true, hostPlan, {}), { name: 'node', hosts: 10, spot: true, resourceName: 'ec2term-node' });
    const bad: [string, Parameters<typeof planFleet>[3], ReturnType<typeof planLaunch>, RegExp][] = [
      ['0', {}, hostPlan, /bad --hosts/], ['101', {}, hostPlan, /bad --hosts/], ['3x', {}, hostPlan, /bad --hosts/],
      ['3', {}, planLaunch({ name: 'node' }), /--connect-to SERVER/],
      ['3', {}, planLaunch({ name: 'node.myterm.test', connectTo: 'lab' }), /plain NAME/],
      ['3', { count: '2' }, hostPlan, /give one/], ['3', { clientToken: 't' }, hostPlan, /--client-token/], ['3', { replace: true }, hostPlan, /--replace/],
    ];
    for (const [n, o, plan, re] of bad) assert.throws(() => planFleet(n, false, plan, o), (e: unknown) => e instanceof UsageError && re.test(e.message), `${n} ${JSON.stringify(o)}`);
  });

  it('template data is the RunInstances request without the count and without a Name tag', () => {
    const data = templateData({
      ImageId: 'ami-1', InstanceType: 't3.small', MinCount: 1, MaxCount: 1, KeyName: 'k', SecurityGroupIds: ['sg-1'], UserData: 'dWQ=',
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'node' }, { Key: 'ec2term:fleet', Value: 'node' }] }],
    });
    assert.deepEqual(data.TagSpecifications, [{ ResourceType: 'instance', Tags: [{ Key: 'ec2term:fleet', Value: 'node' }] }]);
    assert.equal((data as Record<string, unknown>).MinCount, undefined);
    assert.equal(data.KeyName, 'k');
  });

  it('the group: N hosts over the zones, $Latest, spot through a mixed instances policy, the fleet tag propagated', () => {
    const f = planFleet('3', false, hostPlan, {});
    const g = groupRequest(f, 'lt-1', ['us-east-1a', 'us-east-1b'], { 'ec2term:fleet': 'node', 'ec2term:managed': 'true' });
    assert.deepEqual([g.MinSize, g.MaxSize, g.DesiredCapacity, g.AutoScalingGroupName], [0, 3, 3, fleetResourceName('node')]);
    assert.deepEqual(g.LaunchTemplate, { LaunchTemplateId: 'lt-1', Version: '$Latest' });
    assert.deepEqual(g.Tags!.map((t) => [t.Key, t.PropagateAtLaunch]), [['ec2term:fleet', true], ['ec2term:managed', false]]);
    const spot = groupRequest({ ...f, spot: true }, 'lt-1', ['us-east-1a'], {});
    assert.equal(spot.LaunchTemplate, undefined);
    assert.deepEqual(spot.MixedInstancesPolicy!.InstancesDistribution, { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' });
  });

  it('--scale NAME=N and fleet host names', () => {
    assert.deepEqual(parseScale('node=3'), { name: 'node', hosts: 3 });
    for (const bad of ['node', 'node=', '=3', 'node=101', 'No de=1', 'node=-1']) assert.throws(() => parseScale(bad), UsageError, bad);
    assert.equal(fleetHostName('node', 'i-0123456789abcdef0'), 'node-0123456789abcdef0');
  });
  it('--accept-hosts --hosts N NAME: the server with every flag but --hosts/--spot, then its fleet NAME-hosts with the host flags', () => {
    const o = { acceptHosts: true, hosts: '10', spot: true, type: 't3.small', https: true, authType: 'multiuser', createZone: true, pylab: true, ttl: '4h', yes: true, dryRun: true };
    const { server, fleet } = splitServerAndFleet(['lab.myterm.test'], o);
    assert.deepEqual(server, [['lab.myterm.test'], { acceptHosts: true, type: 't3.small', https: true, authType: 'multiuser', createZone: true, pylab: true, ttl: '4h', yes: true, dryRun: true }]);
    assert.deepEqual(fleet, [['lab-hosts'], { type: 't3.small', pylab: true, ttl: '4h', yes: true, dryRun: true, hosts: '10', spot: true, connectTo: 'lab.myterm.test' }]);
    assert.equal(serverFleetName('lab'), 'lab-hosts');
    // Each half is a launch ec2launch plans as it would alone.
    assert.equal(planLaunch({ name: server[0][0], ...server[1] }).role, 'server');
    const f = planLaunch({ name: fleet[0][0], ...fleet[1] });
    assert.deepEqual(planFleet(fleet[1].hosts, fleet[1].spot, f, fleet[1]), { name: 'lab-hosts', hosts: 10, spot: true, resourceName: 'ec2term-lab-hosts' });
  });
});
