// Signatures: the sandbox accepts only requests signed with its own credentials, untampered and fresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeRegionsCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, r53 } from './sdk.js';

let sb: TestSandbox;

describe('sandbox SigV4', () => {
  before(async () => { sb = await startTestSandbox(); });
  after(async () => { await sb?.stop(); });

  it('rejects a wrong secret, an unknown key and a missing signature', async () => {
    const wrong = ec2(sb, 'us-east-1', { credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: 'wrong' } });
    const e = await errorOf(wrong.send(new DescribeRegionsCommand({})));
    assert.deepEqual([e.name, e.status], ['SignatureDoesNotMatch', 403]);
    const unknown = ec2(sb, 'us-east-1', { credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } });
    assert.deepEqual(Object.values(await errorOf(unknown.send(new DescribeRegionsCommand({})))).slice(0, 1), ['AuthFailure']);
    const r53unknown = r53(sb, { credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } });
    assert.equal((await errorOf(r53unknown.send(new ListHostedZonesCommand({})))).name, 'InvalidClientTokenId');
    const res = await fetch(sb.url + '/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeRegions&Version=2016-11-15' });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /<Code>MissingAuthenticationToken<\/Code>/);
    const log = await sb.admin('GET', 'requests');
    assert.ok(log.requests.some((r: { errorCode?: string }) => r.errorCode === 'SignatureDoesNotMatch'), 'rejections are logged');
  });

  it('rejects a body tampered with after signing', async () => {
    const c = ec2(sb);
    c.middlewareStack.add((next) => async (args) => {
      const req = args.request as { body?: string; headers: Record<string, string> };
      if (typeof req.body === 'string') {
        req.body = req.body.replace('MaxResults=5', 'MaxResults=6');
        req.headers['content-length'] = String(Buffer.byteLength(req.body));
      }
      return next(args);
    }, { step: 'deserialize', name: 'tamper', priority: 'high' });
    const e = await errorOf(c.send(new DescribeInstancesCommand({ MaxResults: 5 })));
    assert.equal(e.name, 'SignatureDoesNotMatch');
  });

  it('rejects a stale x-amz-date', async () => {
    const c = ec2(sb, 'us-east-1', { systemClockOffset: -60 * 60 * 1000 });
    const e = await errorOf(c.send(new DescribeRegionsCommand({})));
    assert.equal(e.name, 'RequestExpired');
  });

  it('accepts good signatures for every region and Route 53', async () => {
    for (const region of ['us-east-1', 'eu-central-1']) assert.ok((await ec2(sb, region).send(new DescribeRegionsCommand({}))).Regions!.length > 0);
    assert.deepEqual((await r53(sb).send(new ListHostedZonesCommand({}))).HostedZones, []);
  });
});
