// Elastic IPs ec2launch --eip gives an instance (so its address survives stop/start) and ec2list
// --terminate releases: only those ec2term allocated (tagged ec2term:managed, named by the instance's tag
// ec2term:eip); one the user gave is theirs. (Allocating and attaching: commands/launch/elastic-ip.ts.)
import type { Address } from '@aws-sdk/client-ec2';
import type { Ec2 } from './ec2.js';
import { awsErrorCode, NotFoundError } from './errors.js';
import { TAGS } from './instances.js';

/** The Elastic IP of this allocation id; NotFoundError naming the region when there is none. */
export async function findAddress(ec2: Ec2, allocationId: string): Promise<Address> {
  const found = await ec2.addresses([allocationId]).catch((err) => {
    if (/NotFound/.test(awsErrorCode(err))) throw new NotFoundError(`no Elastic IP ${allocationId} in ${ec2.region}`, [], { cause: err, hint: 'list them with: aws ec2 describe-addresses' });
    throw err;
  });
  const address = found[0];
  if (!address) throw new NotFoundError(`no Elastic IP ${allocationId} in ${ec2.region}`);
  return address;
}

/** Releases an Elastic IP ec2term allocated (disassociating it first); one already gone is fine. (`_signal`:
 * kept for callers; the Ec2's own signal aborts its requests.) */
export async function releaseElasticIp(ec2: Ec2, allocationId: string, _signal?: AbortSignal): Promise<'released' | 'gone' | 'not-ours'> {
  let address;
  try {
    address = await findAddress(ec2, allocationId);
  } catch (err) {
    if (err instanceof NotFoundError) return 'gone';
    throw err;
  }
  if (!(address.Tags ?? []).some((t) => t.Key === TAGS.managed && t.Value === 'true')) return 'not-ours';
  if (address.AssociationId) await ec2.disassociateAddress(address.AssociationId, allocationId);
  await ec2.releaseAddress(allocationId);
  return 'released';
}
