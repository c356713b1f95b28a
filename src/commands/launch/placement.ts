// ec2launch's placement: where the instance goes (--subnet, --vpc: a subnet of it; else the default VPC),
// with which IAM instance profile (--iam-profile), which Elastic IP (--eip: allocated, or one given), and
// whether it gets a key pair at all (--no-key-pair: reachable through EC2 Instance Connect only).
// planPlacement is pure; the rest reads EC2 (the Elastic IP steps are in elastic-ip.ts).
import type { RunInstancesCommandInput, Subnet } from '@aws-sdk/client-ec2';
import type { Ec2 } from '../../lib/ec2.js';
import { awsErrorCode, NotFoundError, UsageError } from '../../lib/errors.js';
import { ALLOCATION_ID, IAM_PROFILE_ARN, IAM_PROFILE_NAME, SUBNET_ID, VPC_ID } from '../../lib/ids.js';

export { attachElasticIp, checkElasticIp } from './elastic-ip.js';

export interface PlacementOptions {
  subnet?: string;
  vpc?: string;
  iamProfile?: string;
  /** --eip (true: allocate one) or --eip ALLOC-ID (reuse it). */
  eip?: string | boolean;
  /** commander's --no-key-pair: false. */
  keyPair?: boolean;
}

export interface PlacementPlan {
  subnetId?: string;
  vpcId?: string;
  iamProfile?: { Name?: string; Arn?: string };
  /** Allocate (no id) or reuse (an allocation id). */
  eip?: { allocationId?: string };
  noKeyPair: boolean;
}

/** Pure: the placement flags, checked. UsageError before any AWS call. */
export function planPlacement(o: PlacementOptions, count = 1): PlacementPlan {
  const plan: PlacementPlan = { noKeyPair: o.keyPair === false };
  if (o.subnet !== undefined) {
    if (!SUBNET_ID.test(o.subnet)) throw new UsageError(`bad --subnet ${JSON.stringify(o.subnet)}: expected a subnet id such as subnet-0123456789abcdef0`);
    plan.subnetId = o.subnet;
  }
  if (o.vpc !== undefined) {
    if (!VPC_ID.test(o.vpc)) throw new UsageError(`bad --vpc ${JSON.stringify(o.vpc)}: expected a VPC id such as vpc-0123456789abcdef0`);
    plan.vpcId = o.vpc;
  }
  if (o.iamProfile !== undefined) {
    const p = o.iamProfile;
    if (IAM_PROFILE_ARN.test(p)) plan.iamProfile = { Arn: p };
    else if (IAM_PROFILE_NAME.test(p)) plan.iamProfile = { Name: p };
    else throw new UsageError(`bad --iam-profile ${JSON.stringify(p)}: expected an instance profile name (letters, digits, +=,.@_-) or its ARN (arn:aws:iam::123456789012:instance-profile/NAME)`);
  }
  if (o.eip !== undefined && o.eip !== false) {
    if (o.eip === true) plan.eip = {};
    else if (ALLOCATION_ID.test(o.eip)) plan.eip = { allocationId: o.eip };
    else throw new UsageError(`bad --eip ${JSON.stringify(o.eip)}: expected an allocation id such as eipalloc-0123456789abcdef0, or --eip alone to allocate one`);
    if (count > 1) throw new UsageError('--eip gives one instance its address; it cannot be combined with --count');
  }
  return plan;
}

/** Where the instance goes, once the subnet (or VPC) is looked up. */
export interface ResolvedPlacement {
  vpcId?: string;
  subnetId?: string;
  zone?: string;
  /** The subnet has IPv6: the instance gets an address from it. */
  ipv6: boolean;
  /** IPv6-only subnet: no IPv4 at all. */
  ipv6Only: boolean;
  /** The subnet gives a public IPv4 address on launch. */
  publicIpv4: boolean;
}

const hasIpv6 = (s: Subnet) => (s.Ipv6CidrBlockAssociationSet ?? []).some((a) => a.Ipv6CidrBlockState?.State !== 'disassociated');

