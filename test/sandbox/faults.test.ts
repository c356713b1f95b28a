// Injected faults: throttling, 5xx, slow, dropped connections, capacity, stuck changes, per-instance faults.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DescribeImagesCommand, DescribeInstancesCommand, DescribeInstanceStatusCommand, DescribeRegionsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, GetChangeCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, r53, until } from './sdk.js';

let sb: TestSandbox;
let c: EC2Client;
let ami: string;

async function launch(name: string): Promise<string> {
  const run = await c.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }] }));
  const id = run.Instances![0]!.InstanceId!;
  await until(async () => (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name === 'running', 5000, 'running');
  return id;
}

describe('sandbox faults', () => {
  before(async () => {
    // Faults given at start (EC2TERM_SANDBOX_FAULTS) apply from the first request.
    sb = await startTestSandbox({ faults: [{ service: 'ec2', action: 'DescribeRegions', kind: 'throttle', count: 1 }] });
    c = ec2(sb);
    const e = await errorOf(c.send(new DescribeRegionsCommand({})));
    assert.deepEqual([e.name, e.status], ['RequestLimitExceeded', 503]);
    ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
  });
  after(async () => { await sb?.stop(); });
  beforeEach(async () => { await sb.admin('DELETE', 'faults'); });

  it('throttles EC2 and Route 53 with their own codes, count-limited', async () => {
    await sb.admin('POST', 'faults', { rules: [{ kind: 'throttle', count: 2 }] });
    assert.equal((await errorOf(c.send(new DescribeRegionsCommand({})))).name, 'RequestLimitExceeded');
    const e = await errorOf(r53(sb).send(new ListHostedZonesCommand({})));
    assert.deepEqual([e.name, e.status], ['Throttling', 400]);
    assert.ok((await c.send(new DescribeRegionsCommand({}))).Regions, 'spent after count');
    const log = await sb.admin('GET', 'requests');
    assert.ok(log.requests.filter((r: { errorCode?: string }) => r.errorCode === 'RequestLimitExceeded').length >= 2);
  });

  it('the SDK retries through a transient throttle', async () => {
    await sb.admin('POST', 'faults', { rules: [{ kind: 'throttle', count: 1 }] });
    const retrying = ec2(sb, 'us-east-1', { maxAttempts: 3 });
    assert.ok((await retrying.send(new DescribeRegionsCommand({}))).Regions);
  });

  it('returns 500/503, slows and drops on request', async () => {
    await sb.admin('POST', 'faults', { rules: [{ kind: '500', action: 'DescribeRegions', count: 1 }, { kind: '503', action: 'DescribeRegions', count: 1 }] });
    assert.deepEqual(Object.values(await errorOf(c.send(new DescribeRegionsCommand({})))).slice(0, 1), ['InternalError']);
    assert.equal((await errorOf(c.send(new DescribeRegionsCommand({})))).status, 503);
    await sb.admin('POST', 'faults', { rules: [{ kind: 'slow', delayMs: 300, count: 1 }] });
    await c.send(new DescribeRegionsCommand({}));
    assert.deepEqual((await sb.admin('GET', 'faults')).rules, [{ kind: 'slow', delayMs: 300, count: 0 }], 'the slow rule was spent on that request');
    await sb.admin('POST', 'faults', { rules: [{ kind: 'drop', count: 1 }] });
    const e = await errorOf(c.send(new DescribeRegionsCommand({})));
    assert.match(`${e.name} ${e.message}`, /socket hang up|ECONNRESET|closed|aborted/i);
  });

  it('refuses RunInstances for capacity', async () => {
    await sb.admin('POST', 'faults', { rules: [{ kind: 'capacity' }] });
    assert.ok((await c.send(new DescribeRegionsCommand({}))).Regions, 'capacity only hits RunInstances');
    const e = await errorOf(c.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 })));
    assert.equal(e.name, 'InsufficientInstanceCapacity');
  });

  it('keeps a Route 53 change PENDING', async () => {
    const rc = r53(sb);
    const z = await rc.send(new CreateHostedZoneCommand({ Name: 'faults.test', CallerReference: 'f1' }));
    // No propagation delay: a change is INSYNC at once, so PENDING on every look is the fault's doing.
    await sb.admin('POST', 'config', { delays: 'zero' });
    await sb.admin('POST', 'faults', { rules: [{ kind: 'change-pending' }] });
    const ch = await rc.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: z.HostedZone!.Id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'a.faults.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '127.0.0.1' }] } }] } }));
    for (let look = 0; look < 3; look++) assert.equal((await rc.send(new GetChangeCommand({ Id: ch.ChangeInfo!.Id }))).ChangeInfo!.Status, 'PENDING');
    await sb.admin('DELETE', 'faults');
    assert.equal((await rc.send(new GetChangeCommand({ Id: ch.ChangeInfo!.Id }))).ChangeInfo!.Status, 'INSYNC');
    await sb.admin('POST', 'config', { delays: 'fast' });
  });

  it('applies per-instance faults: setup-error, ssh-unreachable, scheduled-event', async () => {
    await sb.admin('POST', 'faults', { rules: [
      { kind: 'setup-error', name: 'broken' }, { kind: 'ssh-unreachable', name: 'dark' }, { kind: 'scheduled-event', name: 'old', code: 'instance-retirement' },
    ] });
    const broken = await launch('broken');
    const err = join(sb.dir, 'instances', 'us-east-1', broken, 'root', 'home', 'ubuntu', 'SETUP_ERROR');
    await until(async () => existsSync(err), 5000, 'SETUP_ERROR');
    const dark = await launch('dark');
    assert.equal((await sb.admin('GET', `instances/${dark}/ssh`)).listening, false);
    const old = await launch('old');
    const st = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: [old] }));
    const ev = st.InstanceStatuses![0]!.Events![0]!;
    assert.equal(ev.Code, 'instance-retirement');
    assert.ok(ev.NotBefore! < ev.NotAfter!);
    const plain = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: [broken] }));
    assert.equal(plain.InstanceStatuses![0]!.Events, undefined);
  });

  it('rejects malformed fault rules', async () => {
    await assert.rejects(sb.admin('POST', 'faults', { rules: [{ kind: 'meteor' }] }), /kind must be one of/);
  });
});
