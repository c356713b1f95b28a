// Pure planning for `ec2launch --hosts N --connect-to SERVER NAME`: a versioned launch template holding
// what one host's RunInstances would ask for, and an Auto Scaling group of N of them (docs/fleets.md).
import type { CreateAutoScalingGroupType } from '@aws-sdk/client-auto-scaling';
import type { RequestLaunchTemplateData, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { UsageError } from '../../../lib/errors.js';
import { TAGS } from '../../../lib/instances.js';
import type { LaunchPlan } from '../plan.js';

/** The most hosts one fleet may ask for (a class of thirty, with room). */
export const MAX_FLEET_HOSTS = 100;

export interface FleetPlan {
  name: string;
  hosts: number;
  spot: boolean;
  /** Both the launch template and the Auto Scaling group are named this. */
  resourceName: string;
}

/** The name ec2term gives a fleet's launch template and Auto Scaling group. */
export const fleetResourceName = (name: string): string => `ec2term-${name}`;

/** Pure: --hosts/--spot against the launch plan; UsageError for what a fleet cannot be. */
export function planFleet(hosts: string, spot: boolean | undefined, plan: LaunchPlan, o: { count?: string; clientToken?: string; replace?: boolean }): FleetPlan {
  const n = Number(hosts);
  if (!/^\d+$/.test(hosts.trim()) || n < 1 || n > MAX_FLEET_HOSTS) throw new UsageError(`bad --hosts ${JSON.stringify(hosts)}: expected a number of hosts from 1 to ${MAX_FLEET_HOSTS}`);
  if (plan.role !== 'host') throw new UsageError('--hosts N launches GraphTerm hosts: give the server they join with --connect-to SERVER');
  if (plan.domain) throw new UsageError(`--hosts: give a plain NAME such as ${plan.baseName.split('.')[0]} (fleet hosts get no DNS records; they are named NAME-<instance id>)`);
  if (o.count !== undefined) throw new UsageError('--hosts and --count both say how many: --hosts makes an Auto Scaling group, --count separate instances; give one');
  if (o.clientToken !== undefined) throw new UsageError('--client-token names one instance; a fleet is made idempotent by its group name instead');
  if (o.replace) throw new UsageError('--replace is for one instance; remove a fleet with ec2list --terminate NAME');
  return { name: plan.baseName, hosts: n, spot: Boolean(spot), resourceName: fleetResourceName(plan.baseName) };
}

/** Pure: one host's RunInstances request as launch template data (the same fields, minus the count). */
export function templateData(req: RunInstancesCommandInput): RequestLaunchTemplateData {
  return {
    ImageId: req.ImageId,
    InstanceType: req.InstanceType,
    KeyName: req.KeyName,
    SecurityGroupIds: req.SecurityGroupIds,
    UserData: req.UserData,
    BlockDeviceMappings: req.BlockDeviceMappings,
    MetadataOptions: req.MetadataOptions,
    TagSpecifications: req.TagSpecifications?.map((t) => ({ ResourceType: t.ResourceType, Tags: t.Tags?.filter((x) => x.Key !== TAGS.name) })),
  };
}

/** Pure: the Auto Scaling group: N hosts over the region's zones; --spot: spot instances through a mixed instances policy. */
export function groupRequest(f: FleetPlan, templateId: string, zones: string[], tags: Record<string, string>): CreateAutoScalingGroupType {
  const spec = { LaunchTemplateId: templateId, Version: '$Latest' };
  return {
    AutoScalingGroupName: f.resourceName,
    MinSize: 0,
    MaxSize: f.hosts,
    DesiredCapacity: f.hosts,
    AvailabilityZones: zones,
    ...(f.spot
      ? { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec }, InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' } } }
      : { LaunchTemplate: spec }),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: Key === TAGS.fleet })),
  };
}
