// Test fixtures for ec2list: instances, hosted zones and records made straight through the AWS SDK
// against a test sandbox (not through ec2launch), with that sandbox's own credentials.
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { credentialsFor } from '../helpers/sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export function ec2Client(url: string, region = 'us-east-1'): EC2Client {
  return new EC2Client({ region, endpoint: url, credentials: credentialsFor(url) });
}

export function route53Client(url: string): Route53Client {
  return new Route53Client({ region: 'us-east-1', endpoint: url, credentials: credentialsFor(url) });
}

const images = new Map<string, string>();

/** Launches one instance with a Name tag and extra tags; returns it as RunInstances reported it. */
export async function launch(url: string, region: string, name: string, tags: Record<string, string> = {}, type = 't3.micro'): Promise<Instance> {
  const ec2 = ec2Client(url, region);
  try {
    let image = images.get(`${url}/${region}`);
    if (!image) {
      const res = await ec2.send(new DescribeImagesCommand({ Owners: ['099720109477'] }));
      image = res.Images![0].ImageId!;
      images.set(`${url}/${region}`, image);
    }
    const res = await ec2.send(
      new RunInstancesCommand({
        ImageId: image,
        InstanceType: type as never,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries({ Name: name, ...tags }).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return res.Instances![0];
  } finally {
    ec2.destroy();
  }
}

export async function describe(url: string, region: string, id: string): Promise<Instance | undefined> {
  const ec2 = ec2Client(url, region);
  try {
    const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return res.Reservations?.[0]?.Instances?.[0];
  } finally {
    ec2.destroy();
  }
}

/** Polls until the instance is in `state` (the sandbox's fast delays make this quick). */
export async function waitState(url: string, region: string, id: string, state: string, timeoutMs = 20_000): Promise<Instance> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const i = await describe(url, region, id);
    if (i?.State?.Name === state) return i;
    if (Date.now() > end) throw new Error(`${id} is ${i?.State?.Name}, not ${state}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function createZone(url: string, name: string): Promise<string> {
  const r53 = route53Client(url);
  try {
    const res = await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `test-${name}-${Date.now()}-${Math.random()}` }));
    return res.HostedZone!.Id!.replace('/hostedzone/', '');
  } finally {
    r53.destroy();
  }
}

export async function upsert(url: string, zoneId: string, name: string, type: 'A' | 'CNAME', value: string): Promise<void> {
  const r53 = route53Client(url);
  try {
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: type, TTL: 60, ResourceRecords: [{ Value: value }] } }] },
      }),
    );
  } finally {
    r53.destroy();
  }
}

/** Record names (without trailing dot) of type A or CNAME in the zone. */
export async function recordNames(url: string, zoneId: string): Promise<string[]> {
  const r53 = route53Client(url);
  try {
    const res = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (res.ResourceRecordSets ?? []).filter((r) => r.Type === 'A' || r.Type === 'CNAME').map((r) => r.Name!.replace(/\.$/, ''));
  } finally {
    r53.destroy();
  }
}

/** Launches an instance that ec2launch would have made: managed, with a DNS record pointing at it. */
export async function launchWithRecord(url: string, region: string, name: string, zoneId: string, domain: string, tags: Record<string, string> = {}): Promise<Instance> {
  const record = `${name}.${domain}`;
  const launched = await launch(url, region, name, { 'ec2term:managed': 'true', 'ec2term:dns': record, 'ec2term:zone': zoneId, ...tags });
  const running = await waitState(url, region, launched.InstanceId!, 'running');
  await upsert(url, zoneId, record, 'A', running.PublicIpAddress!);
  return running;
}
