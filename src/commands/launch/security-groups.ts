// Security groups ec2term uses: one per purpose (ec2term-ssh, ec2term-graphterm-server, ...) for the
// default sources, and one per purpose and --allow-from sources (name + hash, see plan.ts) otherwise,
// so a narrow --allow-from never lands in a group that is open wider. Created when missing with exactly
// the rules asked for; never narrowed or rewritten. Pure rule arithmetic plus a few Ec2 calls (writes
// through LaunchWrites, the dry-run chokepoint).
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import type { Ec2 } from '../../lib/ec2.js';
import { awsErrorCode, Ec2termError } from '../../lib/errors.js';
import { TAGS } from '../../lib/instances.js';
import type { LaunchWrites } from './writes.js';

export interface WantedRule {
  port: number;
  cidrs: string[];
  purpose: string;
}

export interface GroupSpec {
  name: string;
  description: string;
  rules: WantedRule[];
  /** The group stands for exactly these rules (an --allow-from group): anything more is refused. */
  exact: boolean;
  /** The VPC to find or create it in (group names are per VPC); default: the default VPC. */
  vpcId?: string;
}

/** One port opened to one source. */
export interface PortSource {
  port: number;
  cidr: string;
  purpose: string;
}

export interface GroupOutcome {
  id?: string;
  name: string;
  /** True when this run created the group (so undo may delete it). */
  created: boolean;
  /** Rules this run added (or, with dryRun, would add). */
  added: PortSource[];
  /** Rules asked for that the existing group lacks and that were not added (not asked to widen). */
  missing: PortSource[];
  /** With dryRun: the group does not exist and would be created. */
  wouldCreate?: boolean;
  /** What the group lets in once this run is done (with dryRun: would), e.g. "22 from 203.0.113.7/32". */
  allows: string[];
  /** Of those, what is not among the rules asked for (someone else added it); reported, never removed. */
  extra: string[];
}

/** One source one permission lets in; `port`/`cidr` only for the exact shape ec2term writes (tcp, one port, one CIDR). */
interface Grant {
  text: string;
  port?: number;
  cidr?: string;
}

/** Pure: every (ports, source) an ingress permission set lets in. */
function grants(perms: IpPermission[]): Grant[] {
  const out: Grant[] = [];
  for (const p of perms) {
    const proto = p.IpProtocol ?? '';
    const tcp = proto === 'tcp' || proto === '6';
    const from = p.FromPort ?? 0;
    const to = p.ToPort ?? 65535;
    const ports = proto === '-1' ? 'all traffic' : `${from === to ? from : `${from}-${to}`}${tcp ? '' : `/${proto}`}`;
    const single = tcp && from === to ? from : undefined;
    for (const r of p.IpRanges ?? []) out.push({ text: `${ports} from ${r.CidrIp}`, port: single, cidr: r.CidrIp });
    for (const r of p.Ipv6Ranges ?? []) out.push({ text: `${ports} from ${r.CidrIpv6}`, port: single, cidr: r.CidrIpv6 });
    for (const r of p.PrefixListIds ?? []) out.push({ text: `${ports} from ${r.PrefixListId}` });
    // A group source is a wanted pair when asked for as "sg-..." (the hosts' group for 8899).
    for (const r of p.UserIdGroupPairs ?? []) out.push({ text: `${ports} from ${r.GroupId ?? r.GroupName}`, port: single, cidr: r.GroupId });
  }
  return out;
}

/** Pure: one line per source the permissions let in, e.g. ["22 from 203.0.113.7/32", "all traffic from sg-0abc"]. */
export function describePermissions(perms: IpPermission[]): string[] {
  return grants(perms).map((g) => g.text);
}

/** Pure: what `perms` let in beyond `rules` (anything but exactly tcp PORT from CIDR for a wanted pair). */
export function extraRules(perms: IpPermission[], rules: WantedRule[]): string[] {
  const wanted = new Set(rules.flatMap((r) => r.cidrs.map((c) => `${r.port} ${c}`)));
  return grants(perms).filter((g) => g.port === undefined || !wanted.has(`${g.port} ${g.cidr}`)).map((g) => g.text);
}