/** Pure: of a VPC's subnets, the one to launch into: public ones first (a public address), then by zone. */
export function pickSubnet(subnets: Subnet[]): Subnet | undefined {
  const usable = subnets.filter((s) => (s.State ?? 'available') === 'available');
  return [...usable].sort((a, b) => Number(Boolean(b.MapPublicIpOnLaunch)) - Number(Boolean(a.MapPublicIpOnLaunch)) || (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? '') || (a.SubnetId ?? '').localeCompare(b.SubnetId ?? ''))[0];
}

/** Looks up --subnet, or picks a subnet of --vpc; nothing asked: the default VPC, as before (no lookup). */
export async function resolvePlacement(ec2: Ec2, plan: PlacementPlan): Promise<ResolvedPlacement> {
  if (!plan.subnetId && !plan.vpcId) return { ipv6: false, ipv6Only: false, publicIpv4: true };
  const subnets = await ec2.subnets(plan.subnetId ? { ids: [plan.subnetId] } : { vpcId: plan.vpcId! }).catch((err) => {
    if (/NotFound/.test(awsErrorCode(err))) throw new NotFoundError(plan.subnetId ? `no subnet ${plan.subnetId} in ${ec2.region}` : `no VPC ${plan.vpcId} in ${ec2.region}`, [], { cause: err, hint: 'list them with: aws ec2 describe-subnets' });
    throw err;
  });
  const subnet = plan.subnetId ? subnets[0] : pickSubnet(subnets);
  if (!subnet?.SubnetId) {
    throw new NotFoundError(plan.subnetId ? `no subnet ${plan.subnetId} in ${ec2.region}` : `the VPC ${plan.vpcId} has no subnet to launch into`, [], {
      hint: plan.subnetId ? 'list them with: aws ec2 describe-subnets' : `create one with: aws ec2 create-subnet --vpc-id ${plan.vpcId} --cidr-block CIDR`,
    });
  }
  if (plan.subnetId && plan.vpcId && subnet.VpcId !== plan.vpcId) throw new UsageError(`--subnet ${plan.subnetId} is in ${subnet.VpcId}, not in --vpc ${plan.vpcId}`);
  const ipv6 = hasIpv6(subnet);
  return { vpcId: subnet.VpcId, subnetId: subnet.SubnetId, zone: subnet.AvailabilityZone, ipv6, ipv6Only: Boolean(subnet.Ipv6Native), publicIpv4: Boolean(subnet.MapPublicIpOnLaunch) && !subnet.Ipv6Native };
}

/** Pure: what RunInstances gets for the placement. */
export function placementRequest(plan: PlacementPlan, where: ResolvedPlacement | undefined): Partial<RunInstancesCommandInput> {
  const out: Partial<RunInstancesCommandInput> = {};
  if (where?.subnetId) out.SubnetId = where.subnetId;
  if (where?.ipv6) out.Ipv6AddressCount = 1;
  if (plan.iamProfile) out.IamInstanceProfile = plan.iamProfile;
  return out;
}

/** Pure: the dry run's lines about the placement. */
export function placementLines(plan: PlacementPlan, where: ResolvedPlacement): string[] {
  const lines = [
    where.subnetId
      ? `${where.subnetId} in ${where.vpcId}${where.zone ? ` (${where.zone})` : ''}: ${where.ipv6Only ? 'IPv6 only' : `${where.publicIpv4 ? 'public IPv4' : 'private IPv4 only'}${where.ipv6 ? ' + IPv6' : ''}`}`
      : 'the default VPC (a default subnet)',
  ];
  if (plan.iamProfile) lines.push(`IAM instance profile ${plan.iamProfile.Name ?? plan.iamProfile.Arn}`);
  if (plan.eip) lines.push(plan.eip.allocationId ? `Elastic IP ${plan.eip.allocationId} (reused)` : 'a new Elastic IP (allocated, tagged, released by ec2list --terminate)');
  if (plan.noKeyPair) lines.push('no key pair: logins push a one-time key with EC2 Instance Connect');
  return lines;
}
