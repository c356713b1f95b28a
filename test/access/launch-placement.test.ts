// ec2launch placement against the sandbox: --eip keeps the address across stop/start and ec2list
// --terminate releases the address it allocated; --no-key-pair launches an instance reached only through
// EC2 Instance Connect; --subnet/--vpc place it (its security group in that VPC, IPv6 --allow-from as
// Ipv6Ranges); --dry-run creates nothing and says where it would go.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AwsCli } from '../helpers/awscli.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { awsFor, findAws } from './helpers.js';

const AWS = findAws();

describe('ec2launch --eip, --no-key-pair, --subnet, --vpc', { skip: AWS ? false : 'awscli not installed' }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  const run = (program: string, args: string[], timeoutMs = 120_000) => runBin(program, ['--sandbox', ...args], { env: sb.env, timeoutMs });
  const instanceNamed = async (name: string) =>
    (await aws('ec2', 'describe-instances', '--filters', `Name=tag:Name,Values=${name}`, 'Name=instance-state-name,Values=pending,running,stopping,stopped')).Reservations[0].Instances[0];
  before(async () => {
    sb = await startTestSandbox();
    aws = awsFor(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  it('--eip: the same address after stop and start; ec2list --terminate releases the one it allocated', async () => {
    const r = await run('ec2launch', ['--yes', '--json', '--eip', '--auth-type', 'none', '--wait', 'ssh', 'fixed']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Elastic IP 127\.\S+ \(eipalloc-[0-9a-f]+, allocated; ec2list --terminate releases it\)/);
    const before = await instanceNamed('fixed');
    const addresses = (await aws('ec2', 'describe-addresses')).Addresses;
    assert.equal(addresses.length, 1);
    assert.equal(addresses[0].PublicIp, before.PublicIpAddress);
    assert.equal(addresses[0].InstanceId, before.InstanceId);
    assert.ok(addresses[0].Tags.some((t: { Key: string; Value: string }) => t.Key === 'ec2term:managed' && t.Value === 'true'));

    assert.equal((await run('ec2list', ['--stop', 'fixed', '--wait', '--yes'])).code, 0);
    assert.equal((await run('ec2list', ['--start', 'fixed', '--wait', '--yes'])).code, 0);
    const after = await instanceNamed('fixed');
    assert.equal(after.State.Name, 'running');
    assert.equal(after.PublicIpAddress, before.PublicIpAddress, 'the Elastic IP survived stop/start');
    const ssh = await run('ec2ssh', ['fixed', 'echo still here']);
    assert.equal(ssh.code, 0, ssh.stderr);

    const term = await run('ec2list', ['--terminate', 'fixed', '--yes', '--wait']);
    assert.equal(term.code, 0, term.stderr);
    assert.match(term.stderr, /Elastic IP eipalloc-[0-9a-f]+ released/);
    assert.deepEqual((await aws('ec2', 'describe-addresses')).Addresses, []);
  });

  it('--eip ALLOC-ID reuses the user\'s address and ec2list --terminate keeps it', async () => {
    const alloc = await aws('ec2', 'allocate-address', '--domain', 'vpc');
    const r = await run('ec2launch', ['--yes', '--eip', alloc.AllocationId, '--auth-type', 'none', '--wait', 'running', 'kept']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await instanceNamed('kept')).PublicIpAddress, alloc.PublicIp);
    assert.equal((await run('ec2list', ['--terminate', 'kept', '--yes', '--wait'])).code, 0);
    assert.equal((await aws('ec2', 'describe-addresses', '--allocation-ids', alloc.AllocationId)).Addresses.length, 1, 'not ours to release');
  });

  it('--no-key-pair: no key pair, reached through EC2 Instance Connect (the launch itself logs in that way)', async () => {
    const r = await run('ec2launch', ['--yes', '--no-key-pair', 'keyless']);
    assert.equal(r.code, 0, r.stderr);
    const i = await instanceNamed('keyless');
    assert.equal(i.KeyName, undefined);
    const ssh = await run('ec2ssh', ['-v', 'keyless', 'cat SETUP_STATUS']);
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.match(ssh.stderr, /pushed a one-time key/);
    const debian = (await aws('ec2', 'describe-images', '--filters', 'Name=name,Values=debian-12-*')).Images[0].ImageId;
    const refused = await run('ec2launch', ['--yes', '--no-key-pair', '--ami', debian, 'agentless']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /has no EC2 Instance Connect agent/);
  });

  it('--subnet and --vpc: the instance and its security group in that VPC; IPv6 --allow-from as Ipv6Ranges', async () => {
    const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.50.0.0/16')).Vpc.VpcId;
    const v6 = (await aws('ec2', 'associate-vpc-cidr-block', '--vpc-id', vpc, '--amazon-provided-ipv6-cidr-block')).Ipv6CidrBlockAssociation.Ipv6CidrBlock as string;
    const subnet = (await aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.50.1.0/24', '--ipv6-cidr-block', v6.replace(/00::\/56$/, '01::/64'))).Subnet.SubnetId;
    await aws('ec2', 'modify-subnet-attribute', '--subnet-id', subnet, '--map-public-ip-on-launch');

    const dry = await run('ec2launch', ['--dry-run', '--vpc', vpc, '--allow-from', '2001:db8::/64', '--iam-profile', 'ec2term-sandbox', 'placed']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`placement: +${subnet} in ${vpc} \\(us-east-1.\\): public IPv4 \\+ IPv6`));
    assert.match(dry.stdout, /IAM instance profile ec2term-sandbox/);
    assert.equal((await aws('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpc}`, 'Name=group-name,Values=ec2term-*')).SecurityGroups.length, 0, 'the dry run created nothing');

    const r = await run('ec2launch', ['--yes', '--vpc', vpc, '--allow-from', '2001:db8::/64,127.0.0.0/8', '--iam-profile', 'ec2term-sandbox', '--auth-type', 'none', '--wait', 'ssh', 'placed']);
    assert.equal(r.code, 0, r.stderr);
    const i = await instanceNamed('placed');
    assert.equal(i.SubnetId, subnet);
    assert.equal(i.VpcId, vpc);
    assert.match(i.Ipv6Address ?? i.NetworkInterfaces[0].Ipv6Addresses[0].Ipv6Address, /^2600:1f18:/);
    assert.match(i.IamInstanceProfile.Arn, /instance-profile\/ec2term-sandbox$/);
    const groups = (await aws('ec2', 'describe-security-groups', '--group-ids', i.SecurityGroups[0].GroupId)).SecurityGroups;
    assert.equal(groups[0].VpcId, vpc, 'the security group was created in the chosen VPC');
    const ssh22 = groups[0].IpPermissions.find((p: { FromPort: number }) => p.FromPort === 22);
    assert.deepEqual(ssh22.Ipv6Ranges.map((x: { CidrIpv6: string }) => x.CidrIpv6), ['2001:db8::/64']);
    assert.deepEqual(ssh22.IpRanges.map((x: { CidrIp: string }) => x.CidrIp), ['127.0.0.0/8']);
    const six = await run('ec2ssh', ['--address-type', 'ipv6', 'placed', 'echo six']);
    assert.equal(six.stdout, 'six\n', six.stderr);
  });
});
