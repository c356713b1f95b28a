// Proof by an independent client: the AWS CLI (botocore's own SigV4, parsers and serialisers) against the sandbox,
// cross-checked with the SDK; and OpenSSH logging into an instance the CLI launched.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateKeyPairCommand, CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeKeyPairsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, ListHostedZonesByNameCommand, CreateHostedZoneCommand, ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, r53, until } from './sdk.js';

const run = promisify(execFile);

/** Debian's awscli v2 (installed by .ci/run) first; any `aws` on PATH otherwise. */
function findAws(): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  const w = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? w.stdout.trim() : undefined;
}
const AWS = findAws();

let sb: TestSandbox;
let c: EC2Client;
let env: NodeJS.ProcessEnv;

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run(AWS!, ['--endpoint-url', sb.url, '--region', 'us-east-1', '--output', 'json', ...args], { env, timeout: 60_000 });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}
async function awsError(...args: string[]): Promise<string> {
  try { await aws(...args); } catch (e) { return String((e as { stderr?: string }).stderr); }
  throw new Error('expected the aws command to fail');
}

describe('sandbox seen through the AWS CLI', { skip: AWS ? false : 'awscli not installed (apt-get install -y awscli)' }, () => {
  before(async () => {
    sb = await startTestSandbox();
    c = ec2(sb);
    const home = join(sb.dir, '..', 'home');
    mkdirSync(home, { recursive: true });
    env = {
      PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
    };
    const v = await run(AWS!, ['--version'], { env });
    process.stderr.write(`# awscli: ${AWS} ${v.stdout.trim() || v.stderr.trim()}\n`);
  });
  after(async () => { await sb?.stop(); });

  it('awscli launches with a key it created; the SDK sees it; OpenSSH logs in', async () => {
    const imgs = await aws('ec2', 'describe-images', '--owners', '099720109477', '--filters', 'Name=name,Values=*noble-24.04-amd64*');
    const ami = imgs.Images[0].ImageId as string;
    const key = await aws('ec2', 'create-key-pair', '--key-name', 'cli-key');
    assert.match(key.KeyMaterial, /BEGIN RSA PRIVATE KEY/);
    const res = await aws('ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro', '--key-name', 'cli-key',
      '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=from-cli}]', '--client-token', 'cli-token-1');
    const id = res.Instances[0].InstanceId as string;
    assert.equal(res.Instances[0].State.Name, 'pending');
    const sdkView = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['from-cli'] }] }));
    assert.equal(sdkView.Reservations![0]!.Instances![0]!.InstanceId, id);
    assert.equal((await c.send(new DescribeKeyPairsCommand({ KeyNames: ['cli-key'] }))).KeyPairs![0]!.KeyFingerprint, key.KeyFingerprint);
    const again = await aws('ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro', '--key-name', 'cli-key',
      '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=from-cli}]', '--client-token', 'cli-token-1');
    assert.equal(again.Instances[0].InstanceId, id, 'client token honoured through the CLI');

    const inst = await until(async () => {
      const d = await aws('ec2', 'describe-instances', '--instance-ids', id);
      const i = d.Reservations[0].Instances[0];
      return i.State.Name === 'running' && i;
    }, 8000, 'running');
    const port = inst.Tags.find((t: { Key: string }) => t.Key === 'ec2term:ssh-port').Value as string;
    const ssh = spawnSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).stdout.trim();
    if (!ssh) { process.stderr.write('# OpenSSH client not installed: ssh login not checked\n'); return; }
    const keyFile = join(env.HOME!, 'cli-key.pem');
    writeFileSync(keyFile, key.KeyMaterial + '\n', { mode: 0o600 });
    const login = spawnSync(ssh, ['-i', keyFile, '-p', port, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10', `ubuntu@${inst.PublicIpAddress}`, 'true'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(login.status, 0, `ssh failed: ${login.stderr}`);
  });

  it('the CLI sees what the SDK created: instances, tags, key pairs, zones and records', async () => {
    await c.send(new CreateKeyPairCommand({ KeyName: 'sdk-key', KeyType: 'ed25519' }));
    const keys = await aws('ec2', 'describe-key-pairs', '--filters', 'Name=key-name,Values=sdk-*');
    assert.deepEqual(keys.KeyPairs.map((k: { KeyName: string }) => k.KeyName), ['sdk-key']);
    // Its own instance, launched with the SDK: the test does not lean on the one the test above launched.
    const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const id = (await c.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
    assert.ok((await aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0], 'the CLI sees the SDK\'s instance');
    await c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'owner', Value: 'sdk' }] }));
    const tagged = await aws('ec2', 'describe-instances', '--filters', 'Name=tag:owner,Values=sdk', '--query', 'Reservations[].Instances[].InstanceId');
    assert.deepEqual(tagged, [id]);

    const rc = r53(sb);
    const z = await rc.send(new CreateHostedZoneCommand({ Name: 'cli.test', CallerReference: 'cli-z' }));
    await rc.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: z.HostedZone!.Id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'www.cli.test', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'ec2-127-10-0-1.compute-1.amazonaws.com' }] } }] } }));
    const zones = await aws('route53', 'list-hosted-zones');
    assert.equal(zones.HostedZones.find((h: { Id: string }) => h.Id === z.HostedZone!.Id).Name, 'cli.test.');
    const recs = await aws('route53', 'list-resource-record-sets', '--hosted-zone-id', z.HostedZone!.Id!);
    assert.ok(recs.ResourceRecordSets.some((r: { Name: string; Type: string }) => r.Name === 'www.cli.test.' && r.Type === 'CNAME'));

    // ...and the SDK sees what the CLI changed
    await aws('route53', 'change-resource-record-sets', '--hosted-zone-id', z.HostedZone!.Id!, '--change-batch',
      JSON.stringify({ Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 'api.cli.test', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.10.0.1' }] } }] }));
    const sdkRecs = await rc.send(new ListResourceRecordSetsCommand({ HostedZoneId: z.HostedZone!.Id }));
    assert.ok(sdkRecs.ResourceRecordSets!.some((r) => r.Name === 'api.cli.test.' && r.TTL === 300));
    assert.equal((await rc.send(new ListHostedZonesByNameCommand({ DNSName: 'cli.test' }))).HostedZones![0]!.Id, z.HostedZone!.Id);
  });

  it('the CLI gets AWS-shaped errors', async () => {
    assert.match(await awsError('ec2', 'describe-instances', '--instance-ids', 'i-0123456789abcdef0'), /InvalidInstanceID\.NotFound.*does not exist/);
    assert.match(await awsError('ec2', 'run-instances', '--image-id', 'ami-0123456789abcdef0', '--instance-type', 't3.micro', '--dry-run'), /InvalidAMIID\.NotFound/);
    assert.match(await awsError('ec2', 'describe-regions', '--dry-run'), /DryRunOperation/);
    // Its own zone and record (api.errors.test A 127.10.0.1), so it runs alone or in any order.
    const zid = (await r53(sb).send(new CreateHostedZoneCommand({ Name: 'errors.test', CallerReference: 'cli-errors-z' }))).HostedZone!.Id!;
    await aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zid, '--change-batch',
      JSON.stringify({ Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 'api.errors.test', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.10.0.1' }] } }] }));
    assert.match(await awsError('route53', 'change-resource-record-sets', '--hosted-zone-id', zid, '--change-batch',
      JSON.stringify({ Changes: [{ Action: 'DELETE', ResourceRecordSet: { Name: 'api.errors.test', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.10.0.9' }] } }] })),
    /InvalidChangeBatch.*values provided do not match the current values/);
    const saved = env.AWS_SECRET_ACCESS_KEY;
    env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
    try { assert.match(await awsError('ec2', 'describe-regions'), /SignatureDoesNotMatch/); } finally { env.AWS_SECRET_ACCESS_KEY = saved; }
  });
});
