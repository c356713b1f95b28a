// VPCs, subnets, IPv6, Elastic IPs and IAM instance profiles in the sandbox, driven by the AWS CLI
// (botocore's own serialisers and parsers), and reached with OpenSSH at the addresses EC2 reports.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { SSH } from '../helpers/sshd.js';
import type { AwsCli } from '../helpers/awscli.js';
import { awsError, awsFor, findAws, instanceOf, portOf, running, sshLogin, sshMissing, until } from './helpers.js';

const AWS = findAws();

describe('sandbox networks through the AWS CLI', { skip: AWS ? false : 'awscli not installed' }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  let ami: string;
  let keyFile: string;
  before(async () => {
    sb = await startTestSandbox();
    aws = awsFor(sb);
    ami = (await aws('ec2', 'describe-images', '--owners', '099720109477', '--filters', 'Name=name,Values=*noble-24.04-amd64*')).Images[0].ImageId;
    const key = await aws('ec2', 'create-key-pair', '--key-name', 'net-key', '--key-type', 'ed25519');
    mkdirSync(join(sb.dir, '..', 'keys'), { recursive: true });
    keyFile = join(sb.dir, '..', 'keys', 'net-key.pem');
    writeFileSync(keyFile, key.KeyMaterial.endsWith('\n') ? key.KeyMaterial : key.KeyMaterial + '\n', { mode: 0o600 });
  });
  after(async () => { await sb?.stop(); });

  const launch = async (...args: string[]) =>
    (await aws('ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro', '--key-name', 'net-key', ...args)).Instances[0];

  it('has a default VPC (172.31.0.0/16) with a default subnet per zone that maps public addresses', async () => {
    const vpcs = (await aws('ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true')).Vpcs;
    assert.equal(vpcs.length, 1);
    assert.equal(vpcs[0].CidrBlock, '172.31.0.0/16');
    const subnets = (await aws('ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpcs[0].VpcId}`)).Subnets;
    const zones = (await aws('ec2', 'describe-availability-zones')).AvailabilityZones.map((z: { ZoneName: string }) => z.ZoneName);
    assert.deepEqual(subnets.map((s: { AvailabilityZone: string }) => s.AvailabilityZone).sort(), [...zones].sort());
    assert.ok(subnets.every((s: { DefaultForAz: boolean; MapPublicIpOnLaunch: boolean }) => s.DefaultForAz && s.MapPublicIpOnLaunch));
    const sg = (await aws('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcs[0].VpcId}`, 'Name=group-name,Values=default')).SecurityGroups;
    assert.equal(sg.length, 1);
    // An instance launched with no placement lands in a default subnet, at an address inside it.
    const i = await running(aws, (await launch()).InstanceId);
    const sub = subnets.find((s: { SubnetId: string }) => s.SubnetId === i.SubnetId);
    assert.ok(sub, 'in a default subnet');
    assert.equal(i.VpcId, vpcs[0].VpcId);
    assert.match(i.PrivateIpAddress, new RegExp(`^${sub.CidrBlock.split('.').slice(0, 2).join('\\.')}\\.`));
    assert.match(i.PublicIpAddress, /^127\./);
    assert.equal(i.NetworkInterfaces[0].Association.PublicIp, i.PublicIpAddress);
  });

  it('creates VPCs and subnets with IPv4 and Amazon-provided IPv6 blocks, and refuses what EC2 refuses', async () => {
    const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.20.0.0/16', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=lab}]')).Vpc;
    assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    const assoc = await aws('ec2', 'associate-vpc-cidr-block', '--vpc-id', vpc.VpcId, '--amazon-provided-ipv6-cidr-block');
    const v6 = assoc.Ipv6CidrBlockAssociation.Ipv6CidrBlock as string;
    assert.match(v6, /^2600:1f18:[0-9a-f]{1,4}:[0-9a-f]{1,4}00::\/56$/);
    const seen = (await aws('ec2', 'describe-vpcs', '--vpc-ids', vpc.VpcId)).Vpcs[0];
    assert.equal(seen.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock, v6);
    assert.equal(seen.Tags[0].Value, 'lab');

    const sub64 = v6.replace(/00::\/56$/, '01::/64');
    const dual = (await aws('ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.20.1.0/24', '--ipv6-cidr-block', sub64)).Subnet;
    assert.equal(dual.MapPublicIpOnLaunch, false);
    assert.equal(dual.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock, sub64);
    assert.equal(dual.AvailableIpAddressCount, 251);
    const native = (await aws('ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--ipv6-native', '--ipv6-cidr-block', v6.replace(/00::\/56$/, '02::/64'))).Subnet;
    assert.equal(native.Ipv6Native, true);
    assert.equal(native.CidrBlock, undefined);

    assert.match(await awsError(aws, 'ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.20.1.128/25'), /InvalidSubnet\.Conflict/);
    assert.match(await awsError(aws, 'ec2', 'create-subnet', '--vpc-id', vpc.VpcId, '--cidr-block', '10.99.0.0/24'), /InvalidSubnet\.Range/);
    assert.match(await awsError(aws, 'ec2', 'create-subnet', '--vpc-id', 'vpc-0123456789abcdef0', '--cidr-block', '10.20.2.0/24'), /InvalidVpcID\.NotFound/);
    assert.match(await awsError(aws, 'ec2', 'delete-vpc', '--vpc-id', vpc.VpcId), /DependencyViolation/);

    await aws('ec2', 'modify-subnet-attribute', '--subnet-id', dual.SubnetId, '--map-public-ip-on-launch');
    assert.equal((await aws('ec2', 'describe-subnets', '--subnet-ids', dual.SubnetId)).Subnets[0].MapPublicIpOnLaunch, true);
    await aws('ec2', 'modify-subnet-attribute', '--subnet-id', dual.SubnetId, '--no-map-public-ip-on-launch');

    const sg = await aws('ec2', 'create-security-group', '--group-name', 'lab-ssh', '--description', 'ssh', '--vpc-id', vpc.VpcId);
    await aws('ec2', 'authorize-security-group-ingress', '--group-id', sg.GroupId, '--ip-permissions', 'IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=2001:db8::/32}]');
    const g = (await aws('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpc.VpcId}`, 'Name=group-name,Values=lab-ssh')).SecurityGroups[0];
    assert.equal(g.IpPermissions[0].Ipv6Ranges[0].CidrIpv6, '2001:db8::/32');
    assert.match(await awsError(aws, 'ec2', 'run-instances', '--image-id', ami, '--subnet-id', dual.SubnetId, '--security-group-ids',
      (await aws('ec2', 'describe-security-groups', '--group-names', 'default')).SecurityGroups[0].GroupId), /InvalidParameter\b.*different networks/);

    // The other helpers' tests use these: record them on the sandbox for the next cases.
    Object.assign(nets, { vpc: vpc.VpcId, dual: dual.SubnetId, native: native.SubnetId, sg: sg.GroupId, dualCidr: sub64 });
  });
  const nets: { vpc?: string; dual?: string; native?: string; sg?: string; dualCidr?: string } = {};

  it('an instance in a private subnet has no public address and listens nowhere; a dual-stack one is reached over [::1]', { skip: sshMissing() }, async () => {
    assert.ok(nets.dual, 'needs the VPC case first');
    const priv = await running(aws, (await launch('--subnet-id', nets.dual!)).InstanceId);
    assert.equal(priv.PublicIpAddress, undefined);
    assert.equal(priv.PublicDnsName ?? '', '');
    assert.match(priv.PrivateIpAddress, /^10\.20\.1\.\d+$/);
    assert.equal(portOf(priv), undefined, 'no ec2term:ssh-port: nothing to connect to');
    const admin = await sb.admin('GET', `/_sandbox/instances/${priv.InstanceId}/ssh`);
    assert.equal(admin.port, 0);

    const dual = await running(aws, (await launch('--network-interfaces', `DeviceIndex=0,SubnetId=${nets.dual},AssociatePublicIpAddress=true,Ipv6AddressCount=1,Groups=${nets.sg}`)).InstanceId);
    const v6 = dual.NetworkInterfaces[0].Ipv6Addresses[0].Ipv6Address as string;
    assert.equal(dual.Ipv6Address, v6);
    assert.ok(v6.startsWith(nets.dualCidr!.replace(/::\/64$/, ':')), `${v6} in ${nets.dualCidr}`);
    assert.match(dual.PublicIpAddress, /^127\./);
    assert.equal(dual.SecurityGroups[0].GroupId, nets.sg);
    const port = portOf(dual)!;
    assert.equal(sshLogin(dual.PublicIpAddress, port, keyFile).status, 0, 'IPv4');
    const r6 = sshLogin('::1', port, keyFile);
    assert.equal(r6.status, 0, `IPv6: ${r6.stderr}`);
    const found = (await aws('ec2', 'describe-instances', '--filters', `Name=ipv6-address,Values=${v6}`)).Reservations;
    assert.equal(found[0].Instances[0].InstanceId, dual.InstanceId);

    // The public one is a bastion for the private one: its SSH forwards to private addresses in its VPC.
    const jump = `${SSH} -i ${keyFile} -p ${port} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -W %h:%p ubuntu@${dual.PublicIpAddress}`;
    const via = sshLogin(priv.PrivateIpAddress, '22', keyFile, ['-o', `ProxyCommand=${jump}`]);
    assert.equal(via.status, 0, `through the bastion: ${via.stderr}`);
  });

  it('an IPv6-only instance has no IPv4 at all and is reached only over [::1]', { skip: sshMissing() }, async () => {
    assert.ok(nets.native, 'needs the VPC case first');
    const i = await running(aws, (await launch('--subnet-id', nets.native!)).InstanceId);
    assert.equal(i.PrivateIpAddress, undefined);
    assert.equal(i.PublicIpAddress, undefined);
    assert.match(i.Ipv6Address, /^2600:1f18:/);
    assert.match(i.PrivateDnsName, new RegExp(`^${i.InstanceId}\\.ec2\\.internal$`));
    const port = portOf(i)!;
    assert.equal(sshLogin('::1', port, keyFile).status, 0);
    const admin = await sb.admin('GET', `/_sandbox/instances/${i.InstanceId}/ssh`);
    assert.notEqual(sshLogin(admin.host, port, keyFile, ['-o', 'ConnectTimeout=3']).status, 0, 'not on its IPv4 loopback address');
  });

  it('an Elastic IP moves SSH to its address at once and keeps it across stop and start', { skip: sshMissing() }, async () => {
    const eip = await aws('ec2', 'allocate-address', '--domain', 'vpc');
    assert.match(eip.AllocationId, /^eipalloc-/);
    assert.match(eip.PublicIp, /^127\./);
    const i = await running(aws, (await launch()).InstanceId);
    const assoc = await aws('ec2', 'associate-address', '--allocation-id', eip.AllocationId, '--instance-id', i.InstanceId);
    assert.match(assoc.AssociationId, /^eipassoc-/);
    const moved = await instanceOf(aws, i.InstanceId);
    assert.equal(moved.PublicIpAddress, eip.PublicIp);
    assert.equal(sshLogin(eip.PublicIp, portOf(moved)!, keyFile).status, 0);
    const desc = (await aws('ec2', 'describe-addresses', '--filters', `Name=instance-id,Values=${i.InstanceId}`)).Addresses[0];
    assert.equal(desc.AssociationId, assoc.AssociationId);
    assert.equal(desc.PrivateIpAddress, i.PrivateIpAddress);
    assert.match(await awsError(aws, 'ec2', 'release-address', '--allocation-id', eip.AllocationId), /InvalidIPAddress\.InUse/);

    await aws('ec2', 'stop-instances', '--instance-ids', i.InstanceId);
    const stopped = await until(async () => { const x = await instanceOf(aws, i.InstanceId); return x.State.Name === 'stopped' && x; }, 'stopped');
    assert.equal(stopped.PublicIpAddress, eip.PublicIp, 'an Elastic IP shows on a stopped instance');
    await aws('ec2', 'start-instances', '--instance-ids', i.InstanceId);
    const back = await running(aws, i.InstanceId);
    assert.equal(back.PublicIpAddress, eip.PublicIp);
    assert.equal(sshLogin(eip.PublicIp, portOf(back)!, keyFile).status, 0);

    // Without it, the next start brings a new address, as EC2 does.
    await aws('ec2', 'disassociate-address', '--association-id', assoc.AssociationId);
    const freed = await instanceOf(aws, i.InstanceId);
    assert.notEqual(freed.PublicIpAddress, eip.PublicIp);
    assert.equal(sshLogin(freed.PublicIpAddress, portOf(freed)!, keyFile).status, 0);
    await aws('ec2', 'release-address', '--allocation-id', eip.AllocationId);
    assert.deepEqual((await aws('ec2', 'describe-addresses')).Addresses, []);
  });

  it('IamInstanceProfile by name or ARN shows in DescribeInstances; an unknown one is InvalidParameterValue', async () => {
    const byName = await launch('--iam-instance-profile', 'Name=ec2term-sandbox');
    assert.equal(byName.IamInstanceProfile.Arn, 'arn:aws:iam::123456789012:instance-profile/ec2term-sandbox');
    await sb.admin('POST', '/_sandbox/instance-profiles', { name: 'lab-role' });
    const byArn = await launch('--iam-instance-profile', 'Arn=arn:aws:iam::123456789012:instance-profile/lab-role');
    assert.equal((await instanceOf(aws, byArn.InstanceId)).IamInstanceProfile.Arn, 'arn:aws:iam::123456789012:instance-profile/lab-role');
    assert.match(await awsError(aws, 'ec2', 'run-instances', '--image-id', ami, '--iam-instance-profile', 'Name=nope'), /InvalidParameterValue.*Invalid IAM Instance Profile name/);
  });
});
