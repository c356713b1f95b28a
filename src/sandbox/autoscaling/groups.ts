// Auto Scaling groups: Create/Update/Delete/Describe, SetDesiredCapacity, instances, activities and
// scheduled actions. Errors use Auto Scaling's vocabulary (ValidationError, AlreadyExists, ResourceInUse).
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import { SANDBOX_ACCOUNT_ID } from '../ids.js';
import { azsOf, findType } from '../ec2/catalog.js';
import { network } from '../ec2/vpcs.js';
import { findTemplate } from '../ec2/launch-templates.js';
import { paginate, type Params } from '../ec2/params.js';
import type { Region } from '../state.js';
import type { Sandbox } from '../world.js';
import { addActivity, terminateMember } from './controller.js';
import { autoScalingOf, type Group, type GroupTag, type MixedPolicy, type TemplateSpec } from './model.js';

const invalid = (msg: string) => new ApiError('ValidationError', msg);

function groupOf(r: Region, name: string): Group {
  const g = autoScalingOf(r).groups[name];
  if (!g) throw invalid(`AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  return g;
}

function count(p: Params, k: string, field: string): number | undefined {
  const v = p.str(k);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw invalid(`1 validation error detected: Value '${v}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to 0`);
  return n;
}

function templateSpec(r: Region, p: Params): TemplateSpec {
  try {
    const t = findTemplate(r, p.str('LaunchTemplateId'), p.str('LaunchTemplateName'));
    return { id: t.id, name: t.name, version: p.str('Version') ?? '$Default' };
  } catch (e) {
    throw e instanceof ApiError ? invalid(`You must use a valid fully-formed launch template. ${e.message}`) : e;
  }
}

/** The policy as given; on UpdateAutoScalingGroup what is left out of it stays as it was (`old`), as in AWS. */
function mixedPolicy(r: Region, p: Params, old?: MixedPolicy): MixedPolicy {
  const dist = p.sub('InstancesDistribution');
  const lt = p.sub('LaunchTemplate');
  const overrides = lt.structs('Overrides.member').map((o) => o.str('InstanceType')).filter((t): t is string => !!t);
  for (const t of overrides) if (!findType(t)) throw invalid(`Invalid instance type ${t} in Overrides.`);
  const pct = count(dist, 'OnDemandPercentageAboveBaseCapacity', 'onDemandPercentageAboveBaseCapacity') ?? old?.onDemandPercentAboveBase ?? 100;
  if (pct > 100) throw invalid('OnDemandPercentageAboveBaseCapacity must be between 0 and 100.');
  return {
    template: lt.sub('LaunchTemplateSpecification').map.size || !old ? templateSpec(r, lt.sub('LaunchTemplateSpecification')) : old.template,
    overrides: lt.map.size || !old ? overrides : old.overrides,
    onDemandBase: count(dist, 'OnDemandBaseCapacity', 'onDemandBaseCapacity') ?? old?.onDemandBase ?? 0, onDemandPercentAboveBase: pct,
    spotStrategy: dist.str('SpotAllocationStrategy') ?? old?.spotStrategy ?? 'price-capacity-optimized',
  };
}

/** Where the group may launch: VPCZoneIdentifier subnets (any VPC's) or zones. */
function placement(s: Sandbox, region: string, p: Params): { azs: string[]; subnets: string[] } | undefined {
  const zones = azsOf(region);
  const subnetIds = (p.str('VPCZoneIdentifier') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (subnetIds.length) {
    const known = network(s, region).subnets;
    const azs = subnetIds.map((id) => {
      const az = known[id]?.az;
      if (!az) throw invalid(`The subnet ID '${id}' does not exist`);
      return az;
    });
    return { azs: [...new Set(azs)], subnets: subnetIds };
  }
  const azs = p.list('AvailabilityZones.member');
  for (const z of azs) if (!zones.includes(z)) throw invalid(`The availability zone '${z}' is not legal`);
  return azs.length ? { azs: [...new Set(azs)], subnets: [] } : undefined;
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min > max) throw invalid(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) throw invalid(`Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
}

function readTags(p: Params): GroupTag[] {
  return p.structs('Tags.member').map((t) => {
    const key = t.str('Key');
    if (!key) throw invalid('Tag key cannot be empty.');
    if (key.toLowerCase().startsWith('aws:')) throw invalid(`Tag keys starting with 'aws:' are reserved for internal use`);
    return { key, value: t.str('Value') ?? '', propagateAtLaunch: t.str('PropagateAtLaunch') === 'true' };
  });
}

export function createAutoScalingGroup(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const name = p.req('AutoScalingGroupName');
  if (name.length > 255) throw invalid('AutoScalingGroupName must be at most 255 characters.');
  const sources = ['LaunchTemplate', 'MixedInstancesPolicy', 'LaunchConfigurationName', 'InstanceId'].filter((k) => p.str(k) !== undefined || p.sub(k).map.size > 0);
  if (sources.length !== 1) throw invalid('Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.');
  if (sources[0] === 'LaunchConfigurationName') throw invalid(`Launch configuration name not found - Launch configuration ${p.str('LaunchConfigurationName')} not found`);
  if (sources[0] === 'InstanceId') throw invalid('The sandbox creates groups from launch templates only (LaunchTemplate or MixedInstancesPolicy).');
  const min = count(p, 'MinSize', 'minSize'), max = count(p, 'MaxSize', 'maxSize');
  if (min === undefined) throw invalid("1 validation error detected: Value null at 'minSize' failed to satisfy constraint: Member must not be null");
  if (max === undefined) throw invalid("1 validation error detected: Value null at 'maxSize' failed to satisfy constraint: Member must not be null");
  const desired = count(p, 'DesiredCapacity', 'desiredCapacity') ?? min;
  checkSizes(min, max, desired);
  const where = placement(s, region, p);
  if (!where) throw invalid('At least one Availability Zone or VPC Subnet is required.');
  const template = sources[0] === 'LaunchTemplate' ? templateSpec(r, p.sub('LaunchTemplate')) : undefined;
  const mixed = sources[0] === 'MixedInstancesPolicy' ? mixedPolicy(r, p.sub('MixedInstancesPolicy')) : undefined;
  const tags = readTags(p);
  const all = autoScalingOf(r).groups;
  if (all[name]) throw new ApiError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`);
  all[name] = {
    name, arn: `arn:aws:autoscaling:${region}:${SANDBOX_ACCOUNT_ID}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`,
    createTime: s.now(), min, max, desired, template, mixed, ...where, tags,
    healthCheckGracePeriod: count(p, 'HealthCheckGracePeriod', 'healthCheckGracePeriod') ?? 300, instances: [], scheduled: [],
  };
  s.changed();
  return undefined;
}

export function updateAutoScalingGroup(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const g = groupOf(r, p.req('AutoScalingGroupName'));
  if (g.deleting) throw new ApiError('ScalingActivityInProgress', 'Update of the AutoScalingGroup is not allowed while it is being deleted.');
  const min = count(p, 'MinSize', 'minSize') ?? g.min, max = count(p, 'MaxSize', 'maxSize') ?? g.max;
  // A new bound that excludes the current capacity moves it, as AWS does.
  const desired = count(p, 'DesiredCapacity', 'desiredCapacity') ?? Math.min(max, Math.max(min, g.desired));
  checkSizes(min, max, desired);
  const where = placement(s, region, p);
  const template = p.sub('LaunchTemplate').map.size ? templateSpec(r, p.sub('LaunchTemplate')) : undefined;
  const mixed = p.sub('MixedInstancesPolicy').map.size ? mixedPolicy(r, p.sub('MixedInstancesPolicy'), g.mixed) : undefined;
  Object.assign(g, { min, max, desired }, where ?? {});
  if (template) { g.template = template; g.mixed = undefined; }
  if (mixed) { g.mixed = mixed; g.template = undefined; }
  // New settings take effect on the next scaling activity: a launch that failed is retried now.
  if (template || mixed) g.launchFailedAt = undefined;
  s.changed();
  return undefined;
}

export function setDesiredCapacity(s: Sandbox, region: string, p: Params) {
  const g = groupOf(s.region(region), p.req('AutoScalingGroupName'));
  const desired = count(p, 'DesiredCapacity', 'desiredCapacity');
  if (desired === undefined) throw invalid("1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null");
  if (desired > g.max) throw invalid(`New SetDesiredCapacity value ${desired} is above max value ${g.max} for the AutoScalingGroup.`);
  if (desired < g.min) throw invalid(`New SetDesiredCapacity value ${desired} is below min value ${g.min} for the AutoScalingGroup.`);
  g.desired = desired;
  s.changed();
  return undefined;
}

export async function deleteAutoScalingGroup(s: Sandbox, region: string, p: Params) {
  const g = groupOf(s.region(region), p.req('AutoScalingGroupName'));
  if (!p.bool('ForceDelete')) {
    if (g.instances.length) throw new ApiError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances still in the group.');
    delete autoScalingOf(s.region(region)).groups[g.name];
  } else if (!g.deleting) {
    g.deleting = true;
    g.min = g.max = g.desired = 0;
    g.scheduled = [];
  }
  s.changed();
  return undefined;
}

export async function terminateInstanceInAutoScalingGroup(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const id = p.req('InstanceId');
  const decrement = p.str('ShouldDecrementDesiredCapacity');
  if (decrement === undefined) throw invalid("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
  const found = Object.values(autoScalingOf(r).groups).flatMap((g) => g.instances.filter((m) => m.instanceId === id).map((m) => ({ g, m })))[0];
  if (!found) throw invalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
  const { g, m } = found;
  if (decrement === 'true') {
    if (g.desired - 1 < g.min) throw invalid(`Currently, desiredCapacity is ${g.desired} and minSize is ${g.min}. Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`);
    if (!m.terminating) g.desired -= 1;
  }
  const cause = `At ${new Date(s.now()).toISOString()} instance ${id} was taken out of service in response to a user request${decrement === 'true' ? ', shrinking the capacity from ' + (g.desired + 1) + ' to ' + g.desired : ''}.`;
  const act = m.terminating
    ? addActivity(s, region, { group: g.name, description: `Terminating EC2 instance: ${id}`, cause, status: 'InProgress', details: '{}', instanceId: id, ends: 'terminated' })
    : await terminateMember(s, region, g, m, cause);
  return { Activity: activityXml(act) };
}

const lifecycleState = (s: Sandbox, region: string, m: Group['instances'][number]) => {
  const state = s.region(region).instances[m.instanceId]?.state;
  if (m.terminating) return state === 'terminated' ? 'Terminated' : 'Terminating';
  return state === 'running' ? 'InService' : 'Pending';
};
const templateXml = (t: TemplateSpec) => ({ LaunchTemplateId: t.id, LaunchTemplateName: t.name, Version: t.version });

function groupXml(s: Sandbox, region: string, g: Group) {
  return {
    AutoScalingGroupName: g.name, AutoScalingGroupARN: g.arn,
    LaunchTemplate: g.template ? templateXml(g.template) : undefined,
    MixedInstancesPolicy: g.mixed ? {
      LaunchTemplate: { LaunchTemplateSpecification: templateXml(g.mixed.template), Overrides: { member: g.mixed.overrides.map((InstanceType) => ({ InstanceType })) } },
      InstancesDistribution: { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: g.mixed.onDemandBase, OnDemandPercentageAboveBaseCapacity: g.mixed.onDemandPercentAboveBase, SpotAllocationStrategy: g.mixed.spotStrategy },
    } : undefined,
    MinSize: g.min, MaxSize: g.max, DesiredCapacity: g.desired, DefaultCooldown: 300,
    AvailabilityZones: { member: g.azs }, LoadBalancerNames: { member: [] }, TargetGroupARNs: { member: [] },
    HealthCheckType: 'EC2', HealthCheckGracePeriod: g.healthCheckGracePeriod,
    Instances: { member: g.instances.map((m) => ({
      InstanceId: m.instanceId, InstanceType: m.instanceType, AvailabilityZone: m.az, LifecycleState: lifecycleState(s, region, m),
      HealthStatus: m.health, LaunchTemplate: templateXml(m.template), ProtectedFromScaleIn: false,
    })) },
    CreatedTime: new Date(g.createTime), SuspendedProcesses: { member: [] }, VPCZoneIdentifier: g.subnets.join(',') || undefined,
    EnabledMetrics: { member: [] }, Status: g.deleting ? 'Delete in progress' : undefined,
    Tags: { member: g.tags.map((t) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch })) },
    TerminationPolicies: { member: ['Default'] }, NewInstancesProtectedFromScaleIn: false,
  };
}

