// One resolver for every command: a user's word for an instance (Name tag, id, DNS record, public or
// private IP or DNS name, unique prefix) -> exactly one instance, or a clear "not found" / "which one?".
import type { Ec2 } from './ec2.js';
import { AmbiguousError, NotFoundError, UsageError } from './errors.js';
import { INSTANCE_ID } from './ids.js';
import { LIVE_STATES, type InstanceInfo } from './instances.js';
import type { Prompt } from './prompt.js';
import { renderTable, type Column } from './table.js';

export type QueryKind = 'id' | 'ip' | 'name';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Pure: checks a target word and says what kind it is. */
export function classifyTarget(query: string): QueryKind {
  if (query === '') throw new UsageError('empty instance name: give a Name tag, instance id, DNS name or address');
  if (query.length > 253 || !TARGET.test(query)) {
    const shown = [...query].length > 40 ? `${[...query].slice(0, 40).join('')}…` : query;
    throw new UsageError(`bad instance name "${shown}": use a Name tag, instance id (i-...), DNS name or IPv4 address (letters, digits, '.', '-', '_')`);
  }
  if (INSTANCE_ID.test(query)) return 'id';
  if (IPV4.test(query)) return 'ip';
  return 'name';
}

/** Pure: instances whose id, Name tag, DNS record, address or DNS name equals the query. */
export function exactMatches(instances: InstanceInfo[], query: string): InstanceInfo[] {
  const q = query.toLowerCase().replace(/\.$/, '');
  return instances.filter(
    (i) =>
      i.id === q ||
      i.name?.toLowerCase() === q ||
      i.dnsRecord?.toLowerCase().replace(/\.$/, '') === q ||
      i.publicIp === q ||
      i.privateIp === q ||
      i.publicDns?.toLowerCase() === q ||
      i.privateDns?.toLowerCase() === q,
  );
}

/** Pure: instances whose Name tag or DNS record starts with the query. */
export function prefixMatches(instances: InstanceInfo[], query: string): InstanceInfo[] {
  const q = query.toLowerCase();
  return instances.filter((i) => i.name?.toLowerCase().startsWith(q) || i.dnsRecord?.toLowerCase().startsWith(q));
}

