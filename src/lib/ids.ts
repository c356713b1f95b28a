import { UsageError } from './errors.js';

// The shapes of AWS identifiers and addresses ec2term accepts from a user, defined once. EC2 resource ids
// are a prefix, a dash and 8 (older) or 17 lowercase hex digits.
const resourceId = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`);

export const INSTANCE_ID = resourceId('i');
export const IMAGE_ID = resourceId('ami');
export const SNAPSHOT_ID = resourceId('snap');

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