const GROUP_FILTERS = new Set(['tag-key', 'tag-value']);
export function describeAutoScalingGroups(s: Sandbox, region: string, p: Params) {
  const names = p.list('AutoScalingGroupNames.member');
  const filters = p.structs('Filters.member').map((f) => ({ name: f.req('Name'), values: f.list('Values.member') }));
  for (const f of filters) if (!GROUP_FILTERS.has(f.name) && !f.name.startsWith('tag:')) throw invalid(`Filter name ${f.name} is invalid.`);
  const groups = Object.values(autoScalingOf(s.region(region)).groups).filter((g) => (names.length === 0 || names.includes(g.name))
    && filters.every((f) => g.tags.some((t) => f.name === 'tag-key' ? f.values.includes(t.key) : f.name === 'tag-value' ? f.values.includes(t.value) : t.key === f.name.slice(4) && f.values.includes(t.value))));
  const { page, nextToken } = paginate(groups, p, { min: 1, max: 100, defaultMax: 50, maxName: 'MaxRecords' });
  return { AutoScalingGroups: { member: page.map((g) => groupXml(s, region, g)) }, NextToken: nextToken };
}

export function describeAutoScalingInstances(s: Sandbox, region: string, p: Params) {
  const ids = p.list('InstanceIds.member');
  const all = Object.values(autoScalingOf(s.region(region)).groups).flatMap((g) => g.instances.map((m) => ({ g, m })))
    .filter(({ m }) => ids.length === 0 || ids.includes(m.instanceId));
  const { page, nextToken } = paginate(all, p, { min: 1, max: 50, defaultMax: 50, maxName: 'MaxRecords' });
  return {
    AutoScalingInstances: { member: page.map(({ g, m }) => ({
      InstanceId: m.instanceId, InstanceType: m.instanceType, AutoScalingGroupName: g.name, AvailabilityZone: m.az,
      LifecycleState: lifecycleState(s, region, m), HealthStatus: m.health.toUpperCase(), LaunchTemplate: templateXml(m.template), ProtectedFromScaleIn: false,
    })) },
    NextToken: nextToken,
  };
}

