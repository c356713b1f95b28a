// Test fixture: a sandbox with one running instance and its key pair, made with the SDK directly (not
// ec2launch), the private key saved where ec2launch would save it (keyFilePath, in the sandbox dir).
import { CreateKeyPairCommand, CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client, ImportKeyPairCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mkdirSync, writeFileSync } from 'node:fs';
import { keyFilePath } from '../../src/lib/paths.js';
import { dirname, join } from 'node:path';
import type { TestSandbox } from './sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const REGION = 'us-east-1';

export function sandboxEc2(sb: TestSandbox): EC2Client {
  return new EC2Client({ endpoint: sb.url, region: REGION, credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey }, maxAttempts: 2 });
}

export interface SandboxInstance {
  id: string;
  keyName: string;
  keyFile: string;
  publicIp: string;
  sshPort: number;
}

/** Creates (or imports `publicKey`) key pair `keyName`, saves the private key, launches `name`, waits until running. */
export async function launchInstance(
  sb: TestSandbox,
  name: string,
  o: { keyName?: string; imageNameLike?: RegExp; importPublicKey?: string; privateKey?: string } = {},
): Promise<SandboxInstance> {
  const ec2 = sandboxEc2(sb);
  const keyName = o.keyName ?? `${name}-key`;
  let material: string;
  if (o.importPublicKey) {
    await ec2.send(new ImportKeyPairCommand({ KeyName: keyName, PublicKeyMaterial: Buffer.from(o.importPublicKey) }));
    material = o.privateKey!;
  } else {
    const kp = await ec2.send(new CreateKeyPairCommand({ KeyName: keyName, KeyType: 'ed25519' }));
    material = kp.KeyMaterial!;
  }
  const keyFile = keyFilePath({}, { keyName, region: REGION, keyDir: join(sb.dir, 'keys') });
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, material.endsWith('\n') ? material : `${material}\n`, { mode: 0o600 });
  const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['099720109477', 'amazon', '136693071363'] }))).Images ?? [];
  const image = images.find((i) => (o.imageNameLike ?? /ubuntu-noble.*amd64/).test(i.Name ?? '')) ?? images[0]!;
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: image.ImageId!,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      KeyName: keyName,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  const id = run.Instances![0]!.InstanceId!;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const i = d.Reservations?.[0]?.Instances?.[0];
    if (i?.State?.Name === 'running') {
      const port = Number(i.Tags?.find((t) => t.Key === 'ec2term:ssh-port')?.Value ?? 22);
      return { id, keyName, keyFile, publicIp: i.PublicIpAddress!, sshPort: port };
    }
    if (Date.now() > deadline) throw new Error(`instance ${id} did not reach running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function tagInstance(sb: TestSandbox, id: string, tags: Record<string, string>): Promise<void> {
  await sandboxEc2(sb).send(new CreateTagsCommand({ Resources: [id], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}
