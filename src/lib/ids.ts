import { isIPv6 } from 'node:net';
import { UsageError } from './errors.js';

// The shapes of AWS identifiers and addresses ec2term accepts from a user, defined once. EC2 resource ids
// are a prefix, a dash and 8 (older) or 17 lowercase hex digits.
const resourceId = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`);

export const INSTANCE_ID = resourceId('i');
export const IMAGE_ID = resourceId('ami');
export const SNAPSHOT_ID = resourceId('snap');
export const VPC_ID = resourceId('vpc');
export const SUBNET_ID = resourceId('subnet');
/** An Elastic IP's allocation id. */
export const ALLOCATION_ID = resourceId('eipalloc');
/** An EC2 Instance Connect Endpoint (always 17 digits). */
export const EICE_ID = /^eice-[0-9a-f]{17}$/;
/** An IAM instance profile's name (IAM: letters, digits and +=,.@_-, up to 128) or its ARN. */
export const IAM_PROFILE_NAME = /^[\w+=,.@-]{1,128}$/;
export const IAM_PROFILE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/([\w+=,.@/-]{1,512})$/;

/** t3.small, c7gn.xlarge: a family, a dot, a size. */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** An EC2 key pair name as ec2term accepts it. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Looser than INSTANCE_ID on purpose: anything that looks like an instance id (so it is never a name). */
export const LOOKS_LIKE_INSTANCE_ID = /^i-[0-9a-f]+$/i;

/** us-east-1, us-gov-west-1, us-iso-east-1, us-isob-east-1, ... */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

const OCTET = '(25[0-5]|2[0-4]\\d|1?\\d?\\d)';
export const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
export const IPV4_CIDR = new RegExp(`^${OCTET}(\\.${OCTET}){3}\\/(3[0-2]|[12]?\\d)$`);

/** Pure: an IPv6 address (any of its spellings, without brackets or a zone). */
export function isIpv6Address(value: string): boolean {
  return !value.includes('%') && isIPv6(value);
}

/** Pure: an IPv6 CIDR such as 2001:db8::/32 or ::/0. */
export function isIpv6Cidr(value: string): boolean {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(value);
  return Boolean(m && isIpv6Address(m[1]!) && Number(m[2]) <= 128);
}

/** Pure: which family a CIDR is: 'ipv4', 'ipv6', or undefined when it is neither. */
export function cidrFamily(value: string): 'ipv4' | 'ipv6' | undefined {
  if (IPV4_CIDR.test(value)) return 'ipv4';
  if (isIpv6Cidr(value)) return 'ipv6';
  return undefined;
}

export function isRegionName(value: string): boolean {
  return REGION.test(value);
}

/** Pure: --region may be one region, a comma list (duplicates dropped), or "all". */
export function parseRegionList(value: string): string[] | 'all' {
  if (value === 'all') return 'all';
  const regions = value.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = regions.find((r) => !isRegionName(r));
  if (regions.length === 0 || bad !== undefined) {
    throw new UsageError(`bad --region "${bad ?? value}": expected a region name such as us-east-1, a comma list, or "all"`);
  }
  return [...new Set(regions)];
}
