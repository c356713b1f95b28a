// What makes a fleet heal by itself (docs/fleets.md, "How a replacement host joins"): a server launched
// with --accept-hosts gets the certificate its key responder checks fleet hosts' signed identity
// documents against, in its user-data (public data: AWS publishes it).
import type { AwsContext } from '../../../lib/aws.js';
import type { Output } from '../../../lib/output.js';

/** The identity-document certificate of the target: the local target's own, or AWS's for the region. */
export async function joinCertificate(aws: Pick<AwsContext, 'region' | 'local'>, out: Output): Promise<string | undefined> {
  if (aws.local) return aws.local.identityCertificate?.();
  const { awsIdentityCertificate } = await import('../../../lib/graphterm/identity-cert.js');
  const cert = await awsIdentityCertificate(aws.region);
  if (!cert) out.warn(`no AWS identity-document certificate is known for ${aws.region}: fleet hosts that replace others will wait for ec2launch --hosts to key them`);
  return cert;
}
