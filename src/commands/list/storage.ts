// EBS volumes and snapshots for ec2list (--volumes, --snapshots, --snapshot, --delete-snapshot), through
// the region's SDK client and `call` so failures become typed errors. The SDK is imported lazily.
import type { Snapshot, Volume } from '@aws-sdk/client-ec2';
import { call, type Ec2 } from '../../lib/ec2.js';
import { TAGS, tagMap } from '../../lib/instances.js';
import { pollUntil, type WaitOptions } from '../../lib/wait.js';
import { SNAPSHOT_TAGS, type SnapshotInfo } from './plan.js';
import type { SnapshotRow } from './render.js';
import type { VolumeRow } from './rows.js';

const sdk = () => import('@aws-sdk/client-ec2');

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
export async function volumesByInstance(ec2: Ec2, ids?: string[], signal?: AbortSignal): Promise<Map<string, VolumeRow[]>> {
  const { DescribeVolumesCommand } = await sdk();
  const out = new Map<string, VolumeRow[]>();
  // A filter value list is limited (200 values); chunk when asked for specific instances.
  const chunks: (string[] | undefined)[] = ids ? Array.from({ length: Math.ceil(ids.length / 190) }, (_, k) => ids.slice(k * 190, k * 190 + 190)) : [undefined];
  for (const chunk of chunks) {
    if (chunk && chunk.length === 0) continue;
    let NextToken: string | undefined;
    do {
      const page = await call(`listing volumes in ${ec2.region}`, () =>
        ec2.client.send(
          new DescribeVolumesCommand({
            Filters: chunk ? [{ Name: 'attachment.instance-id', Values: chunk }] : undefined,
            MaxResults: 500,
            NextToken,
          }),
          { abortSignal: signal },
        ),
      );
      for (const v of page.Volumes ?? []) {
        for (const { instanceId, row } of volumeRows(v)) {
          const list = out.get(instanceId) ?? [];
          list.push(row);
          out.set(instanceId, list);
        }
      }
      NextToken = page.NextToken;
    } while (NextToken);
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

async function describeSnapshots(ec2: Ec2, filters: { Name: string; Values: string[] }[], signal?: AbortSignal): Promise<SnapshotRow[]> {
  const { DescribeSnapshotsCommand } = await sdk();
  const out: SnapshotRow[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call(`listing snapshots in ${ec2.region}`, () =>
      ec2.client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, MaxResults: 1000, NextToken }), { abortSignal: signal }),
    );
    for (const s of page.Snapshots ?? []) out.push(snapshotRow(s, ec2.region));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Snapshots ec2term made (tag ec2term:managed=true) in this region. */
export function managedSnapshots(ec2: Ec2, signal?: AbortSignal): Promise<SnapshotRow[]> {
  return describeSnapshots(ec2, [{ Name: `tag:${TAGS.managed}`, Values: ['true'] }], signal);
}

/** The snapshots with these ids in this region (missing ones are simply absent). */
export async function findSnapshots(ec2: Ec2, ids: string[], signal?: AbortSignal): Promise<SnapshotInfo[]> {
  const rows = await describeSnapshots(ec2, [{ Name: 'snapshot-id', Values: ids }], signal);
  return rows.map((r) => ({ snapshotId: r.snapshotId, region: r.region, managed: r.managed, state: r.state ?? undefined, description: r.description ?? undefined }));
}

export async function createSnapshot(
  ec2: Ec2,
  step: { volumeId: string; description: string; tags: Record<string, string> },
  signal?: AbortSignal,
): Promise<string> {
  const { CreateSnapshotCommand } = await sdk();
  const res = await call(`snapshotting ${step.volumeId}`, () =>
    ec2.client.send(
      new CreateSnapshotCommand({
        VolumeId: step.volumeId,
        Description: step.description,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: Object.entries(step.tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
      { abortSignal: signal },
    ),
  );
  return res.SnapshotId ?? '';
}

export async function deleteSnapshot(ec2: Ec2, id: string, signal?: AbortSignal): Promise<void> {
  const { DeleteSnapshotCommand } = await sdk();
  await call(`deleting snapshot ${id}`, () => ec2.client.send(new DeleteSnapshotCommand({ SnapshotId: id }), { abortSignal: signal }));
}

/** Waits until every snapshot is completed (fails at once on "error"). */
export async function waitForSnapshots(ec2: Ec2, ids: string[], opts: WaitOptions): Promise<void> {
  await pollUntil(
    `snapshots ${ids.join(', ')} to complete`,
    async () => {
      const rows = await describeSnapshots(ec2, [{ Name: 'snapshot-id', Values: ids }], opts.signal);
      const failed = rows.find((r) => r.state === 'error');
      if (failed) throw new Error(`snapshot ${failed.snapshotId} failed`);
      return rows.length === ids.length && rows.every((r) => r.state === 'completed');
    },
    opts,
  );
}