function activityXml(a: ReturnType<typeof addActivity>) {
  return {
    ActivityId: a.id, AutoScalingGroupName: a.group, Description: a.description, Cause: a.cause, StartTime: new Date(a.startTime),
    EndTime: a.endTime !== undefined ? new Date(a.endTime) : undefined, StatusCode: a.status, StatusMessage: a.statusMessage,
    Progress: a.status === 'InProgress' ? 50 : 100, Details: a.details,
  };
}

export function describeScalingActivities(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const name = p.str('AutoScalingGroupName');
  const ids = p.list('ActivityIds.member');
  const list = [...autoScalingOf(r).activities].reverse().filter((a) => (!name || a.group === name) && (ids.length === 0 || ids.includes(a.id))
    && (p.bool('IncludeDeletedGroups') || !!autoScalingOf(r).groups[a.group]));
  const { page, nextToken } = paginate(list, p, { min: 1, max: 100, defaultMax: 100, maxName: 'MaxRecords' });
  return { Activities: { member: page.map(activityXml) }, NextToken: nextToken };
}

export function putScheduledUpdateGroupAction(s: Sandbox, region: string, p: Params) {
  const g = groupOf(s.region(region), p.req('AutoScalingGroupName'));
  const name = p.req('ScheduledActionName');
  if (p.str('Recurrence') !== undefined) throw invalid('The sandbox runs one-time scheduled actions only (no Recurrence).');
  const min = count(p, 'MinSize', 'minSize'), max = count(p, 'MaxSize', 'maxSize'), desired = count(p, 'DesiredCapacity', 'desiredCapacity');
  if (min === undefined && max === undefined && desired === undefined) throw invalid('At least one of MinSize, MaxSize or DesiredCapacity must be specified.');
  const when = p.str('StartTime') ?? p.str('Time');
  const startTime = when === undefined ? s.now() : Date.parse(when);
  if (Number.isNaN(startTime)) throw invalid(`Invalid StartTime ${when}.`);
  if (startTime < s.now() - 60_000) throw invalid('Given start time is in the past');
  g.scheduled = [...g.scheduled.filter((a) => a.name !== name), { name, startTime, min, max, desired }];
  s.changed();
  return undefined;
}