/** Pure: edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Pure: up to `n` names closest to the query, nearest first. */
export function closestNames(instances: InstanceInfo[], query: string, n = 3): string[] {
  const names = [...new Set(instances.flatMap((i) => [i.name, i.dnsRecord].filter((x): x is string => Boolean(x))))];
  return names
    .map((name) => ({ name, d: editDistance(query.toLowerCase(), name.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(3, Math.floor(x.name.length / 2)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, n)
    .map((x) => x.name);
}

/** One line per candidate, for "several match" messages and pickers. */
export function describeCandidate(i: InstanceInfo): string {
  return [i.name ?? '(no name)', i.id, i.state, i.publicIp ?? i.privateIp ?? '', i.region].filter(Boolean).join('  ');
}

const CANDIDATE_COLUMNS: Column<InstanceInfo>[] = [
  { header: '', value: (i) => i.name ?? '(no name)' },
  { header: '', value: (i) => i.id },
  { header: '', value: (i) => i.state },
  { header: '', value: (i) => i.publicIp ?? i.privateIp ?? '-' },
  { header: '', value: (i) => i.region },
];

/** Picker choices whose rows line up. */
export function choices(instances: InstanceInfo[]): { name: string; value: InstanceInfo }[] {
  const labels = candidateLabels(instances);
  return instances.map((value, k) => ({ name: labels[k]!, value }));
}

/** Pure: describeCandidate for a list of instances, as aligned columns (pickers and "which one?" lists); escaped for the terminal. */
export function candidateLabels(instances: InstanceInfo[]): string[] {
  return renderTable(instances, CANDIDATE_COLUMNS).slice(1);
}

export interface ResolveDeps {
  /** One Ec2 per region to search. */
  ec2: Ec2 | Ec2[];
  prompt: Prompt;
}

export interface ResolveOptions {
  /** States to consider; default every state but terminated. */
  states?: string[];
  /** What the instance is wanted for, for the picker's question ("log in to", "terminate"). */
  purpose?: string;
}

function unique(instances: InstanceInfo[]): InstanceInfo[] {
  const seen = new Map<string, InstanceInfo>();
  for (const i of instances) seen.set(`${i.region}/${i.id}`, i);
  return [...seen.values()];
}

/** Server-side filtered look-ups first (fast on large accounts), the full list only for prefixes. */
async function candidatesFor(ec2: Ec2, query: string, kind: QueryKind, states: string[]): Promise<InstanceInfo[]> {
  if (kind === 'id') {
    try {
      return await ec2.describeInstances({ ids: [query], states });
    } catch (err) {
      if (err instanceof NotFoundError || /InvalidInstanceID/.test((err as Error).message)) return [];
      throw err;
    }
  }
  const byFilter = (Name: string) => ec2.describeInstances({ filters: [{ Name, Values: [query] }], states });
  if (kind === 'ip') return (await Promise.all([byFilter('ip-address'), byFilter('private-ip-address')])).flat();
  const q = query.toLowerCase().replace(/\.$/, '');
  const found = await Promise.all([
    ec2.describeInstances({ filters: [{ Name: 'tag:Name', Values: [q] }], states }),
    ec2.describeInstances({ filters: [{ Name: 'tag:ec2term:dns', Values: [q, `${q}.`] }], states }),
    q.includes('.') ? byFilter('dns-name') : Promise.resolve([]),
    q.includes('.') ? byFilter('private-dns-name') : Promise.resolve([]),
  ]);
  return found.flat();
}

/**
 * Resolves one target to one instance. Zero matches: NotFoundError (exit 3) with the closest names.
 * Several: a picker on a terminal, else AmbiguousError (exit 3) listing them.
 */
export async function resolveInstance(query: string, deps: ResolveDeps, opts: ResolveOptions = {}): Promise<InstanceInfo> {
  const kind = classifyTarget(query);
  const ec2s = Array.isArray(deps.ec2) ? deps.ec2 : [deps.ec2];
  const states = opts.states ?? LIVE_STATES;
  let matches = unique((await Promise.all(ec2s.map((e) => candidatesFor(e, query, kind, states)))).flat());
  matches = exactMatches(matches, query);
  let all: InstanceInfo[] | undefined;
  if (matches.length === 0 && kind === 'name') {
    all = (await Promise.all(ec2s.map((e) => e.describeInstances({ states })))).flat();
    matches = exactMatches(all, query);
    if (matches.length === 0) matches = prefixMatches(all, query);
  }
  if (matches.length === 1) return matches[0];
  const where = ec2s.length === 1 ? ` in ${ec2s[0].region}` : ` in ${ec2s.length} regions`;
  if (matches.length === 0) {
    all ??= (await Promise.all(ec2s.map((e) => e.describeInstances({ states })))).flat();
    const near = closestNames(all, query);
    throw new NotFoundError(`no instance matches "${query}"${where}${near.length ? `; closest: ${near.join(', ')}` : ''}`);
  }
  const sorted = [...matches].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id));
  if (deps.prompt.interactive) {
    return deps.prompt.select(
      `${sorted.length} instances match "${query}"; which one ${opts.purpose ? `to ${opts.purpose}` : 'do you mean'}?`,
      choices(sorted),
    );
  }
  throw new AmbiguousError(`${sorted.length} instances match "${query}"${where}; name one by id:`, candidateLabels(sorted));
}

/** Pure: shell-style wildcard (`lab*`, `web-?`) -> RegExp, case-insensitive, whole string. */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Pure: does an instance match an ec2list PATTERN (name, id, DNS record or address; wildcards allowed)? */
export function matchesPattern(i: Matchable, pattern: string): boolean {
  const re = wildcardToRegExp(pattern.replace(/\.$/, ''));
  return [i.name, i.id, i.dnsRecord?.replace(/\.$/, ''), i.publicIp, i.privateIp, i.publicDns, i.privateDns].some((v) => v !== undefined && v !== null && re.test(v));
}

/** What a PATTERN is matched against: an instance, or a listing's row (null for absent). */
export type Matchable = { id: string } & { [K in 'name' | 'dnsRecord' | 'publicIp' | 'privateIp' | 'publicDns' | 'privateDns']?: string | null };

/** Does the word hold a shell wildcard (so it picks among matches rather than naming one instance)? */
export function isWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** Pure: the patterns that match none of `items`, in the order given. */
export function unmatchedPatterns(items: Matchable[], patterns: string[]): string[] {
  return patterns.filter((p) => !items.some((i) => matchesPattern(i, p)));
}
