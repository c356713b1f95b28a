// Pure: DNS names, zone choice and record values compared the way Route 53 does (dns.ts re-exports these).
import type { DnsRecord, HostedZone } from './dns.js';
import { UsageError } from './errors.js';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Pure: "Lab.MyTerm.com." -> "lab.myterm.com". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, '');
}

/** Pure: checks a DNS name (labels of letters, digits, '-', '_'; at most 253 characters). */
export function checkDnsName(name: string, what = 'DNS name'): string {
  const n = normalizeName(name);
  if (n === '' || n.length > 253 || !n.split('.').every((l) => LABEL.test(l))) {
    throw new UsageError(`bad ${what} "${name}": expected labels of letters, digits and '-' separated by dots, such as lab.example.com`);
  }
  return n;
}

/** Pure: "/hostedzone/Z123" or "Z123" -> "Z123"; "/change/C1" -> "C1". */
export function bareId(id: string): string {
  return id.replace(/^\/?(hostedzone|change)\//, '');
}

/** Pure: "a.b.c" -> ["a.b.c", "b.c", "c"] (longest first). */
export function nameSuffixes(name: string): string[] {
  const labels = normalizeName(name).split('.').filter(Boolean);
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** Pure: of these zones, the one whose name is the longest suffix of `name`; public before private. */
export function pickZone(zones: HostedZone[], name: string): HostedZone | undefined {
  const suffixes = nameSuffixes(name);
  let best: HostedZone | undefined;
  let bestRank = Infinity;
  for (const z of zones) {
    const idx = suffixes.indexOf(normalizeName(z.name));
    if (idx < 0) continue;
    const rank = idx * 2 + (z.private ? 1 : 0);
    if (rank < bestRank || (rank === bestRank && best && z.id < best.id)) {
      best = z;
      bestRank = rank;
    }
  }
  return best;
}

/** Pure: compare record values the way DNS does (case-insensitive, trailing dot ignored). */
export function sameValue(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

/** Pure: does a record point only at the expected values (and at least one value)? */
export function pointsAt(record: DnsRecord, expectedValues: string[]): boolean {
  const expected = expectedValues.filter(Boolean);
  return record.values.length > 0 && record.values.every((v) => expected.some((e) => sameValue(v, e)));
}

/** Pure: a caller reference Route 53 accepts for CreateHostedZone (unique per call). */
export function callerReference(domain: string, now: number, random: string): string {
  return `ec2term-${normalizeName(domain)}-${now}-${random}`.slice(0, 128);
}
