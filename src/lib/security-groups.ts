// Security groups ec2term uses: one per purpose (ec2term-ssh, ec2term-graphterm-server, ...) for the
// default sources, and one per purpose and --allow-from sources (name + hash, see plan.ts) otherwise,
// so a narrow --allow-from never lands in a group that is open wider. Created when missing with exactly
// the rules asked for; never narrowed or rewritten. Pure rule arithmetic plus a few SDK calls.
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { call, type Ec2 } from './ec2.js';
import { awsErrorCode, Ec2termError, fromAwsError } from './errors.js';
import { TAGS } from './instances.js';

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

export async function findGroup(ec2: Ec2, name: string, signal?: AbortSignal, vpcId?: string): Promise<SecurityGroup | undefined> {
  const sdk = await import('@aws-sdk/client-ec2');
  const Filters = [{ Name: 'group-name', Values: [name] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])];
  const res = await call(`looking up the security group ${name}`, () =>
    ec2.client.send(new sdk.DescribeSecurityGroupsCommand({ Filters }), { abortSignal: signal }),
  );
  return res.SecurityGroups?.[0];
}

/**
 * Makes sure the group exists with the rules asked for. `widen`: add missing rules to an existing group
 * (only when the user asked for a source). `dryRun`: look only (EC2 DryRun for the create), change nothing.
 */
export async function ensureSecurityGroup(ec2: Ec2, spec: GroupSpec, opts: { widen: boolean; dryRun: boolean; signal?: AbortSignal }): Promise<GroupOutcome> {
  const sdk = await import('@aws-sdk/client-ec2');
  const send = { abortSignal: opts.signal };
  const existing = await findGroup(ec2, spec.name, opts.signal, spec.vpcId);
  if (!existing) {
    const all = missingRules([], spec.rules);
    if (opts.dryRun) {
      await dryRunCheck(`creating the security group ${spec.name}`, () =>
        ec2.client.send(new sdk.CreateSecurityGroupCommand({ GroupName: spec.name, Description: spec.description, VpcId: spec.vpcId, DryRun: true }), send),
      );
      return { name: spec.name, created: false, wouldCreate: true, added: all, missing: [], allows: describePermissions(toPermissions(all)), extra: [] };
    }
    let res;
    try {
      res = await ec2.client.send(
        new sdk.CreateSecurityGroupCommand({
          GroupName: spec.name,
          Description: spec.description,
          VpcId: spec.vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: TAGS.managed, Value: 'true' }, { Key: TAGS.name, Value: spec.name }] }],
        }),
        send,
      );
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidGroup.Duplicate') throw fromAwsError(err, `creating the security group ${spec.name}`);
      // A concurrent launch created it a moment ago and is adding these same rules: use that group,
      // adding whatever it lacks so far (not ours to delete on undo).
      const raced = await findGroup(ec2, spec.name, opts.signal, spec.vpcId);
      if (!raced) throw fromAwsError(err, `creating the security group ${spec.name}`);
      const perms = raced.IpPermissions ?? [];
      const extra = checkExtra(spec, raced.GroupId!, perms);
      const lacking = missingRules(perms, spec.rules);
      await authorizeIgnoringDuplicates(ec2, raced.GroupId!, spec.name, lacking, opts.signal);
      return { id: raced.GroupId!, name: spec.name, created: false, added: [], missing: [], allows: describePermissions([...perms, ...toPermissions(lacking)]), extra };
    }
    const id = res.GroupId!;
    const outcome: GroupOutcome = { id, name: spec.name, created: true, added: [], missing: [], allows: describePermissions(toPermissions(all)), extra: [] };
    if (all.length > 0) {
      await authorizeIgnoringDuplicates(ec2, id, spec.name, all, opts.signal);
      outcome.added = all;
    }
    return outcome;
  }
  // The same checks and the same answer with and without dryRun: only the AWS call differs.
  const id = existing.GroupId!;
  const perms = existing.IpPermissions ?? [];
  const extra = checkExtra(spec, id, perms);
  const missing = missingRules(perms, spec.rules);
  const base = { id, name: spec.name, created: false, extra };
  if (missing.length === 0) return { ...base, added: [], missing: [], allows: describePermissions(perms) };
  if (!opts.widen) return { ...base, added: [], missing, allows: describePermissions(perms) };
  const widened = { ...base, added: missing, missing: [], allows: describePermissions([...perms, ...toPermissions(missing)]) };
  if (opts.dryRun) {
    await dryRunCheck(`opening ports in ${spec.name}`, () =>
      ec2.client.send(new sdk.AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: toPermissions(missing), DryRun: true }), send),
    );
    return widened;
  }
  await call(`opening ports in ${spec.name}`, () => ec2.client.send(new sdk.AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: toPermissions(missing) }), send));
  return widened;
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

/** Opens ports; a rule a concurrent run already added is not an error. */
async function authorizeIgnoringDuplicates(ec2: Ec2, id: string, name: string, rules: Parameters<typeof toPermissions>[0], signal?: AbortSignal): Promise<void> {
  if (rules.length === 0) return;
  const sdk = await import('@aws-sdk/client-ec2');
  for (const perm of toPermissions(rules)) {
    try {
      await ec2.client.send(new sdk.AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [perm] }), { abortSignal: signal });
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidPermission.Duplicate') throw fromAwsError(err, `opening ports in ${name}`);
    }
  }
}

/** Deletes a group; retries while an instance that used it is still shutting down. */
export async function deleteSecurityGroup(ec2: Ec2, id: string, opts: { attempts?: number; sleep: (ms: number) => Promise<void> }): Promise<void> {
  const sdk = await import('@aws-sdk/client-ec2');
  const attempts = opts.attempts ?? 30;
  for (let i = 0; ; i++) {
    try {
      await ec2.client.send(new sdk.DeleteSecurityGroupCommand({ GroupId: id }));
      return;
    } catch (err) {
      const code = awsErrorCode(err);
      if (code === 'InvalidGroup.NotFound') return;
      if (code !== 'DependencyViolation' || i + 1 >= attempts) throw new Ec2termError(`could not delete the security group ${id}: ${(err as Error).message}`, 1, { cause: err });
      await opts.sleep(Math.min(5_000, 250 * 2 ** i));
    }
  }
}

/** Runs an EC2 call with DryRun=true: "DryRunOperation" means it would have succeeded. */
export async function dryRunCheck(doing: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'DryRunOperation') return;
    await call(doing, () => Promise.reject(err));
  }
}
