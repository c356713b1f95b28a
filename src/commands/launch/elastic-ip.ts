// ec2launch --eip: the dry run's check and, once the instance runs, the allocation (or the address given)
// and its association. Writes go through LaunchWrites; ec2list --terminate releases (lib/elastic-ips.ts).
import { Ec2termError } from '../../lib/errors.js';
import { findAddress } from '../../lib/elastic-ips.js';
import { TAGS, type InstanceInfo } from '../../lib/instances.js';
import type { LaunchWrites } from './writes.js';

/** Dry run: the Elastic IP given exists and is free, or EC2 says an allocation would succeed. */
export async function checkElasticIp(writes: LaunchWrites, plan: { eip?: { allocationId?: string } }): Promise<void> {
  if (!plan.eip) return;
  if (plan.eip.allocationId) {
    await findAddress(writes.ec2, plan.eip.allocationId);
    return;
  }
  await writes.write('allocateAddress', 'allocate an Elastic IP', [{}]);
}

/**
 * Gives a running instance its Elastic IP: the one given (if not held by another instance) or a new one,
 * tagged as ec2term's and recorded on the instance (tag ec2term:eip) so ec2list --terminate releases it.
 */
export async function attachElasticIp(writes: LaunchWrites, plan: { eip?: { allocationId?: string } }, instance: InstanceInfo, name: string): Promise<{ allocationId: string; publicIp: string; allocated: boolean }> {
  const { ec2 } = writes;
  let allocationId = plan.eip!.allocationId;
  let publicIp: string | undefined;
  let allocated = false;
  if (allocationId) {
    const a = await findAddress(ec2, allocationId);
    if (a.InstanceId && a.InstanceId !== instance.id) {
      throw new Ec2termError(`the Elastic IP ${allocationId} (${a.PublicIp}) belongs to ${a.InstanceId}`, 1, { hint: 'give another --eip, or --eip alone to allocate a new one' });
    }
    publicIp = a.PublicIp;
  } else {
    const made = await writes.write('allocateAddress', 'allocate an Elastic IP', [{ [TAGS.managed]: 'true', [TAGS.name]: name }]);
    if (!made) throw new Ec2termError('an Elastic IP is attached only by a launch, not by a dry run');
    ({ allocationId, publicIp } = made.value);
    allocated = true;
    await ec2.createTags([instance.id], { [TAGS.eip]: allocationId });
  }
  await writes.write('associateAddress', `associate the Elastic IP ${allocationId} with ${instance.id}`, [allocationId!, instance.id]);
  return { allocationId: allocationId!, publicIp: publicIp ?? '', allocated };
}
