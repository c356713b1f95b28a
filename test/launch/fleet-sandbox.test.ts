// ec2launch --hosts against the sandbox running the real GraphTerm: a launch template and an Auto Scaling
// group of hosts named from their instance ids, each joining the server with its own key; a host killed by
// hand is replaced by the group and joins by itself (the server's key responder); ec2list shows, scales and removes the
// fleet (awscli and the SDK confirm nothing is left).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { awsCli, findAws } from '../helpers/awscli.js';
import { findRuntime } from '../../src/sandbox/graphterm/runtime.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, until } from '../sandbox/sdk.js';

const RUNTIME = findRuntime(process.env);
describe('ec2launch --hosts (a fleet) against the sandbox', { timeout: 600_000, skip: RUNTIME ? false : 'no GraphTerm runtime: npm run graphterm:runtime' }, () => {
  let sb: TestSandbox;
  let asg: AutoScalingClient;
  const launch = (args: string[]) => runBin('ec2launch', args, { env: sb.env, timeoutMs: 300_000 });
  const list = (args: string[]) => runBin('ec2list', args, { env: sb.env, timeoutMs: 120_000 });
  const group = async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ec2term-node'] }))).AutoScalingGroups?.[0];

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast', graphterm: 'real' });
    asg = new AutoScalingClient({ endpoint: sb.url, region: 'us-east-1', credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 1 });
    const r = await launch(['--sandbox', '--yes', '--accept-hosts', 'lab']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => { await sb?.stop(); });

  it('refuses what a fleet cannot be, before any request', async () => {
    for (const [args, re] of [
      [['--hosts', '3', 'node'], /--connect-to SERVER/],
      [['--hosts', '0', '--connect-to', 'lab', 'node'], /bad --hosts/],
      [['--hosts', '3', '--count', '2', '--connect-to', 'lab', 'node'], /give one/],
      [['--hosts', '3', '--connect-to', 'lab', 'node.myterm.test'], /plain NAME/],
      [['--spot', 'node'], /--spot is for fleets/],
    ] as [string[], RegExp][]) {
      const r = await launch(['--sandbox', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const dry = await launch(['--sandbox', '--dry-run', '--hosts', '3', '--connect-to', 'lab', 'node']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /fleet: +launch template ec2term-node .* Auto Scaling group ec2term-node of 3 hosts named node-<instance id>/);
    assert.equal(await group(), undefined, 'a dry run makes no group');
  });

  it('launches a fleet from a launch template through an Auto Scaling group; a host killed by hand is replaced', async () => {
    const r = await launch(['--sandbox', '--yes', '--json', '--hosts', '3', '--connect-to', 'lab', 'node']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.fleet.group, 'ec2term-node');
    assert.equal(out.instances.length, 3);
    for (const h of out.instances) assert.equal(h.name, `node-${h.instanceId.slice(2)}`);
    assert.match(r.stderr, /fleet node: 3 of 3 running, 3 keyed, 3 joined/);
    for (const h of out.instances) assert.equal(h.keyDelivered, true);

    const c = ec2(sb);
    const t = (await c.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['ec2term-node'] }))).LaunchTemplates![0]!;
    assert.equal(t.LatestVersionNumber, 1);
    const g = (await group())!;
    assert.equal(g.DesiredCapacity, 3);
    assert.equal(g.LaunchTemplate?.LaunchTemplateId, t.LaunchTemplateId);
    const insts = (await c.send(new DescribeInstancesCommand({ InstanceIds: out.instances.map((h: { instanceId: string }) => h.instanceId) }))).Reservations!.flatMap((x) => x.Instances!);
    for (const i of insts) {
      const tags = Object.fromEntries(i.Tags!.map((x) => [x.Key, x.Value]));
      assert.equal(tags['ec2term:fleet'], 'node');
      assert.equal(tags['ec2term:managed'], 'true');
      assert.equal(tags['aws:autoscaling:groupName'], 'ec2term-node');
    }

    // Killed behind the group's back (the EC2 API): the group replaces it, and the new host asks the
    // server's key responder for its key with its signed identity document: it joins with no ec2launch.
    const joined = async () => {
      const r = await runBin('ec2ssh', ['--sandbox', 'lab', 'ec2term-graphterm hosts'], { env: sb.env, timeoutMs: 60_000 });
      return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
    };
    assert.deepEqual((await joined()).sort(), out.instances.map((h: { name: string }) => h.name).sort());
    const killed = out.instances[0].instanceId as string;
    await c.send(new TerminateInstancesCommand({ InstanceIds: [killed] }));
    let replacement = '';
    await until(async () => {
      const x = await group();
      const ids = (x?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
      replacement = ids.find((id) => !out.instances.some((h: { instanceId: string }) => h.instanceId === id)) ?? '';
      return ids.length === 3 && !ids.includes(killed);
    }, 20_000, 'a replacement');
    await until(async () => (await joined()).includes(`node-${replacement.slice(2)}`), 120_000, 'the replacement in the server\'s host list');
    const now = await joined();
    assert.equal(now.length, 3, now.join(' '));
    assert.ok(!now.includes(out.instances[0].name), 'the killed host is gone from the list');

    // Running ec2launch again still works (the SSH-delivered keys): it names the new host and finds it joined.
    const again = await launch(['--sandbox', '--yes', '--json', '--hosts', '3', '--connect-to', 'lab', 'node']);
    assert.equal(again.code, 0, again.stderr);
    const hosts = JSON.parse(again.stdout).instances as { instanceId: string; name: string }[];
    assert.equal(hosts.length, 3);
    assert.ok(!hosts.some((h) => h.instanceId === killed));
    assert.match(again.stderr, /exists \(3 hosts\); continuing with it/);
    assert.match(again.stderr, /fleet node: 3 of 3 running, 3 keyed, 3 joined/, 'the replacement joined too');
  });

  it('ec2list shows the fleet, scales it (asking on shrink), and --terminate removes group, template and hosts', async () => {
    const shown = await list(['--sandbox', '--fleets', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const fleets = JSON.parse(shown.stdout).fleets as { name: string; desired: number; inService: number; hosts: string[] }[];
    assert.deepEqual(fleets.map((f) => [f.name, f.desired, f.inService, f.hosts.length]), [['node', 3, 3, 3]]);
    const text = await list(['--sandbox', '--fleets']);
    assert.match(text.stdout, /^fleet node {2}3 desired, 3 in service, 3 joined$/m);
    assert.match(text.stdout, /^ {2}node-[0-9a-f]{17} {2}i-[0-9a-f]{17} {2}InService {2}joined$/m);

    const refused = await list(['--sandbox', '--scale', 'node=2']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const shrunk = await list(['--sandbox', '--yes', '--scale', 'node=2']);
    assert.equal(shrunk.code, 0, shrunk.stderr);
    await until(async () => (await group())?.Instances?.filter((i) => i.LifecycleState === 'InService').length === 2 && (await group())?.Instances?.length === 2, 20_000, 'two hosts');
    const grown = await list(['--sandbox', '--scale', 'node=4']);
    assert.equal(grown.code, 0, grown.stderr);
    assert.equal((await group())!.DesiredCapacity, 4, 'growing needs no confirmation; the maximum follows');

    const gone = await list(['--sandbox', '--yes', '--terminate', 'node']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stderr + gone.stdout, /deleted the Auto Scaling group ec2term-node/);
    assert.equal(await group(), undefined);
    const again = await list(['--sandbox', '--yes', '--terminate', 'node']);
    assert.equal(again.code, 3, 'nothing of that name is left');
    if (findAws()) {
      const aws = awsCli(sb);
      assert.deepEqual((await aws('autoscaling', 'describe-auto-scaling-groups')).AutoScalingGroups, []);
      assert.deepEqual((await aws('ec2', 'describe-launch-templates')).LaunchTemplates, []);
      const live = (await aws('ec2', 'describe-instances', '--filters', 'Name=tag:ec2term:fleet,Values=node', 'Name=instance-state-name,Values=pending,running,stopping,stopped')).Reservations;
      assert.deepEqual(live, []);
    }
  });

  it('under throttling, 5xx and dropped connections a fleet still launches once, scales and is removed without leftovers', async () => {
    // At most 5 faults in all: the SDK's 6 attempts per call win (as in test/reliability/faults.test.ts).
    const faults = { rules: (['throttle', '503', '500', 'drop'] as const).map((kind) => ({ kind, rate: 0.3, count: kind === 'throttle' ? 2 : 1 })) };
    await sb.admin('POST', '/_sandbox/faults', faults);
    const r = await launch(['--sandbox', '--yes', '--json', '--hosts', '2', '--connect-to', 'lab', 'pair']);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).instances.length, 2);
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ec2term-pair'] }))).AutoScalingGroups![0]!;
    assert.equal(g.Instances!.length, 2, 'exactly the hosts asked for');
    await sb.admin('POST', '/_sandbox/faults', faults);
    const shrunk = await list(['--sandbox', '--yes', '--scale', 'pair=1']);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(shrunk.code, 0, shrunk.stderr);
    await until(async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ec2term-pair'] }))).AutoScalingGroups![0]!.Instances!.length === 1, 20_000, 'one host');
    await sb.admin('POST', '/_sandbox/faults', faults);
    const gone = await list(['--sandbox', '--yes', '--terminate', 'pair']);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(gone.code, 0, gone.stderr);
    assert.deepEqual((await asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups, []);
    assert.deepEqual((await ec2(sb).send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates, []);
  });

  it('ec2launch --accept-hosts --hosts N NAME launches the server and its fleet NAME-hosts joined to it, one result', async () => {
    const r = await launch(['--sandbox', '--yes', '--json', '--accept-hosts', '--hosts', '2', 'class']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.server.instances[0].name, 'class');
    assert.equal(out.fleet.fleet.name, 'class-hosts');
    assert.equal(out.fleet.fleet.connectTo, 'class');
    assert.equal(out.fleet.instances.length, 2);
    const listed = await runBin('ec2ssh', ['--sandbox', 'class', 'ec2term-graphterm hosts'], { env: sb.env, timeoutMs: 60_000 });
    assert.deepEqual(listed.stdout.split('\n').filter(Boolean).sort(), out.fleet.instances.map((h: { name: string }) => h.name).sort());
    const gone = await list(['--sandbox', '--yes', '--terminate', 'class-hosts']);
    assert.equal(gone.code, 0, gone.stderr);
  });
});
