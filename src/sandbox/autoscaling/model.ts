// Auto Scaling state kept per region in the world (plain JSON), and the tag AWS puts on group instances.
import type { Region } from '../state.js';

/** AWS tags every instance a group launches with this (reserved aws: prefix, so no client can forge it). */
export const GROUP_NAME_TAG = 'aws:autoscaling:groupName';

/** A launch template as a group names it: the version stays as given ($Default, $Latest or a number). */
export interface TemplateSpec { id: string; name: string; version: string }
export interface MixedPolicy {
  template: TemplateSpec;
  /** Instance types to launch, first preferred (Overrides.member.N.InstanceType). */
  overrides: string[];
  onDemandBase: number;
  onDemandPercentAboveBase: number;
  spotStrategy: string;
}
export interface GroupTag { key: string; value: string; propagateAtLaunch: boolean }
export interface GroupInstance {
  instanceId: string;
  az: string;
  instanceType: string;
  lifecycle: 'on-demand' | 'spot';
  template: TemplateSpec;
  launchedAt: number;
  health: 'Healthy' | 'Unhealthy';
  /** The group is terminating it (scale-in, replacement, deletion, or TerminateInstanceInAutoScalingGroup). */
  terminating?: boolean;
}
export interface ScheduledAction { name: string; startTime: number; min?: number; max?: number; desired?: number }
export interface Group {
  name: string;
  arn: string;
  createTime: number;
  min: number;
  max: number;
  desired: number;
  template?: TemplateSpec;
  mixed?: MixedPolicy;
  azs: string[];
  subnets: string[];
  tags: GroupTag[];
  healthCheckGracePeriod: number;
  instances: GroupInstance[];
  scheduled: ScheduledAction[];
  /** ForceDelete asked: the group terminates everything, then goes. */
  deleting?: boolean;
  /** Last failed launch: retries wait a little, as AWS backs off. */
  launchFailedAt?: number;
}
export interface Activity {
  id: string;
  group: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  status: 'InProgress' | 'Successful' | 'Failed';
  statusMessage?: string;
  details: string;
  /** The instance the activity launches or terminates: it ends when the instance gets there. */
  instanceId?: string;
  ends?: 'running' | 'terminated';
}
export interface AutoScaling { groups: Record<string, Group>; activities: Activity[] }

export const autoScalingOf = (r: Region): AutoScaling => (r.autoScaling ??= { groups: {}, activities: [] });

export const liveMembers = (g: Group): GroupInstance[] => g.instances.filter((m) => !m.terminating);
