// ec2ssh and ec2scp reach instances ec2term did not launch and has no key for, against the sandbox:
// through EC2 Instance Connect (a one-time key pushed before connecting), through an EC2 Instance Connect
// Endpoint's WebSocket tunnel (private-only instances: ssh, ec2scp both ways, -L), and over IPv6 ([::1] in
// the sandbox); and each refusal is one line saying what to do.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AwsCli } from '../helpers/awscli.js';
import { binPath, cleanEnv, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { freePort } from '../helpers/sshd.js';
import { awsFor, findAws, running, until } from './helpers.js';

const AWS = findAws();

describe('ec2ssh and ec2scp through Instance Connect, endpoints and IPv6', { skip: AWS ? false : 'awscli not installed' }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  let ami: string;
  const net: { vpc?: string; priv?: string; native?: string; lonely?: string } = {};
  const ec2ssh = (args: string[], input?: string) => runBin('ec2ssh', ['--sandbox', ...args], { env: sb.env, input, timeoutMs: 60_000 });
  const ec2scp = (args: string[]) => runBin('ec2scp', ['--sandbox', ...args], { env: sb.env, timeoutMs: 60_000 });
  const ec2list = (args: string[]) => runBin('ec2list', ['--sandbox', ...args], { env: sb.env, timeoutMs: 60_000 });
  /** awscli run-instances with no key pair, named NAME (someone else's instance, as far as ec2term knows). */
  const launch = async (name: string, ...extra: string[]) =>
    running(aws, (await aws('ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro', '--tag-specifications', `ResourceType=instance,Tags=[{Key=Name,Value=${name}}]`, ...extra)).Instances[0].InstanceId);

  before(async () => {
    sb = await startTestSandbox();
    aws = awsFor(sb);
    ami = (await aws('ec2', 'describe-images', '--filters', 'Name=name,Values=*noble-24.04-amd64*')).Images[0].ImageId;
    const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.30.0.0/16')).Vpc.VpcId;
    const v6 = (await aws('ec2', 'associate-vpc-cidr-block', '--vpc-id', vpc, '--amazon-provided-ipv6-cidr-block')).Ipv6CidrBlockAssociation.Ipv6CidrBlock as string;
    net.vpc = vpc;
    net.priv = (await aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.30.1.0/24')).Subnet.SubnetId;
    net.native = (await aws('ec2', 'create-subnet', '--vpc-id', vpc, '--ipv6-native', '--ipv6-cidr-block', v6.replace(/00::\/56$/, '02::/64'))).Subnet.SubnetId;
    const other = (await aws('ec2', 'create-vpc', '--cidr-block', '10.40.0.0/16')).Vpc.VpcId;
    net.lonely = (await aws('ec2', 'create-subnet', '--vpc-id', other, '--cidr-block', '10.40.1.0/24')).Subnet.SubnetId;
  });
  after(async () => {
    await sb?.stop();
  });

  it('reaches an instance launched by awscli with no key pair, through EC2 Instance Connect', async () => {
    const i = await launch('elsewhere');
    assert.equal(i.KeyName, undefined);
    const r = await ec2ssh(['-v', 'elsewhere', 'echo reached as $(id -un 2>/dev/null || echo someone)']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reached/);
    assert.match(r.stderr, /pushed a one-time key for ubuntu with EC2 Instance Connect/);
    assert.match(r.stderr, /host key SHA256:\S+ verified/, 'host keys are still verified');
    // --no-instance-connect: as before, no key could be offered.
    const never = await ec2ssh(['--no-instance-connect', '-o', 'BatchMode=yes', 'elsewhere', 'true']);
    assert.equal(never.code, 255);
    assert.match(never.stderr, /permission denied \(publickey\)/);
    // ec2scp too.
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-ic-'));
    writeFileSync(join(dir, 'note.txt'), 'pushed\n');
    const up = await ec2scp([join(dir, 'note.txt'), 'elsewhere:']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await ec2ssh(['elsewhere', 'cat note.txt'])).stdout, 'pushed\n');
  });

  it('no permission for SendSSHPublicKey: one line naming the IAM action', async () => {
    await launch('denied');
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'access-denied', service: 'ec2-instance-connect', action: 'SendSSHPublicKey' }] });
    try {
      const r = await ec2ssh(['--instance-connect', 'denied', 'true']);
      assert.equal(r.code, 4, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[0]!, /^ec2ssh: no permission to push a key with EC2 Instance Connect for ubuntu on denied \(i-[0-9a-f]+\) \(AccessDeniedException\)$/);
      assert.match(lines[1]!, /allow the IAM action ec2-instance-connect:SendSSHPublicKey on arn:aws:ec2:us-east-1:ACCOUNT:instance\/i-/);
      // Automatic mode: the other keys are tried, and the refusal is still what the user reads.
      const auto = await ec2ssh(['-o', 'BatchMode=yes', 'denied', 'true']);
      assert.equal(auto.code, 4, auto.stderr);
      assert.match(auto.stderr, /ec2-instance-connect:SendSSHPublicKey/);
    } finally {
      await sb.admin('DELETE', '/_sandbox/faults');
    }
  });

  it('a private-only instance without an endpoint in its VPC: what to create', async () => {
    await launch('lonely', '--subnet-id', net.lonely!);
    const r = await ec2ssh(['lonely', 'true']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /^ec2ssh: lonely \(i-[0-9a-f]+\) has only a private address \(10\.40\.1\.\d+\) and no EC2 Instance Connect Endpoint is in its VPC vpc-[0-9a-f]+\n/);
    assert.match(r.stderr, new RegExp(`hint: create one with: aws ec2 create-instance-connect-endpoint --subnet-id ${net.lonely}`));
    const via = await ec2ssh(['--via', 'eice', 'lonely', 'true']);
    assert.match(via.stderr, /no EC2 Instance Connect Endpoint in vpc-[0-9a-f]+ of lonely/);
    const json = JSON.parse((await ec2list(['--json', 'lonely'])).stdout);
    assert.equal(json[0].reach, 'private-unreachable');
  });

  it('a private-only instance through an endpoint: ssh, ec2scp both ways, -L', async () => {
    const i = await launch('inside', '--subnet-id', net.priv!);
    assert.equal(i.PublicIpAddress, undefined);
    const { EC2Client, CreateInstanceConnectEndpointCommand, DescribeInstanceConnectEndpointsCommand } = await import('@aws-sdk/client-ec2');
    const client = new EC2Client({ region: 'us-east-1', endpoint: sb.url, credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey } });
    const eice = (await client.send(new CreateInstanceConnectEndpointCommand({ SubnetId: net.priv }))).InstanceConnectEndpoint!.InstanceConnectEndpointId!;
    await until(async () => (await client.send(new DescribeInstanceConnectEndpointsCommand({ InstanceConnectEndpointIds: [eice] }))).InstanceConnectEndpoints?.[0]?.State === 'create-complete', 'the endpoint');
    client.destroy();

    const list = JSON.parse((await ec2list(['--json', 'inside'])).stdout);
    assert.equal(list[0].reach, 'eice');
    assert.equal(list[0].publicIp, null);

    const r = await ec2ssh(['-v', 'inside', 'echo through the endpoint']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'through the endpoint\n');
    assert.match(r.stderr, new RegExp(`through EC2 Instance Connect Endpoint ${eice}`));
    assert.match(r.stderr, /host key SHA256:\S+ verified/);
    assert.equal((await ec2ssh(['--eice-id', eice, 'inside', 'true'])).code, 0);

    const dir = mkdtempSync(join(tmpdir(), 'ec2term-eice-'));
    const blob = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(join(dir, 'up.bin'), blob);
    const up = await ec2scp([join(dir, 'up.bin'), 'inside:']);
    assert.equal(up.code, 0, up.stderr);
    const down = await ec2scp(['inside:up.bin', join(dir, 'back.bin')]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(readFileSync(join(dir, 'back.bin')), blob);

    // -L through the tunnel: a local port reaches a server on the instance.
    const server = await ec2ssh(['inside', 'printf hello-from-inside > hello.txt && echo ok']);
    assert.equal(server.stdout, 'ok\n');
    const port = await freePort();
    const remote = await freePort();
    // Sandbox instances run commands on this machine: node serves the file once on the remote port.
    const serve = `require('net').createServer((c) => c.end(require('fs').readFileSync('hello.txt'))).listen(${remote}, '127.0.0.1')`;
    const child = spawn(process.execPath, [binPath('ec2ssh'), '--sandbox', '-L', `${port}:127.0.0.1:${remote}`, 'inside', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(serve)}`], { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const got = await until(async () => {
        const text = await new Promise<string>((resolve) => {
          const sock = createConnection({ host: '127.0.0.1', port });
          let data = '';
          sock.on('data', (b) => (data += b.toString()));
          sock.on('close', () => resolve(data));
          sock.on('error', () => resolve(''));
        });
        return text || undefined;
      }, 'the forwarded port to answer');
      assert.equal(got, 'hello-from-inside');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('an IPv6-only instance is reached over IPv6 ([::1] in the sandbox)', async () => {
    const i = await launch('sixonly', '--subnet-id', net.native!);
    assert.equal(i.PrivateIpAddress, undefined);
    assert.match(i.Ipv6Address ?? i.NetworkInterfaces[0].Ipv6Addresses[0].Ipv6Address, /^2600:1f18:/);
    const r = await ec2ssh(['-v', 'sixonly', 'echo six']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'six\n');
    assert.match(r.stderr, /connecting to ubuntu@\[::1\] port \d+ \(sixonly \(i-[0-9a-f]+\)\) at its IPv6 address/);
    assert.equal(JSON.parse((await ec2list(['--json', 'sixonly'])).stdout)[0].reach, 'ipv6');
    const pub = await ec2ssh(['--address-type', 'public', 'sixonly', 'true']);
    assert.equal(pub.code, 255);
    assert.match(pub.stderr, /has no public IPv4 address \(it has IPv6 2600:1f18:[0-9a-f:]+\)/);
  });
});
