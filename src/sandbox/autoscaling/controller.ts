// The Auto Scaling controller: brings each group's instances to its desired capacity. It launches from the
// group's launch template through runInstances (the RunInstances path: user-data boot, SSH endpoint, tags),
// replaces instances stopped or terminated outside the group, terminates on scale-in, runs scheduled
// actions and finishes ForceDelete. Runs on a short timer and before every Auto Scaling request.
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import { Params } from '../ec2/params.js';
import { runInstances, terminateInstances } from '../ec2/instances.js';
import { findTemplate, findVersion, templateLaunchParams } from '../ec2/launch-templates.js';
import type { Sandbox } from '../world.js';
import { autoScalingOf, GROUP_NAME_TAG, liveMembers, type Activity, type Group, type GroupInstance } from './model.js';

const TICK_MS = 250;
const LAUNCH_RETRY_MS = 5_000;
/** Activities kept per region (newest), as AWS keeps six weeks of them. */
const MAX_ACTIVITIES = 2_000;

/** EC2TERM_SANDBOX_SPOT_CAPACITY: how many spot instances a region can run at once (unset: no limit; 0: no spot capacity at all). */
export function parseSpotCapacity(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return Infinity;
  if (!/^\d+$/.test(v.trim())) throw new Error(`EC2TERM_SANDBOX_SPOT_CAPACITY must be a number of instances (0 or more), not ${JSON.stringify(v)}`);
  return Number(v);
}

/** What Auto Scaling's failed activity says when EC2 has no spot capacity for the request (AWS's wording). */
export const NO_SPOT_CAPACITY = 'Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.';

const stamp = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');

export function addActivity(s: Sandbox, region: string, a: Omit<Activity, 'id' | 'startTime'>): Activity {
  const list = autoScalingOf(s.region(region)).activities;
  const act: Activity = { id: randomUUID(), startTime: s.now(), ...a };
  list.push(act);
  if (list.length > MAX_ACTIVITIES) list.splice(0, list.length - MAX_ACTIVITIES);
  return act;
}

/** Which market the next launch uses: the on-demand base first, then the percentage above it. */
function nextLifecycle(g: Group): 'on-demand' | 'spot' {
  if (!g.mixed) return 'on-demand';
  const live = liveMembers(g);
  const onDemand = live.filter((m) => m.lifecycle === 'on-demand').length;
  if (onDemand < g.mixed.onDemandBase) return 'on-demand';
  const above = live.length - Math.min(onDemand, g.mixed.onDemandBase);
  const onDemandAbove = onDemand - Math.min(onDemand, g.mixed.onDemandBase);
  return onDemandAbove < Math.round((g.mixed.onDemandPercentAboveBase / 100) * (above + 1)) ? 'on-demand' : 'spot';
}

/** The zone with the fewest live instances (AWS balances a group across its zones). */
function leastUsedZone(g: Group): string {
  const live = liveMembers(g);
  return [...g.azs].sort((a, b) => live.filter((m) => m.az === a).length - live.filter((m) => m.az === b).length)[0]!;
}

function launchOne(s: Sandbox, region: string, g: Group): GroupInstance {
  const r = s.region(region);
  const spec = g.mixed?.template ?? g.template!;
  const t = findTemplate(r, spec.id, undefined);
  const v = findVersion(t, spec.version);
  const az = leastUsedZone(g);
  const lifecycle = nextLifecycle(g);
  if (lifecycle === 'spot') {
    const spotLive = Object.values(r.instances).filter((i) => i.lifecycle === 'spot' && (i.state === 'pending' || i.state === 'running')).length;
    // AWS does not fall back to on-demand by itself: the activity fails and the capacity stays unmet.
    if (spotLive >= s.spotCapacity) throw new ApiError('InsufficientInstanceCapacity', NO_SPOT_CAPACITY, 500);
  }
  const token = `asg-${randomUUID()}`;
  const extra: Record<string, string> = { MinCount: '1', MaxCount: '1', 'Placement.AvailabilityZone': az, ClientToken: token };
  if (g.mixed?.overrides[0]) extra.InstanceType = g.mixed.overrides[0];
  // The group's subnet in that zone (VPCZoneIdentifier) wins over the template's, as in Auto Scaling.
  const subnet = g.subnets.find((id) => r.subnets?.[id]?.az === az);
  if (subnet) extra[Object.keys(v.data).some((k) => k.startsWith('NetworkInterface.')) ? 'NetworkInterface.1.SubnetId' : 'SubnetId'] = subnet;
  if (lifecycle === 'spot') extra['InstanceMarketOptions.MarketType'] = 'spot';
  const propagated = g.tags.filter((x) => x.propagateAtLaunch);
  if (propagated.length) {
    const next = 1 + Math.max(0, ...Object.keys(v.data).map((k) => Number(/^TagSpecification\.(\d+)\./.exec(k)?.[1] ?? 0)));
    extra[`TagSpecification.${next}.ResourceType`] = 'instance';
    propagated.forEach((x, n) => { extra[`TagSpecification.${next}.Tag.${n + 1}.Key`] = x.key; extra[`TagSpecification.${next}.Tag.${n + 1}.Value`] = x.value; });
  }
  runInstances(s, region, templateLaunchParams(v, extra));
  const [id] = r.clientTokens[token]!.instanceIds;
  delete r.clientTokens[token];
  const inst = r.instances[id!]!;
  inst.tags[GROUP_NAME_TAG] = g.name;
  return { instanceId: inst.id, az, instanceType: inst.instanceType, lifecycle, template: { ...spec, version: String(v.number) }, launchedAt: s.now(), health: 'Healthy' };
}

