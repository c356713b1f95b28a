// AWS-looking identifiers.
import { randomBytes, createHash } from 'node:crypto';

export const hex17 = (): string => randomBytes(9).toString('hex').slice(0, 17);
export const newId = (prefix: string): string => `${prefix}-${hex17()}`;
export const requestId = (): string => {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
/** Deterministic id (images are the same for every sandbox). */
export const stableId = (prefix: string, seed: string): string =>
  `${prefix}-${createHash('sha256').update(seed).digest('hex').slice(0, 17)}`;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Route 53 style ids: Z + 20 upper-case alphanumerics. */
export function r53Id(prefix: string, len = 20): string {
  const b = randomBytes(len);
  let s = prefix;
  for (const x of b) s += ALNUM[x % ALNUM.length];
  return s;
}

export const SANDBOX_ACCOUNT_ID = '123456789012';
