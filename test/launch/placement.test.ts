// ec2launch placement, as tables: --subnet, --vpc, --iam-profile, --eip, --no-key-pair from argv to
// plan, the subnet picked from a VPC, the RunInstances fields, the command line, and IPv6 --allow-from.
import assert from 'node:assert/strict';
import { parseLaunchArgv } from '../helpers/launch-argv.js';
import { describe, it } from 'node:test';
import type { Subnet } from '@aws-sdk/client-ec2';
import { pickSubnet, placementLines, placementRequest, planPlacement } from '../../src/commands/launch/placement.js';
import { commandLine, planLaunch, type LaunchOptions } from '../../src/commands/launch/plan.js';
import { UsageError } from '../../src/lib/errors.js';
import { allows, describePermissions, extraRules, missingRules, toPermissions } from '../../src/commands/launch/security-groups.js';

const parse = parseLaunchArgv;
const plan = (argv: string[]) => planLaunch(parse(argv));

describe('ec2launch placement flags', () => {
  const cases: [string[], unknown][] = [
    [['lab'], { noKeyPair: false }],
    [['--subnet', 'subnet-0123456789abcdef0', 'lab'], { noKeyPair: false, subnetId: 'subnet-0123456789abcdef0' }],
    [['--vpc', 'vpc-0123456789abcdef0', 'lab'], { noKeyPair: false, vpcId: 'vpc-0123456789abcdef0' }],
    [['--iam-profile', 'ec2term-sandbox', 'lab'], { noKeyPair: false, iamProfile: { Name: 'ec2term-sandbox' } }],
    [['--iam-profile', 'arn:aws:iam::123456789012:instance-profile/web/App', 'lab'], { noKeyPair: false, iamProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/web/App' } }],
    [['--eip', 'lab'], { noKeyPair: false, eip: {} }],
    [['--eip', 'eipalloc-0123456789abcdef0', 'lab'], { noKeyPair: false, eip: { allocationId: 'eipalloc-0123456789abcdef0' } }],
    [['--eip=eipalloc-0123456789abcdef0', 'lab'], { noKeyPair: false, eip: { allocationId: 'eipalloc-0123456789abcdef0' } }],
    [['--no-key-pair', 'lab'], { noKeyPair: true }],
  ];
  for (const [argv, want] of cases) it(argv.join(' '), () => assert.deepEqual(plan(argv).placement, want));

  const bad: [string[], RegExp][] = [
    [['--subnet', 'sub-1', 'lab'], /bad --subnet "sub-1"/],
    [['--vpc', 'vpc-xyz', 'lab'], /bad --vpc "vpc-xyz"/],
    [['--iam-profile', 'has space', 'lab'], /bad --iam-profile/],
    [['--eip', 'eip-1', 'lab'], /bad --eip "eip-1"/],
    [['--eip', '--count', '2', 'lab'], /--eip gives one instance its address/],
  ];
  for (const [argv, want] of bad) {
    it(`refuses ${argv.join(' ')}`, () => assert.throws(() => plan(argv), (e: unknown) => e instanceof UsageError && want.test(e.message)));
  }

  it('the command line (form, dry run) carries the placement', () => {
    const line = commandLine(parse(['--subnet', 'subnet-0123456789abcdef0', '--iam-profile', 'ec2term-sandbox', '--eip', '--no-key-pair', '--allow-from', '2001:db8::/64', 'lab']));
    assert.equal(line, 'ec2launch --allow-from=2001:db8::/64 --subnet=subnet-0123456789abcdef0 --iam-profile=ec2term-sandbox --eip --no-key-pair lab');
    // ...and parses back to the same plan.
    assert.deepEqual(plan(line.split(' ').slice(1)).placement, plan(['--subnet', 'subnet-0123456789abcdef0', '--iam-profile', 'ec2term-sandbox', '--eip', '--no-key-pair', 'lab']).placement);
  });
});

describe('subnets and the RunInstances request', () => {
  const subnet = (id: string, o: Partial<Subnet> = {}): Subnet => ({ SubnetId: id, VpcId: 'vpc-0123456789abcdef0', State: 'available', AvailabilityZone: 'us-east-1b', ...o });
  it('a VPC: a subnet with public addresses first, then by zone', () => {
    assert.equal(pickSubnet([subnet('subnet-0000000000000000a'), subnet('subnet-0000000000000000b', { MapPublicIpOnLaunch: true })])?.SubnetId, 'subnet-0000000000000000b');
    assert.equal(pickSubnet([subnet('subnet-0000000000000000a'), subnet('subnet-0000000000000000b', { AvailabilityZone: 'us-east-1a' })])?.SubnetId, 'subnet-0000000000000000b');
    assert.equal(pickSubnet([subnet('subnet-0000000000000000a', { State: 'pending' })]), undefined);
  });
  it('SubnetId, one IPv6 address when the subnet has IPv6, the profile', () => {
    const p = planPlacement({ subnet: 'subnet-0000000000000000a', iamProfile: 'ec2term-sandbox' });
    assert.deepEqual(placementRequest(p, { subnetId: 'subnet-0000000000000000a', vpcId: 'vpc-0123456789abcdef0', ipv6: true, ipv6Only: true, publicIpv4: false }), {
      SubnetId: 'subnet-0000000000000000a',
      Ipv6AddressCount: 1,
      IamInstanceProfile: { Name: 'ec2term-sandbox' },
    });
    assert.deepEqual(placementRequest(planPlacement({}), { ipv6: false, ipv6Only: false, publicIpv4: true }), {});
  });
  it('the dry run says where and how', () => {
    const lines = placementLines(planPlacement({ eip: true, keyPair: false }), { subnetId: 'subnet-0000000000000000a', vpcId: 'vpc-0123456789abcdef0', zone: 'us-east-1a', ipv6: true, ipv6Only: false, publicIpv4: false });
    assert.deepEqual(lines, [
      'subnet-0000000000000000a in vpc-0123456789abcdef0 (us-east-1a): private IPv4 only + IPv6',
      'a new Elastic IP (allocated, tagged, released by ec2list --terminate)',
      'no key pair: logins push a one-time key with EC2 Instance Connect',
    ]);
  });
});

describe('--allow-from with IPv6', () => {
  it('IPv4 and IPv6 CIDRs, each into its own kind of range', () => {
    const p = plan(['--allow-from', '203.0.113.7/32,2001:db8::/64', 'lab']);
    assert.deepEqual(p.allowFrom, ['203.0.113.7/32', '2001:db8::/64']);
    const perms = toPermissions([{ port: 22, cidr: '2001:db8::/64', purpose: 'ssh' }, { port: 22, cidr: '203.0.113.7/32', purpose: 'ssh' }]);
    assert.deepEqual(perms[0], { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/64', Description: 'ec2term: ssh' }] });
    assert.deepEqual(perms[1]!.IpRanges, [{ CidrIp: '203.0.113.7/32', Description: 'ec2term: ssh' }]);
    assert.deepEqual(describePermissions(perms), ['22 from 2001:db8::/64', '22 from 203.0.113.7/32']);
  });
  it('an existing IPv6 rule counts as present, ::/0 covers every IPv6 source, and is no extra', () => {
    const perms = toPermissions([{ port: 22, cidr: '2001:db8::/64', purpose: 'ssh' }]);
    assert.equal(allows(perms, 22, '2001:db8::/64'), true);
    assert.equal(allows(perms, 22, '2001:db8:1::/64'), false);
    assert.equal(allows(toPermissions([{ port: 22, cidr: '::/0', purpose: 'ssh' }]), 22, '2001:db8::/64'), true);
    assert.deepEqual(missingRules(perms, [{ port: 22, cidrs: ['2001:db8::/64', '203.0.113.7/32'], purpose: 'ssh' }]).map((m) => m.cidr), ['203.0.113.7/32']);
    assert.deepEqual(extraRules(perms, [{ port: 22, cidrs: ['2001:db8::/64'], purpose: 'ssh' }]), []);
  });
  it('refuses what is neither', () => {
    assert.throws(() => plan(['--allow-from', '2001:db8::/200', 'lab']), /expected an IPv4 or IPv6 CIDR/);
  });
});