export async function terminateMember(s: Sandbox, region: string, g: Group, m: GroupInstance, cause: string): Promise<Activity> {
  m.terminating = true;
  const i = s.region(region).instances[m.instanceId];
  if (i && i.state !== 'terminated' && i.state !== 'shutting-down') {
    await terminateInstances(s, region, new Params(new Map([['InstanceId.1', m.instanceId]])));
  }
  s.changed();
  return addActivity(s, region, {
    group: g.name, description: `Terminating EC2 instance: ${m.instanceId}`, cause, status: 'InProgress',
    details: JSON.stringify({ 'Availability Zone': m.az }), instanceId: m.instanceId, ends: 'terminated',
  });
}

const sizes = (g: Group) => `min: ${g.min}, max: ${g.max}, desired: ${g.desired}`;

async function reconcileGroup(s: Sandbox, region: string, g: Group): Promise<void> {
  const r = s.region(region);
  const now = s.now();
  for (const a of [...g.scheduled]) {
    if (a.startTime > now) continue;
    g.min = a.min ?? g.min; g.max = a.max ?? g.max;
    g.desired = Math.min(g.max, Math.max(g.min, a.desired ?? g.desired));
    g.scheduled.splice(g.scheduled.indexOf(a), 1);
    s.changed();
  }
  for (const m of [...g.instances]) {
    const i = r.instances[m.instanceId];
    if (!i || i.state === 'terminated') { g.instances.splice(g.instances.indexOf(m), 1); s.changed(); continue; }
    if (m.terminating) continue;
    if (i.state === 'shutting-down' || i.state === 'stopping' || i.state === 'stopped') {
      // Stopped or terminated behind the group's back: unhealthy, replaced (as EC2 health checks do).
      m.health = 'Unhealthy';
      await terminateMember(s, region, g, m, `At ${stamp(now)} an instance was taken out of service in response to an EC2 instance status check failure.`);
    }
  }
  const want = g.deleting ? 0 : g.desired;
  let live = liveMembers(g);
  if (live.length < want && (g.launchFailedAt === undefined || now - g.launchFailedAt >= LAUNCH_RETRY_MS)) {
    const from = live.length;
    while (liveMembers(g).length < want) {
      const cause = `At ${stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${want}.`;
      try {
        const m = launchOne(s, region, g);
        g.instances.push(m);
        g.launchFailedAt = undefined;
        addActivity(s, region, { group: g.name, description: `Launching a new EC2 instance: ${m.instanceId}`, cause, status: 'InProgress', details: JSON.stringify({ 'Availability Zone': m.az }), instanceId: m.instanceId, ends: 'running' });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        g.launchFailedAt = now;
        addActivity(s, region, { group: g.name, description: 'Launching a new EC2 instance.  Status Reason: ' + e.message, cause, status: 'Failed', statusMessage: e.message, details: '{}', endTime: now });
        break;
      }
      s.changed();
    }
  }
  live = liveMembers(g);
  if (live.length > want) {
    // Default termination policy, simplified: the zone with the most instances, then the oldest launched.
    const byZone = (z: string) => live.filter((m) => m.az === z).length;
    const victims = [...live].sort((a, b) => byZone(b.az) - byZone(a.az) || a.launchedAt - b.launchedAt).slice(0, live.length - want);
    const cause = g.deleting
      ? `At ${stamp(now)} a user request delete of AutoScalingGroup ${g.name} was received. The group is terminating its instances.`
      : `At ${stamp(now)} a user request update of AutoScalingGroup constraints to ${sizes(g)} changing the desired capacity from ${live.length} to ${want}. At ${stamp(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${live.length} to ${want}.`;
    for (const m of victims) await terminateMember(s, region, g, m, cause);
  }
  if (g.deleting && g.instances.length === 0) { delete autoScalingOf(r).groups[g.name]; s.changed(); }
}

/** Ends activities whose instance got where the activity was taking it. */
function settleActivities(s: Sandbox, region: string): void {
  const r = s.region(region);
  for (const a of autoScalingOf(r).activities) {
    if (a.status !== 'InProgress' || !a.instanceId) continue;
    const state = r.instances[a.instanceId]?.state ?? 'terminated';
    const done = a.ends === 'terminated' ? state === 'terminated' : state === 'running';
    const lost = a.ends === 'running' && (state === 'terminated' || state === 'shutting-down');
    if (done || lost) { a.status = done ? 'Successful' : 'Failed'; a.endTime = s.now(); s.changed(); }
  }
}

const running = new WeakMap<Sandbox, Promise<void>>();

/** One pass over every group of every region; passes never overlap. */
export function reconcile(s: Sandbox): Promise<void> {
  const busy = running.get(s);
  if (busy) return busy;
  const regions = Object.entries(s.world.regions).filter(([, r]) => r.autoScaling);
  if (regions.length === 0) return Promise.resolve();
  const pass = (async () => {
    s.settle();
    for (const [region, r] of regions) {
      for (const g of Object.values(r.autoScaling!.groups)) await reconcileGroup(s, region, g);
      settleActivities(s, region);
    }
  })().finally(() => running.delete(s));
  running.set(s, pass);
  return pass;
}

/** The controller's timer; stop() when the server closes. */
export function startAutoScalingController(s: Sandbox): { stop(): void } {
  const timer = setInterval(() => {
    reconcile(s).catch((e: unknown) => process.stderr.write(`sandbox: auto scaling controller: ${(e as Error)?.message ?? e}\n`));
  }, TICK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