export function deleteScheduledAction(s: Sandbox, region: string, p: Params) {
  const g = groupOf(s.region(region), p.req('AutoScalingGroupName'));
  const name = p.req('ScheduledActionName');
  if (!g.scheduled.some((a) => a.name === name)) throw invalid(`Scheduled Update Group Action not found - Could not find scheduled action ${name} for group ${g.name}`);
  g.scheduled = g.scheduled.filter((a) => a.name !== name);
  s.changed();
  return undefined;
}

export function describeScheduledActions(s: Sandbox, region: string, p: Params) {
  const r = s.region(region);
  const name = p.str('AutoScalingGroupName');
  const names = p.list('ScheduledActionNames.member');
  const groups = name ? [groupOf(r, name)] : Object.values(autoScalingOf(r).groups);
  const all = groups.flatMap((g) => g.scheduled.filter((a) => names.length === 0 || names.includes(a.name)).map((a) => ({
    AutoScalingGroupName: g.name, ScheduledActionName: a.name,
    ScheduledActionARN: `${g.arn.replace(':autoScalingGroup:', ':scheduledUpdateGroupAction:')}:scheduledActionName/${a.name}`,
    Time: new Date(a.startTime), StartTime: new Date(a.startTime), MinSize: a.min, MaxSize: a.max, DesiredCapacity: a.desired,
  })));
  const { page, nextToken } = paginate(all, p, { min: 1, max: 100, defaultMax: 50, maxName: 'MaxRecords' });
  return { ScheduledUpdateGroupActions: { member: page }, NextToken: nextToken };
}
