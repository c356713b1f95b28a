// Issue 14 items 7 and 8: DNS that follows the instance, against the sandbox, read back with the AWS CLI.
// EC2 gives a started instance a new public address; ec2list --start repoints the record, terminate
// removes a record that still holds what ec2term last wrote (a stopped instance included: its old
// address is AWS's to hand out), ec2ssh's pinned host key survives the new address; a record a third
// party repointed is left alone, and malformed DNS tags never block a termination.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCli, findAws, type AwsCli } from '../helpers/awscli.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const AWS = findAws();

describe('DNS follows the instance through stop, start and terminate', { skip: AWS ? false : 'awscli not installed', timeout: 300_000 }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  let zoneId = '';
  const bin = (program: string, args: string[]) => runBin(program, ['--sandbox', ...args], { env: sb.env, timeoutMs: 90_000 });
  const list = (args: string[]) => bin('ec2list', args);
  const describe1 = async (name: string) => {
    const d = await aws('ec2', 'describe-instances', '--filters', `Name=tag:Name,Values=${name}`);
    return d.Reservations.flatMap((r: any) => r.Instances).find((i: any) => i.State.Name !== 'terminated');
  };
  const tag = (i: any, key: string) => i.Tags.find((t: any) => t.Key === key)?.Value;
  const aRecord = async (name: string) => {
    const r = await aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId);
    return r.ResourceRecordSets.find((x: any) => x.Name === `${name}.` && x.Type === 'A')?.ResourceRecords.map((v: any) => v.Value);
  };
  const launch = async (name: string, extra: string[] = []) => {
    const r = await bin('ec2launch', ['--yes', '--json', '--wait', 'ssh', ...extra, name]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).instances[0];
  };

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    aws = awsCli(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  it('a start moves the A record to the new address; ec2ssh by name still trusts the pinned key', async () => {
    const first = await launch('lab.follow.test', ['--create-zone']);
    zoneId = (await aws('route53', 'list-hosted-zones')).HostedZones[0].Id.replace('/hostedzone/', '');
    assert.deepEqual(await aRecord('lab.follow.test'), [first.publicIp]);
    assert.equal(tag(await describe1('lab.follow.test'), 'ec2term:dns-value'), first.publicIp, 'ec2term remembers what it wrote');

    assert.equal((await list(['--stop', 'lab.follow.test', '--wait', '--yes'])).code, 0);
    const started = await list(['--start', 'lab.follow.test', '--wait']);
    assert.equal(started.code, 0, started.stderr);
    const now = await describe1('lab.follow.test');
    assert.notEqual(now.PublicIpAddress, first.publicIp, 'EC2 (and the sandbox) hands out a new address on start');
    assert.equal(now.PrivateIpAddress, first.privateIp);
    assert.match(started.stdout, new RegExp(`DNS record lab\\.follow\\.test -> ${now.PublicIpAddress.replace(/\./g, '\\.')} \\(was ${first.publicIp.replace(/\./g, '\\.')}\\) \\(INSYNC\\)`));
    assert.deepEqual(await aRecord('lab.follow.test'), [now.PublicIpAddress]);
    assert.equal(tag(now, 'ec2term:dns-value'), now.PublicIpAddress);

    // Pinned by instance id: no new verification, no changed-key banner, and it reaches the new address.
    const ssh = await bin('ec2ssh', ['ubuntu@lab.follow.test', 'echo', 'hi']);
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.equal(ssh.stdout.trim(), 'hi');
    assert.doesNotMatch(ssh.stderr, /pinned it|CHANGED|cannot verify/);
  });

  it('terminating a stopped instance removes the record that still holds its old address (no dangling name)', async () => {
    assert.equal((await list(['--stop', 'lab.follow.test', '--wait', '--yes'])).code, 0);
    const stopped = await describe1('lab.follow.test');
    assert.equal(stopped.PublicIpAddress, undefined, 'a stopped instance has no public address');
    const r = await list(['--terminate', 'lab.follow.test', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /DNS record lab\.follow\.test deleted/);
    assert.equal(await aRecord('lab.follow.test'), undefined);
  });

  it('a record a third party repointed is neither moved nor deleted', async () => {
    await launch('web.follow.test');
    const change = { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'web.follow.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '198.51.100.9' }] } }] };
    await aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(change));
    assert.equal((await list(['--stop', 'web.follow.test', '--wait', '--yes'])).code, 0);
    const started = await list(['--start', 'web.follow.test', '--wait']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /DNS record web\.follow\.test kept: it now points at 198\.51\.100\.9, not at what ec2term wrote/);
    const r = await list(['--terminate', 'web.follow.test', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kept: it now points at 198\.51\.100\.9/);
    assert.deepEqual(await aRecord('web.follow.test'), ['198.51.100.9']);
  });

  it('--expired with a malformed ec2term:dns tag: DNS skipped with a warning, still terminated, exit 1; the plan says what picked it', async () => {
    const host = await launch('junk', ['--ttl', '1h']);
    await aws('ec2', 'create-tags', '--resources', host.instanceId, '--tags', 'Key=ec2term:dns,Value=bad name;x', 'Key=ec2term:expires-at,Value=2020-01-01T00:00:00Z');
    const dry = await list(['--expired', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /junk \(i-[0-9a-f]+\) \[running\]: leave DNS alone \(its tag ec2term:dns="bad name;x" is not a DNS name\), then terminate/);
    assert.match(dry.stdout, /selected by tags ec2term:managed="true" ec2term:expires-at="2020-01-01T00:00:00Z"; key pair ec2term; launched \S+ by "[^"]+@[^"]+" \(tag ec2term:launched-by\)/);
    for (let run = 0; run < 2; run++) {
      const r = await list(['--expired', '--yes']);
      if (run === 1) { assert.equal(r.code, 0, `the next janitor run has nothing left to do: ${r.stderr}`); break; }
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /DNS left alone: its tag ec2term:dns="bad name;x" is not a DNS name/);
      assert.match(r.stdout, /terminating/);
    }
    const d = await aws('ec2', 'describe-instances', '--instance-ids', host.instanceId);
    assert.ok(['shutting-down', 'terminated'].includes(d.Reservations[0].Instances[0].State.Name));
  });
});
