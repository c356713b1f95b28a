// The RunInstances request for one host of a plan (the fleet's launch template is made from it too).
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { userDataForEc2 } from '../../lib/graphterm/userdata-wire.js';
import { TAGS } from '../../lib/instances.js';
import type { ImageChoice } from './image.js';
import type { LaunchPlan } from './plan.js';
import { placementRequest } from './placement.js';
import type { HostPrep, Preflight } from './preflight.js';

function blockDevices(plan: LaunchPlan, image: ImageChoice): RunInstancesCommandInput['BlockDeviceMappings'] {
  const out: NonNullable<RunInstancesCommandInput['BlockDeviceMappings']> = [];
  if (plan.volumeSize) out.push({ DeviceName: image.rootDevice, Ebs: { VolumeSize: plan.volumeSize, VolumeType: 'gp3', DeleteOnTermination: true } });
  if (plan.dataVolume) {
    out.push({
      DeviceName: '/dev/sdf',
      Ebs: { VolumeSize: plan.dataVolume.sizeGb, SnapshotId: plan.dataVolume.snapshotId, VolumeType: 'gp3', DeleteOnTermination: true },
    });
  }
  return out.length ? out : undefined;
}

/** The RunInstances request for one host. */
export function runRequest(plan: LaunchPlan, pre: Preflight, prep: HostPrep, ids: { keyName?: string; groupId?: string; memberGroupId?: string }): RunInstancesCommandInput {
  const volumeTags = [
    ...Object.entries(plan.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: TAGS.managed, Value: 'true' },
    { Key: TAGS.name, Value: prep.host.name },
  ];
  return {
    ImageId: pre.image.id,
    InstanceType: plan.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    KeyName: plan.placement.noKeyPair ? undefined : ids.keyName,
    SecurityGroupIds: ids.groupId ? [ids.groupId, ...(ids.memberGroupId ? [ids.memberGroupId] : [])] : undefined,
    UserData: userDataForEc2(prep.userData),
    ...placementRequest(plan.placement, pre.placement),
    BlockDeviceMappings: blockDevices(plan, pre.image),
    InstanceInitiatedShutdownBehavior: plan.ttlMs !== undefined ? 'terminate' : undefined,
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    TagSpecifications: [
      { ResourceType: 'instance', Tags: Object.entries(prep.tags).map(([Key, Value]) => ({ Key, Value })) },
      { ResourceType: 'volume', Tags: volumeTags },
    ],
  };
}