/** Pure: the line both the dry run and the launch print for the group. */
export function groupSummary(g: GroupOutcome): string {
  const action = g.created || g.wouldCreate ? 'create' : g.added.length ? 'add rules' : 'use';
  return `${g.name}${g.id ? ` (${g.id})` : ''} [${action}]: ${g.allows.join(', ') || 'nothing'}`;
}

/** Pure: does an existing TCP permission set already let `cidr` reach `port`? */
export function allows(perms: IpPermission[], port: number, cidr: string): boolean {
  return perms.some((p) => {
    const proto = p.IpProtocol ?? '';
    const portOk = proto === '-1' || ((proto === 'tcp' || proto === '6') && (p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535));
    // A source "sg-..." is another security group (the hosts' group for port 8899), not a CIDR.
    if (cidr.startsWith('sg-')) return portOk && (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === cidr);
    if (cidr.includes(':')) return portOk && (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === cidr || r.CidrIpv6 === '::/0');
    return portOk && (p.IpRanges ?? []).some((r) => r.CidrIp === cidr || r.CidrIp === '0.0.0.0/0');
  });
}

/** Pure: the (port, source) pairs asked for that `perms` lack. */
export function missingRules(perms: IpPermission[], rules: WantedRule[]): PortSource[] {
  const out: PortSource[] = [];
  for (const r of rules) for (const cidr of r.cidrs) if (!allows(perms, r.port, cidr)) out.push({ port: r.port, cidr, purpose: r.purpose });
  return out;
}

/** Pure: the IpPermissions for AuthorizeSecurityGroupIngress. */
export function toPermissions(pairs: PortSource[]): IpPermission[] {
  return pairs.map((p) =>
    p.cidr.startsWith('sg-')
      ? { IpProtocol: 'tcp', FromPort: p.port, ToPort: p.port, UserIdGroupPairs: [{ GroupId: p.cidr, Description: `ec2term: ${p.purpose}` }] }
      : p.cidr.includes(':')
        ? { IpProtocol: 'tcp', FromPort: p.port, ToPort: p.port, Ipv6Ranges: [{ CidrIpv6: p.cidr, Description: `ec2term: ${p.purpose}` }] }
        : { IpProtocol: 'tcp', FromPort: p.port, ToPort: p.port, IpRanges: [{ CidrIp: p.cidr, Description: `ec2term: ${p.purpose}` }] },
  );
}

export async function findGroup(ec2: Ec2, name: string, vpcId?: string): Promise<SecurityGroup | undefined> {
  const filters = [{ Name: 'group-name', Values: [name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])];
  return (await ec2.securityGroups(filters, `looking up the security group ${name}`))[0];
}

/**
 * Makes sure the group exists with the rules asked for. `widen`: add missing rules to an existing group
 * (only when the user asked for a source). The same checks and answer in a dry run: only the writes differ.
 */
