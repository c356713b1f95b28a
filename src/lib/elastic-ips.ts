// Elastic IPs ec2launch --eip gives an instance (so its address survives stop/start) and ec2list
// --terminate releases: only those ec2term allocated (tagged ec2term:managed, named by the instance's tag
// ec2term:eip); one the user gave is theirs.
import { call, type Ec2 } from './ec2.js';
import { awsErrorCode, Ec2termError, NotFoundError } from './errors.js';
import { TAGS, type InstanceInfo } from './instances.js';
import { dryRunCheck } from './security-groups.js';

/** Dry run: the Elastic IP given exists and is free, or EC2 says an allocation would succeed. */
export async function checkElasticIp(ec2: Ec2, plan: { eip?: { allocationId?: string } }, signal?: AbortSignal): Promise<void> {
  if (!plan.eip) return;
  const sdk = await import('@aws-sdk/client-ec2');
  if (plan.eip.allocationId) {
    await findAddress(ec2, plan.eip.allocationId, signal);
    return;
  }
  await dryRunCheck('allocating an Elastic IP (DryRun)', () => ec2.client.send(new sdk.AllocateAddressCommand({ Domain: 'vpc', DryRun: true }), { abortSignal: signal }));
}

async function findAddress(ec2: Ec2, allocationId: string, signal?: AbortSignal) {
  const { DescribeAddressesCommand } = await import('@aws-sdk/client-ec2');
  const res = await call(`looking up the Elastic IP ${allocationId}`, () => ec2.client.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }), { abortSignal: signal })).catch((err) => {
    if (/NotFound/.test(awsErrorCode(err))) throw new NotFoundError(`no Elastic IP ${allocationId} in ${ec2.region}`, [], { cause: err, hint: 'list them with: aws ec2 describe-addresses' });
    throw err;
  });
  const address = res.Addresses?.[0];
  if (!address) throw new NotFoundError(`no Elastic IP ${allocationId} in ${ec2.region}`);
  return address;
}

/**
 * Gives a running instance its Elastic IP: the one given (if not held by another instance) or a new one,
 * tagged as ec2term's and recorded on the instance (tag ec2term:eip) so ec2list --terminate releases it.
 */
export async function attachElasticIp(ec2: Ec2, plan: { eip?: { allocationId?: string } }, instance: InstanceInfo, name: string, signal?: AbortSignal): Promise<{ allocationId: string; publicIp: string; allocated: boolean }> {
  const sdk = await import('@aws-sdk/client-ec2');
  const send = { abortSignal: signal };
  let allocationId = plan.eip!.allocationId;
  let publicIp: string | undefined;
  let allocated = false;
  if (allocationId) {
    const a = await findAddress(ec2, allocationId, signal);
    if (a.InstanceId && a.InstanceId !== instance.id) {
      throw new Ec2termError(`the Elastic IP ${allocationId} (${a.PublicIp}) belongs to ${a.InstanceId}`, 1, { hint: 'give another --eip, or --eip alone to allocate a new one' });
    }
    publicIp = a.PublicIp;
  } else {
    const res = await call('allocating an Elastic IP', () =>
      ec2.client.send(
        new sdk.AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: TAGS.managed, Value: 'true' }, { Key: TAGS.name, Value: name }] }],
        }),
        send,
      ),
    );
    allocationId = res.AllocationId!;
    publicIp = res.PublicIp;
    allocated = true;
    await ec2.createTags([instance.id], { [TAGS.eip]: allocationId });
  }
  await call(`associating the Elastic IP ${allocationId}`, () =>
    ec2.client.send(new sdk.AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instance.id, AllowReassociation: false }), send),
  );
  return { allocationId: allocationId!, publicIp: publicIp ?? '', allocated };
}

/** Releases an Elastic IP ec2term allocated (disassociating it first); one already gone is fine. */
export async function releaseElasticIp(ec2: Ec2, allocationId: string, signal?: AbortSignal): Promise<'released' | 'gone' | 'not-ours'> {
  const sdk = await import('@aws-sdk/client-ec2');
  let address;
  try {
    address = await findAddress(ec2, allocationId, signal);
  } catch (err) {
    if (err instanceof NotFoundError) return 'gone';
    throw err;
  }
  if (!(address.Tags ?? []).some((t) => t.Key === TAGS.managed && t.Value === 'true')) return 'not-ours';
  if (address.AssociationId) {
    await call(`disassociating the Elastic IP ${allocationId}`, () => ec2.client.send(new sdk.DisassociateAddressCommand({ AssociationId: address.AssociationId }), { abortSignal: signal }));
  }
  await call(`releasing the Elastic IP ${allocationId}`, () => ec2.client.send(new sdk.ReleaseAddressCommand({ AllocationId: allocationId }), { abortSignal: signal }));
  return 'released';
}
