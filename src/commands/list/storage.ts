// EBS volumes and snapshots for ec2list (--volumes, --snapshots, --snapshot, --delete-snapshot): EC2's
// answers (through the region's `Ec2`) turned into rows, and the wait for snapshots to complete.
import type { Snapshot, Volume } from '@aws-sdk/client-ec2';
import type { Ec2 } from '../../lib/ec2.js';
import { TAGS, tagMap } from '../../lib/instances.js';
import { pollUntil, type WaitOptions } from '../../lib/wait.js';
import { SNAPSHOT_TAGS, type SnapshotInfo } from './plan.js';
import type { SnapshotRow } from './render.js';
import type { VolumeRow } from './rows.js';

/** Pure: EC2's Volume -> one row per attachment (instance id -> row). */
export function volumeRows(v: Volume): { instanceId: string; row: VolumeRow }[] {
  return (v.Attachments ?? [])
    .filter((a) => a.InstanceId)
    .map((a) => ({
      instanceId: a.InstanceId!,
      row: {
        volumeId: v.VolumeId ?? '',
        device: a.Device ?? null,
        sizeGiB: v.Size ?? null,
        type: v.VolumeType ?? null,
        state: v.State ?? null,
        iops: v.Iops ?? null,
        encrypted: Boolean(v.Encrypted),
        deleteOnTermination: a.DeleteOnTermination ?? null,
      },
    }));
}

/** Volumes attached to instances in this region, by instance id (all of them, or those of `ids`). */
export async function volumesByInstance(ec2: Ec2, ids?: string[]): Promise<Map<string, VolumeRow[]>> {
  const out = new Map<string, VolumeRow[]>();
  if (ids && ids.length === 0) return out;
  for (const v of await ec2.volumes(ids)) {
    for (const { instanceId, row } of volumeRows(v)) {
      const list = out.get(instanceId) ?? [];
      list.push(row);
      out.set(instanceId, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => (a.device ?? '').localeCompare(b.device ?? ''));
  return out;
}

/** Pure: EC2's Snapshot -> the --snapshots row. */
export function snapshotRow(s: Snapshot, region: string): SnapshotRow {
  const tags = tagMap(s.Tags);
  return {
    region,
    snapshotId: s.SnapshotId ?? '',
    volumeId: s.VolumeId && s.VolumeId !== 'vol-ffffffff' ? s.VolumeId : null,
    instanceId: tags[SNAPSHOT_TAGS.instance] || null,
    instanceName: tags[SNAPSHOT_TAGS.instanceName] || null,
    device: tags[SNAPSHOT_TAGS.device] || null,
    sizeGiB: s.VolumeSize ?? null,
    state: s.State ?? null,
    progress: s.Progress ?? null,
    startTime: s.StartTime ? new Date(s.StartTime).toISOString() : null,
    description: s.Description ?? null,
    managed: tags[TAGS.managed] === 'true',
    tags,
  };
}

async function describeSnapshots(ec2: Ec2, filters: { Name: string; Values: string[] }[]): Promise<SnapshotRow[]> {
  return (await ec2.snapshots(filters)).map((s) => snapshotRow(s, ec2.region));
}

/** Snapshots ec2term made (tag ec2term:managed=true) in this region. */
export function managedSnapshots(ec2: Ec2): Promise<SnapshotRow[]> {
  return describeSnapshots(ec2, [{ Name: `tag:${TAGS.managed}`, Values: ['true'] }]);
}

/** The snapshots with these ids in this region (missing ones are simply absent). */
export async function findSnapshots(ec2: Ec2, ids: string[]): Promise<SnapshotInfo[]> {
  const rows = await describeSnapshots(ec2, [{ Name: 'snapshot-id', Values: ids }]);
  return rows.map((r) => ({ snapshotId: r.snapshotId, region: r.region, managed: r.managed, state: r.state ?? undefined, description: r.description ?? undefined }));
}


/** Waits until every snapshot is completed (fails at once on "error"). */
export async function waitForSnapshots(ec2: Ec2, ids: string[], opts: WaitOptions): Promise<void> {
  await pollUntil(
    `snapshots ${ids.join(', ')} to complete`,
    async () => {
      const rows = await describeSnapshots(ec2, [{ Name: 'snapshot-id', Values: ids }]);
      const failed = rows.find((r) => r.state === 'error');
      if (failed) throw new Error(`snapshot ${failed.snapshotId} failed`);
      return rows.length === ids.length && rows.every((r) => r.state === 'completed');
    },
    opts,
  );
}
