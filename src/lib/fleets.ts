// Fleets (ec2launch --hosts): an Auto Scaling group and its launch template, both named ec2term-NAME and
// tagged ec2term:fleet=NAME. Shared by ec2launch (create, continue) and ec2list (show, scale, terminate).
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Clock } from './clock.js';
import { call, type Ec2 } from './ec2.js';
import { awsErrorCode, fromAwsError } from './errors.js';
import { TAGS } from './instances.js';
import { CLEANUP_RETRY_MS, persistentCleanup, pollUntil } from './wait.js';

export interface Fleet {
  /** NAME as given to ec2launch (the ec2term:fleet tag). */
  name: string;
  group: string;
  desired: number;
  max: number;
  /** Instance ids with their Auto Scaling lifecycle state (Pending, InService, Terminating...). */
  instances: { id: string; lifecycle: string }[];
  deleting: boolean;
}

const NOT_FOUND = /not found/i;

/** What ec2list does with fleets: the seam tests replace with an in-memory world. */
export interface Fleets {
  /** Every ec2term fleet of the region. */
  list(): Promise<Fleet[]>;
  /** Fleet names that still have a launch template (its group may already be gone). */
  templateNames(): Promise<Set<string>>;
  resize(f: Fleet, hosts: number): Promise<void>;
  /** Deletes the fleet's group (waiting for its instances) and template; the lines say what went. */
  remove(group: string, o: { clock: Clock; warn: (t: string) => void }): Promise<string[]>;
}

export function sdkFleets(ec2: Ec2, asg: AutoScalingClient, signal?: AbortSignal): Fleets {
  return {
    list: () => describeFleets(asg, signal),
    async templateNames() {
      const { DescribeLaunchTemplatesCommand } = await import('@aws-sdk/client-ec2');
      const page = await call('listing launch templates', () => ec2.client.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag-key', Values: [TAGS.fleet] }] }), { abortSignal: signal }));
      return new Set((page.LaunchTemplates ?? []).map((t) => t.Tags?.find((x) => x.Key === TAGS.fleet)?.Value).filter((x): x is string => !!x));
    },
    resize: (f, hosts) => setFleetSize(asg, f, hosts),
    remove: (group, o) => deleteFleet(ec2, asg, group, { ...o, signal }),
  };
}

/** Every ec2term fleet of the region (groups tagged ec2term:fleet). */
export async function describeFleets(asg: AutoScalingClient, signal?: AbortSignal): Promise<Fleet[]> {
  const { DescribeAutoScalingGroupsCommand } = await import('@aws-sdk/client-auto-scaling');
  const out: Fleet[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call('listing Auto Scaling groups', () => asg.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag-key', Values: [TAGS.fleet] }], NextToken }), { abortSignal: signal }));
    for (const g of page.AutoScalingGroups ?? []) {
      const name = g.Tags?.find((t) => t.Key === TAGS.fleet)?.Value;
      if (!name) continue;
      out.push({
        name, group: g.AutoScalingGroupName!, desired: g.DesiredCapacity ?? 0, max: g.MaxSize ?? 0, deleting: Boolean(g.Status),
        instances: (g.Instances ?? []).map((i) => ({ id: i.InstanceId!, lifecycle: i.LifecycleState ?? '' })),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** The group's live instance ids, or undefined when there is no such group. */
export async function groupInstances(asg: AutoScalingClient, group: string, signal?: AbortSignal): Promise<string[] | undefined> {
  const { DescribeAutoScalingGroupsCommand } = await import('@aws-sdk/client-auto-scaling');
  const g = (await call(`describing the Auto Scaling group ${group}`, () => asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }), { abortSignal: signal }))).AutoScalingGroups?.[0];
  return g ? (g.Instances ?? []).filter((i) => i.LifecycleState !== 'Terminating' && i.LifecycleState !== 'Terminated').map((i) => i.InstanceId!) : undefined;
}

/** Sets the number of hosts (the group's maximum follows when it grows). */
export async function setFleetSize(asg: AutoScalingClient, f: Fleet, hosts: number): Promise<void> {
  const { UpdateAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
  await call(`resizing the fleet ${f.name}`, () => asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: f.group, MaxSize: Math.max(f.max, hosts), DesiredCapacity: hosts })));
}

/**
 * Deletes the group (ForceDelete: its instances are terminated), waits until it is gone, then deletes
 * the launch template. Idempotent: what is already gone is skipped. Transient failures are retried.
 */
export async function deleteFleet(ec2: Ec2, asg: AutoScalingClient, group: string, o: { clock: Clock; signal?: AbortSignal; warn: (t: string) => void }, what = { group: true, template: true }): Promise<string[]> {
  const { DeleteAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
  const { DeleteLaunchTemplateCommand } = await import('@aws-sdk/client-ec2');
  const persist = persistentCleanup({ clock: o.clock, budgetMs: CLEANUP_RETRY_MS, warn: o.warn });
  const lines: string[] = [];
  if (what.group) {
    const ids = await persist(`describing ${group}`, () => groupInstances(asg, group));
    if (ids !== undefined) {
      try {
        await persist(`deleting the Auto Scaling group ${group}`, () => asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: group, ForceDelete: true })));
      } catch (err) {
        if (!(awsErrorCode(err) === 'ValidationError' && NOT_FOUND.test((err as Error).message))) throw fromAwsError(err, `deleting the Auto Scaling group ${group}`);
      }
      await pollUntil(`the Auto Scaling group ${group} to terminate its instances and go`, async () => (await persist(`describing ${group}`, () => groupInstances(asg, group))) === undefined,
        { clock: o.clock, signal: o.signal, timeoutMs: 10 * 60_000, backoff: { initialMs: 250, maxMs: 5_000, factor: 1.5 } });
      lines.push(`deleted the Auto Scaling group ${group}${ids.length ? ` and terminated ${ids.join(', ')}` : ''}`);
    }
  }
  if (what.template) {
    try {
      await persist(`deleting the launch template ${group}`, () => ec2.client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: group })));
      lines.push(`deleted the launch template ${group}`);
    } catch (err) {
      if (!/^InvalidLaunchTemplate(Name|Id)\.NotFound/.test(awsErrorCode(err))) throw fromAwsError(err, `deleting the launch template ${group}`);
    }
  }
  return lines;
}

