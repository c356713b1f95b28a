// EC2 Instance Connect in the sandbox: awscli's `ec2-instance-connect send-ssh-public-key` (AWS JSON 1.1,
// SigV4 service ec2-instance-connect) pushes an ephemeral key; real OpenSSH logs in with it within 60 s of
// the sandbox clock and is refused after. The instance was launched by awscli with no key pair at all.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { keygen } from '../helpers/sshd.js';
import type { AwsCli } from '../helpers/awscli.js';
import { awsError, awsFor, findAws, portOf, running, sshLogin, sshMissing, until } from './helpers.js';

const AWS = findAws();

describe('EC2 Instance Connect through the AWS CLI and OpenSSH', { skip: AWS ? false : 'awscli not installed' }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  let keys: string;
  const image = async (pattern: string) => (await aws('ec2', 'describe-images', '--filters', `Name=name,Values=${pattern}`)).Images[0].ImageId as string;
  before(async () => {
    sb = await startTestSandbox();
    aws = awsFor(sb);
    keys = join(sb.dir, '..', 'ephemeral');
    mkdirSync(keys, { recursive: true, mode: 0o700 });
  });
  after(async () => { await sb?.stop(); });

  const push = (id: string, user: string, pub: string) =>
    aws('ec2-instance-connect', 'send-ssh-public-key', '--instance-id', id, '--instance-os-user', user, '--ssh-public-key', `file://${pub}`);

  it('a pushed key opens the instance for its user for 60 s, then it is refused', { skip: sshMissing() }, async () => {
    const ami = await image('*noble-24.04-amd64*');
    const launched = (await aws('ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro')).Instances[0];
    assert.equal(launched.KeyName, undefined, 'no key pair');
    const i = await running(aws, launched.InstanceId);
    const key = join(keys, 'one');
    keygen(key);
    assert.notEqual(sshLogin(i.PublicIpAddress, portOf(i)!, key).status, 0, 'not before the push');
    const out = await push(i.InstanceId, 'ubuntu', `${key}.pub`);
    assert.equal(out.Success, true);
    assert.match(out.RequestId, /^[0-9a-f-]{36}$/);
    // The key becomes effective shortly after the call (eventual consistency): wait for it, no fixed sleep.
    await until(async () => sshLogin(i.PublicIpAddress, portOf(i)!, key).status === 0, 'the pushed key to work');
    await sb.admin('POST', '/_sandbox/clock', { advanceMs: 61_000 });
    const late = sshLogin(i.PublicIpAddress, portOf(i)!, key);
    assert.notEqual(late.status, 0);
    assert.match(late.stderr, /Permission denied \(publickey\)/);

    // A key pushed for another user does not let `ubuntu` in.
    const other = join(keys, 'other');
    keygen(other);
    await push(i.InstanceId, 'ec2-user', `${other}.pub`);
    await sb.admin('POST', '/_sandbox/clock', { advanceMs: 1_000 });
    assert.notEqual(sshLogin(i.PublicIpAddress, portOf(i)!, other).status, 0);
  });

  it('an image without the Instance Connect agent (Debian 12) accepts the call but never the key, as on EC2', { skip: sshMissing() }, async () => {
    const i = await running(aws, (await aws('ec2', 'run-instances', '--image-id', await image('debian-12-*'))).Instances[0].InstanceId);
    const key = join(keys, 'debian');
    keygen(key);
    assert.equal((await push(i.InstanceId, 'ubuntu', `${key}.pub`)).Success, true);
    await sb.admin('POST', '/_sandbox/clock', { advanceMs: 1_000 });
    assert.notEqual(sshLogin(i.PublicIpAddress, portOf(i)!, key).status, 0);
  });

  it('answers with Instance Connect\'s own errors', async () => {
    const key = join(keys, 'errors');
    keygen(key);
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', 'i-0123456789abcdef0', '--instance-os-user', 'ubuntu', '--ssh-public-key', `file://${key}.pub`),
      /EC2InstanceNotFoundException/);
    const i = await running(aws, (await aws('ec2', 'run-instances', '--image-id', await image('*noble-24.04-amd64*'))).Instances[0].InstanceId);
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--ssh-public-key', 'ssh-ed25519 AAAAnotakey-but-long-enough-to-pass-the-length-check-of-eighty-characters-in-all'),
      /InvalidArgsException/);
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--availability-zone', 'us-east-1f', '--ssh-public-key', `file://${key}.pub`),
      /InvalidArgsException/);
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'access-denied', service: 'ec2-instance-connect', action: 'SendSSHPublicKey' }] });
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--ssh-public-key', `file://${key}.pub`),
      /AccessDeniedException.*not authorized to perform: ec2-instance-connect:SendSSHPublicKey/);
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'throttle', service: 'ec2-instance-connect', count: 20 }] });
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--ssh-public-key', `file://${key}.pub`),
      /ThrottlingException/);
    await sb.admin('DELETE', '/_sandbox/faults');
    await aws('ec2', 'stop-instances', '--instance-ids', i.InstanceId);
    assert.match(await awsError(aws, 'ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--ssh-public-key', `file://${key}.pub`),
      /EC2InstanceStateInvalidException/);
  });
});
