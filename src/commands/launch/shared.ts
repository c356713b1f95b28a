// What a launch shares with others: the key pair and the security groups (the plan's, and the hosts'
// membership group for a primary's 8899). Found (adopted), imported or created through LaunchWrites, so
// the dry run and the launch take one path.
import { HOST_GROUP, type LaunchPlan, type SecurityGroupPlan } from './plan.js';
import { ensureKeyPair, type KeyPairOutcome } from './keypairs.js';
import type { LaunchDeps } from './preflight.js';
import { ensureSecurityGroup, findGroup, type GroupOutcome } from './security-groups.js';
import type { LaunchWrites } from './writes.js';

/** The plan's key pair, found, imported or created (a dry run: checked). */
export function ensurePlanKeyPair(plan: LaunchPlan, { ctx, aws }: LaunchDeps, writes: LaunchWrites): Promise<KeyPairOutcome> {
  return ensureKeyPair(writes, {
    env: ctx.io.env,
    location: { keyName: plan.keyName, region: aws.region, keyDir: aws.local?.keyDir },
    importPublicKey: plan.importKey,
    clock: ctx.clock,
  });
}

/** The plan's security group, found, completed or created (a dry run: checked). `created` hears of source groups made. */
export async function planGroup(plan: LaunchPlan, writes: LaunchWrites, vpcId: string | undefined, created?: (g: GroupOutcome) => void): Promise<GroupOutcome> {
  const spec = await resolveSourceGroups(plan, writes, vpcId, created);
  return ensureSecurityGroup(writes, { ...spec, vpcId }, { widen: !plan.allowFromDefaulted });
}

/** Pure: the warnings about a group the launch uses as it is (rules it lacks, rules beyond the plan's). */
export function groupWarnings(group: GroupOutcome): string[] {
  return [
    ...group.missing.map((m) => `${group.name} does not allow port ${m.port} from ${m.cidr}; left as it is (pass --allow-from ${m.cidr} to open it)`),
    ...(group.extra.length ? [`${group.name} also lets in ${group.extra.join(', ')} (not ec2term's rules; left as they are)`] : []),
  ];
}

/** The hosts' membership group (HOST_GROUP): no rules; found, or created (a dry run: checked, no id yet). */
export async function hostGroupId(writes: LaunchWrites, vpcId: string | undefined, created?: (g: GroupOutcome) => void): Promise<string | undefined> {
  const found = await findGroup(writes.ec2, HOST_GROUP, vpcId);
  if (found?.GroupId) return found.GroupId;
  const g = await ensureSecurityGroup(writes, { name: HOST_GROUP, description: 'ec2term: GraphTerm secondary hosts (lets nothing in; names them for the primary\'s 8899)', rules: [], exact: false, vpcId }, { widen: false });
  if (g.created) created?.(g);
  return g.id;
}

/** The plan's group with its source-group rules (8899 from the hosts' group) turned into group ids. */
async function resolveSourceGroups(plan: LaunchPlan, writes: LaunchWrites, vpcId: string | undefined, created?: (g: GroupOutcome) => void): Promise<SecurityGroupPlan> {
  const rules = [];
  for (const r of plan.securityGroup.rules) {
    if (!r.fromGroup) {
      rules.push(r);
      continue;
    }
    const id = await hostGroupId(writes, vpcId, created);
    if (id) rules.push({ ...r, cidrs: [id] });
  }
  return { ...plan.securityGroup, rules };
}