/** One of a group's scaling activities, as DescribeScalingActivities gives it. */
export interface ScalingActivity { StatusCode?: string; StatusMessage?: string; StartTime?: Date }

/** What EC2 says when it cannot give spot instances (InsufficientInstanceCapacity, "no Spot capacity", the spot quota). */
const NO_SPOT_CAPACITY = /InsufficientInstanceCapacity|no Spot capacity available|do not have sufficient .* capacity|MaxSpotInstanceCountExceeded/i;

/**
 * Pure: whether a spot group's activities since `since` (ms) show launches that failed for want of spot
 * capacity. Auto Scaling does not fall back to on-demand by itself: it retries, and the group stays short.
 */
export function spotCapacityShort(activities: ScalingActivity[], since: number): boolean {
  return activities.some((a) => a.StatusCode === 'Failed' && (a.StartTime?.getTime() ?? 0) >= since && NO_SPOT_CAPACITY.test(a.StatusMessage ?? ''));
}

/** The group's newest scaling activities (one page, newest first). */
export async function recentActivities(asg: AutoScalingClient, group: string, signal?: AbortSignal): Promise<ScalingActivity[]> {
  const { DescribeScalingActivitiesCommand } = await import('@aws-sdk/client-auto-scaling');
  return (await call(`describing the scaling activities of ${group}`, () => asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: 50 }), { abortSignal: signal }))).Activities ?? [];
}

/** A spot group's next launches become on-demand (its mixed instances policy at 100% on-demand); its spot hosts stay. */
export async function useOnDemand(asg: AutoScalingClient, group: string, signal?: AbortSignal): Promise<void> {
  const { UpdateAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
  await call(`switching ${group} to on-demand instances`, () => asg.send(new UpdateAutoScalingGroupCommand({
    AutoScalingGroupName: group, MixedInstancesPolicy: { InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 100 } },
  }), { abortSignal: signal }));
}