export async function ensureSecurityGroup(writes: LaunchWrites, spec: GroupSpec, opts: { widen: boolean }): Promise<GroupOutcome> {
  const { ec2 } = writes;
  const existing = await findGroup(ec2, spec.name, spec.vpcId);
  if (!existing) {
    const all = missingRules([], spec.rules);
    let made;
    try {
      made = await writes.write('createSecurityGroup', `create the security group ${spec.name}`, [
        { name: spec.name, description: spec.description, vpcId: spec.vpcId, tags: { [TAGS.managed]: 'true', [TAGS.name]: spec.name } },
      ]);
    } catch (err) {
      if (writes.dryRun || awsErrorCode(err) !== 'InvalidGroup.Duplicate') throw err;
      // A concurrent launch created it a moment ago and is adding these same rules: use that group,
      // adding whatever it lacks so far (not ours to delete on undo).
      const raced = await findGroup(ec2, spec.name, spec.vpcId);
      if (!raced) throw err;
      const perms = raced.IpPermissions ?? [];
      const extra = checkExtra(spec, raced.GroupId!, perms);
      const lacking = missingRules(perms, spec.rules);
      await authorizeIgnoringDuplicates(writes, { id: raced.GroupId!, name: spec.name }, lacking);
      return { id: raced.GroupId!, name: spec.name, created: false, added: [], missing: [], allows: describePermissions([...perms, ...toPermissions(lacking)]), extra };
    }
    const allowsAll = describePermissions(toPermissions(all));
    if (!made) {
      // Its rules cannot be checked before the group exists: recorded only.
      await authorizeIgnoringDuplicates(writes, { id: '', name: spec.name }, all);
      return { name: spec.name, created: false, wouldCreate: true, added: all, missing: [], allows: allowsAll, extra: [] };
    }
    const id = made.value;
    const outcome: GroupOutcome = { id, name: spec.name, created: true, added: [], missing: [], allows: allowsAll, extra: [] };
    if (all.length > 0) {
      await authorizeIgnoringDuplicates(writes, { id, name: spec.name }, all);
      outcome.added = all;
    }
    return outcome;
  }
  const id = existing.GroupId!;
  const perms = existing.IpPermissions ?? [];
  const extra = checkExtra(spec, id, perms);
  const missing = missingRules(perms, spec.rules);
  const base = { id, name: spec.name, created: false, extra };
  if (missing.length === 0) return { ...base, added: [], missing: [], allows: describePermissions(perms) };
  if (!opts.widen) return { ...base, added: [], missing, allows: describePermissions(perms) };
  await writes.write('authorizeIngress', `open ${missing.map((m) => `${m.port} to ${m.cidr}`).join(', ')} in ${spec.name}`, [{ id, name: spec.name }, toPermissions(missing)]);
  return { ...base, added: missing, missing: [], allows: describePermissions([...perms, ...toPermissions(missing)]) };
}

/**
 * An --allow-from group lets in exactly its sources, or the flag would be a lie: one that lets in more
 * (someone widened it) is refused, never used and never silently narrowed (other instances may rely on it).
 * A shared group's extras are only returned, for a warning.
 */
function checkExtra(spec: GroupSpec, id: string, perms: IpPermission[]): string[] {
  const extra = extraRules(perms, spec.rules);
  if (extra.length > 0 && spec.exact) {
    throw new Ec2termError(`the security group ${spec.name} (${id}) lets in more than --allow-from asks: ${extra.join(', ')}; refusing to launch into it`, 1, {
      hint: `someone added those rules; remove them (aws ec2 revoke-security-group-ingress --group-id ${id} ...) or delete the group so ec2launch makes it again`,
    });
  }
  return extra;
}

/** Opens ports, one rule at a time; a rule a concurrent run already added is not an error. (Dry run: a
 * group that does not exist yet has nothing to check them against, so they are recorded unchecked.) */
async function authorizeIgnoringDuplicates(writes: LaunchWrites, group: { id: string; name: string }, rules: PortSource[]): Promise<void> {
  for (const perm of toPermissions(rules)) {
    try {
      await writes.write('authorizeIngress', `open ${perm.FromPort} in ${group.name}`, [group, [perm]], { check: group.id !== '' });
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidPermission.Duplicate') throw err;
    }
  }
}

/** Deletes a group; retries while an instance that used it is still shutting down. */
export async function deleteSecurityGroup(writes: LaunchWrites, id: string, opts: { attempts?: number; sleep: (ms: number) => Promise<void> }): Promise<void> {
  const attempts = opts.attempts ?? 30;
  for (let i = 0; ; i++) {
    try {
      await writes.write('deleteSecurityGroup', `delete the security group ${id}`, [id]);
      return;
    } catch (err) {
      const code = awsErrorCode(err);
      if (code === 'InvalidGroup.NotFound') return;
      const why = (err instanceof Ec2termError && err.cause instanceof Error ? err.cause : (err as Error)).message;
      if (code !== 'DependencyViolation' || i + 1 >= attempts) throw new Ec2termError(`could not delete the security group ${id}: ${why}`, 1, { cause: err });
      await opts.sleep(Math.min(5_000, 250 * 2 ** i));
    }
  }
}
