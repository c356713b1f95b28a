// IPv4 and IPv6 block arithmetic for VPCs, subnets and the addresses handed out in them.
import { isIPv6 } from 'node:net';
import { IPV4_CIDR } from '../../lib/ids.js';

export interface V4Block { base: number; len: number }
export interface V6Block { base: bigint; len: number }

export const v4ToStr = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const v4FromStr = (s: string): number => s.split('.').reduce((a, o) => ((a << 8) | +o) >>> 0, 0);

/** A well-formed block whose host bits are zero (EC2 refuses 10.0.0.1/16), else undefined. */
export function parseV4(cidr: string): V4Block | undefined {
  if (!IPV4_CIDR.test(cidr)) return undefined;
  const [ip, l] = cidr.split('/') as [string, string];
  const len = +l, base = v4FromStr(ip);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (base & mask) >>> 0 === base ? { base, len } : undefined;
}
export const v4Size = (b: V4Block): number => 2 ** (32 - b.len);
export const v4Within = (inner: V4Block, outer: V4Block): boolean =>
  inner.len >= outer.len && inner.base >= outer.base && inner.base + v4Size(inner) <= outer.base + v4Size(outer);
export const v4Overlap = (a: V4Block, b: V4Block): boolean =>
  a.base < b.base + v4Size(b) && b.base < a.base + v4Size(a);
export const v4Str = (b: V4Block): string => `${v4ToStr(b.base)}/${b.len}`;

function v6FromStr(s: string): bigint | undefined {
  if (!isIPv6(s) || s.includes('.')) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}
/** Compressed lower-case form, as EC2 prints addresses. */
export function v6ToStr(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
export function parseV6(cidr: string): V6Block | undefined {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
  if (!m || +m[2]! > 128) return undefined;
  const base = v6FromStr(m[1]!), len = +m[2]!;
  if (base === undefined) return undefined;
  const host = (1n << BigInt(128 - len)) - 1n;
  return (base & host) === 0n ? { base, len } : undefined;
}
export const v6Str = (b: V6Block): string => `${v6ToStr(b.base)}/${b.len}`;
export const v6Within = (inner: V6Block, outer: V6Block): boolean =>
  inner.len >= outer.len && (inner.base >> BigInt(128 - outer.len)) === (outer.base >> BigInt(128 - outer.len));
export const v6Host = (b: V6Block, n: bigint): string => v6ToStr(b.base + n);
