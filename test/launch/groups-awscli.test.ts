// Issue 14 item 6: --allow-from does what it says. After a default launch the shared group is open to
// 0.0.0.0/0; a narrower --allow-from gets a group of its own with exactly its sources, the dry run says
// the same as the launch, and a group someone widened behind ec2term's back is refused. Read back
// through the AWS CLI, an independent client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCli, findAws, type AwsCli } from '../helpers/awscli.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const AWS = findAws();
type Perm = { IpProtocol: string; FromPort?: number; ToPort?: number; IpRanges: { CidrIp: string }[] };
/** A group's ingress as "PORT from CIDR" lines, sorted. */
const ingress = (g: { IpPermissions: Perm[] }) =>
  g.IpPermissions.flatMap((p) => p.IpRanges.map((r) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} from ${r.CidrIp}`)).sort();

describe('ec2launch --allow-from: a group that lets in exactly what the flag says', { skip: AWS ? false : 'awscli not installed', timeout: 240_000 }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  const launch = (args: string[]) => runBin('ec2launch', ['--sandbox', '--yes', '--json', '--wait', 'ssh', ...args], { env: sb.env, timeoutMs: 90_000 });
  const groupNamed = async (name: string) => (await aws('ec2', 'describe-security-groups', '--filters', `Name=group-name,Values=${name}`)).SecurityGroups[0];
  const groupsOf = async (name: string) => {
    const d = await aws('ec2', 'describe-instances', '--filters', `Name=tag:Name,Values=${name}`, 'Name=instance-state-name,Values=pending,running');
    return d.Reservations.flatMap((r: any) => r.Instances).flatMap((i: any) => i.SecurityGroups.map((g: any) => g.GroupId as string));
  };

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    aws = awsCli(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  let narrowGroup = '';
  let narrowName = '';
  it('after a default launch (22, 80, 81, 8900 and 8901 open to the world), --allow-from 203.0.113.7/32 gets its own group with only that source', async () => {
    const wide = await launch(['wide']);
    assert.equal(wide.code, 0, wide.stderr);
    const shared = await groupNamed('ec2term-graphterm-server');
    assert.deepEqual(ingress(shared), ['tcp 22-22 from 0.0.0.0/0', 'tcp 80-80 from 0.0.0.0/0', 'tcp 81-81 from 0.0.0.0/0', 'tcp 8900-8900 from 0.0.0.0/0', 'tcp 8901-8901 from 0.0.0.0/0']);

    const dry = await launch(['--dry-run', '--allow-from', '203.0.113.7/32', 'narrow']);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout).securityGroup;
    assert.match(planned.name, /^ec2term-graphterm-server-[0-9a-f]{8}$/);
    assert.equal(planned.action, 'create');
    assert.deepEqual(planned.allows, [22, 80, 81, 8900, 8901].map((p) => `${p} from 203.0.113.7/32`));

    const r = await launch(['--allow-from', '203.0.113.7/32', 'narrow']);
    assert.equal(r.code, 0, r.stderr);
    const done = JSON.parse(r.stdout).securityGroup;
    assert.deepEqual([done.name, done.created, done.allows], [planned.name, true, planned.allows], 'the launch did what the dry run said');

    // What AWS holds, read by another client: the instance is in that group only, and it lets in only 203.0.113.7/32.
    const ids = await groupsOf('narrow');
    assert.deepEqual(ids, [done.id]);
    const g = await groupNamed(planned.name);
    assert.equal(g.GroupId, done.id);
    assert.deepEqual(ingress(g), ['tcp 22-22 from 203.0.113.7/32', 'tcp 80-80 from 203.0.113.7/32', 'tcp 81-81 from 203.0.113.7/32', 'tcp 8900-8900 from 203.0.113.7/32', 'tcp 8901-8901 from 203.0.113.7/32']);
    assert.deepEqual(ingress(await groupNamed('ec2term-graphterm-server')), ingress(shared), 'the shared group was not touched');
    narrowGroup = done.id;
    narrowName = done.name;

    // The same sources again share that group; the dry run says "use" with the same rules.
    const again = await launch(['--dry-run', '--allow-from', '203.0.113.7/32', 'narrow2']);
    assert.deepEqual([JSON.parse(again.stdout).securityGroup.id, JSON.parse(again.stdout).securityGroup.action], [done.id, 'use']);
  });

  it('a third party widens that group (awscli): the dry run and the launch both refuse it, nothing is launched', async () => {
    await aws('ec2', 'authorize-security-group-ingress', '--group-id', narrowGroup, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0');
    for (const extra of [['--dry-run'], []]) {
      const r = await launch([...extra, '--allow-from', '203.0.113.7/32', 'narrow2']);
      assert.equal(r.code, 1, `${extra}: ${r.stderr}`);
      assert.match(r.stderr, /lets in more than --allow-from asks: 22 from 0\.0\.0\.0\/0; refusing to launch into it/);
      assert.match(r.stderr, /revoke-security-group-ingress --group-id sg-/);
    }
    assert.deepEqual(await groupsOf('narrow2'), [], 'no instance named narrow2');
    // ec2term never narrows it behind the third party's back either.
    assert.deepEqual(ingress(await groupNamed(narrowName)), ['tcp 22-22 from 0.0.0.0/0', 'tcp 22-22 from 203.0.113.7/32', 'tcp 80-80 from 203.0.113.7/32', 'tcp 81-81 from 203.0.113.7/32', 'tcp 8900-8900 from 203.0.113.7/32', 'tcp 8901-8901 from 203.0.113.7/32']);
  });
});
