// Pure: an action + the instances (or snapshots) it applies to -> the steps to take, what is left
// alone and why; describe.ts words them for the confirmation. No AWS here; tasks.ts executes the steps.
import { checkDnsName } from '../../lib/dns.js';
import { TAGS, label, type InstanceInfo } from '../../lib/instances.js';
import { DESTRUCTIVE, type ActionKind } from './options.js';

export { confirmQuestion, describePlan, describeSelection, describeStep, VERB } from './describe.js';

export type Step =
  | { kind: 'stop'; force: boolean }
  | { kind: 'start' }
  /** Delete the instance's Route 53 record, only if it still points at `expectedValues`. */
  | { kind: 'delete-record'; record: string; zoneId?: string; expectedValues: string[] }
  /** Point the record at the instance's new address, only if it still holds what ec2term last wrote. */
  | { kind: 'follow-record'; record: string; zoneId?: string; lastWritten?: string; waitInsync: boolean }
  /** The instance's DNS tags cannot name a record: leave DNS alone, say so, carry on. */
  | { kind: 'skip-record'; record: string; reason: string }
  | { kind: 'terminate' }
  /** Release the Elastic IP ec2launch --eip allocated for it (tag ec2term:eip), once it is let go. */
  | { kind: 'release-eip'; allocationId: string }
  | { kind: 'wait'; states: string[] }
  | { kind: 'snapshot'; volumeId: string; device?: string; sizeGiB?: number; tags: Record<string, string>; description: string }
  | { kind: 'wait-snapshots' }
  | { kind: 'delete-snapshot'; snapshotId: string };

/** The steps for one instance (or snapshot), taken in order; tasks run concurrently. */
export interface Task {
  /** The instance acted on; undefined for snapshot deletions. */
  instance?: InstanceInfo;
  region: string;
  /** What the task is about, for messages: "lab (i-0abc)" or "snap-0123". */
  subject: string;
  steps: Step[];
  /** --expired / --terminate-all: why this instance was picked, from what (see selectionOf). */
  selectedBy?: Selection;
}

/**
 * Why a bulk action picked an instance. The tags are claims anyone with CreateTags in the account can
 * make, so the plan shows them, with what EC2 itself recorded at launch (key pair, launch time).
 */
export interface Selection {
  /** The tags that caused the selection, as they are. */
  tags: Record<string, string>;
  /** Set by EC2 at launch, not a tag. */
  keyName: string | null;
  launchTime: string | null;
  /** Tag ec2term:launched-by (user@host of the ec2launch run): a claim, like every tag. */
  launchedBy: string | null;
}

export interface Skip {
  subject: string;
  region: string;
  id: string;
  reason: string;
}

export interface Plan {
  action: ActionKind;
  destructive: boolean;
  tasks: Task[];
  skipped: Skip[];
}

export interface PlanOptions {
  force?: boolean;
  wait?: boolean;
  includeUnmanaged?: boolean;
  now?: number;
}

/** Tags ec2term puts on the snapshots it makes. */
export const SNAPSHOT_TAGS = {
  instance: 'ec2term:instance',
  instanceName: 'ec2term:instance-name',
  device: 'ec2term:device',
} as const;

const GONE = new Set(['shutting-down', 'terminated']);

function skip(i: InstanceInfo, reason: string): Skip {
  return { subject: label(i), region: i.region, id: i.id, reason };
}

function task(i: InstanceInfo, steps: Step[]): Task {
  return { instance: i, region: i.region, subject: label(i), steps };
}

const ZONE_ID = /^Z[A-Z0-9]{1,32}$/;

/** Pure: the instance's DNS tags as a record name and zone id, or why they cannot be one (tags are anyone's to set). */
function dnsTarget(i: InstanceInfo): { record: string; zoneId?: string } | { record: string; bad: string } | undefined {
  if (!i.dnsRecord) return undefined;
  const raw = i.dnsRecord;
  try {
    const record = checkDnsName(raw);
    if (i.hostedZoneId !== undefined && !ZONE_ID.test(i.hostedZoneId.replace(/^\/hostedzone\//, ''))) {
      return { record, bad: `its tag ${TAGS.zone}=${JSON.stringify(i.hostedZoneId)} is not a hosted zone id` };
    }
    return { record, zoneId: i.hostedZoneId?.replace(/^\/hostedzone\//, '') };
  } catch {
    return { record: JSON.stringify(raw), bad: `its tag ${TAGS.dns}=${JSON.stringify(raw)} is not a DNS name` };
  }
}

/** Pure: the values an instance's record may hold and still be ec2term's: its address and DNS name now, and what ec2term last wrote there. */
export function ownedValues(i: InstanceInfo): string[] {
  return [...new Set([i.publicIp, i.publicDns, i.dnsValue].filter((v): v is string => Boolean(v)))];
}

/** Pure: the DNS step for an instance whose tags name a record (none when they don't). */
export function dnsStep(i: InstanceInfo): Step[] {
  const t = dnsTarget(i);
  if (!t) return [];
  if ('bad' in t) return [{ kind: 'skip-record', record: t.record, reason: t.bad }];
  return [{ kind: 'delete-record', record: t.record, zoneId: t.zoneId, expectedValues: ownedValues(i) }];
}

/** Pure: after a start, the record follows the new address (EC2 gives one on every start). */
export function followStep(i: InstanceInfo, wait: boolean): Step[] {
  const t = dnsTarget(i);
  if (!t) return [];
  if ('bad' in t) return [{ kind: 'skip-record', record: t.record, reason: t.bad }];
  return [{ kind: 'follow-record', record: t.record, zoneId: t.zoneId, lastWritten: i.dnsValue, waitInsync: wait }];
}

/** Pure: what made --expired / --terminate-all pick an instance. */
export function selectionOf(kind: 'terminate-all' | 'expired', i: InstanceInfo): Selection {
  const keys = kind === 'expired' ? [TAGS.managed, TAGS.expiresAt] : i.managed ? [TAGS.managed] : [];
  return {
    tags: Object.fromEntries(keys.filter((k) => i.tags[k] !== undefined).map((k) => [k, i.tags[k]!])),
    keyName: i.keyName ?? null,
    launchTime: i.launchTime?.toISOString() ?? null,
    launchedBy: i.tags[TAGS.launchedBy] ?? null,
  };
}

/** Pure: which instances --terminate-all or --expired would take, and which they leave alone. */
export function selectBulk(
  kind: 'terminate-all' | 'expired',
  instances: InstanceInfo[],
  opts: { includeUnmanaged?: boolean; now: number },
): { selected: InstanceInfo[]; skipped: Skip[] } {
  const selected: InstanceInfo[] = [];
  const skipped: Skip[] = [];
  for (const i of instances) {
    if (GONE.has(i.state)) continue;
    if (kind === 'expired') {
      if (!i.managed) continue; // not ours: never a janitor's business, not even worth a line
      if (!i.expiresAt) continue;
      if (i.expiresAt.getTime() > opts.now) continue;
      selected.push(i);
    } else if (i.managed || opts.includeUnmanaged) {
      selected.push(i);
    } else {
      skipped.push(skip(i, 'not made by ec2term (add --include-unmanaged to include it)'));
    }
  }
  return { selected, skipped };
}

/** Pure: the plan for stop, start or terminate (terminate-all and expired after selectBulk). */
export function planInstanceAction(kind: ActionKind, instances: InstanceInfo[], opts: PlanOptions = {}): Plan {
  const tasks: Task[] = [];
  const skipped: Skip[] = [];
  const seen = new Set<string>();
  for (const i of instances) {
    const key = `${i.region}/${i.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    switch (kind) {
      case 'stop':
        if (GONE.has(i.state)) skipped.push(skip(i, `is ${i.state}`));
        else if (i.state === 'stopped' || i.state === 'stopping') skipped.push(skip(i, `already ${i.state}`));
        else tasks.push(task(i, [{ kind: 'stop', force: Boolean(opts.force) }, ...(opts.wait ? [{ kind: 'wait', states: ['stopped'] } as Step] : [])]));
        break;
      case 'start':
        if (GONE.has(i.state)) skipped.push(skip(i, `is ${i.state}`));
        else if (i.state === 'running' || i.state === 'pending') skipped.push(skip(i, `already ${i.state}`));
        else if (i.state === 'stopping') skipped.push(skip(i, 'is still stopping; start it once it is stopped'));
        else tasks.push(task(i, [{ kind: 'start' }, ...(opts.wait ? [{ kind: 'wait', states: ['running'] } as Step] : []), ...followStep(i, Boolean(opts.wait))]));
        break;
      case 'terminate':
      case 'terminate-all':
      case 'expired': {
        if (i.state === 'terminated') {
          skipped.push(skip(i, 'already terminated'));
          break;
        }
        const wait: Step[] = opts.wait ? [{ kind: 'wait', states: ['terminated'] }] : [];
        if (i.state === 'shutting-down') {
          if (opts.wait) tasks.push(task(i, wait));
          else skipped.push(skip(i, 'already shutting down'));
          break;
        }
        const eip: Step[] = i.tags[TAGS.eip] ? [{ kind: 'release-eip', allocationId: i.tags[TAGS.eip]! }] : [];
        const t = task(i, [...dnsStep(i), { kind: 'terminate' }, ...eip, ...wait]);
        if (kind !== 'terminate') t.selectedBy = selectionOf(kind, i);
        tasks.push(t);
        break;
      }
      default:
        throw new Error(`planInstanceAction: ${kind} is not an instance action`);
    }
  }
  return { action: kind, destructive: DESTRUCTIVE.has(kind), tasks, skipped };
}

export interface VolumeInfo {
  volumeId: string;
  device?: string;
  sizeGiB?: number;
}

/** Pure: one snapshot per attached volume, tagged so --snapshots finds it and tells where it came from. */
export function planSnapshots(targets: { instance: InstanceInfo; volumes: VolumeInfo[] }[], opts: { now: number; wait?: boolean }): Plan {
  const tasks: Task[] = [];
  const skipped: Skip[] = [];
  const stamp = new Date(opts.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const { instance: i, volumes } of targets) {
    if (volumes.length === 0) {
      skipped.push(skip(i, 'has no EBS volumes attached'));
      continue;
    }
    const steps: Step[] = volumes.map((v) => {
      const who = i.name ?? i.id;
      const tags: Record<string, string> = {
        Name: `${who}${v.device ? ` ${v.device}` : ''} ${stamp}`,
        [TAGS.managed]: 'true',
        [SNAPSHOT_TAGS.instance]: i.id,
        ...(i.name ? { [SNAPSHOT_TAGS.instanceName]: i.name } : {}),
        ...(v.device ? { [SNAPSHOT_TAGS.device]: v.device } : {}),
      };
      return { kind: 'snapshot', volumeId: v.volumeId, device: v.device, sizeGiB: v.sizeGiB, tags, description: `ec2term snapshot of ${label(i)} ${v.device ?? v.volumeId} at ${stamp}` };
    });
    if (opts.wait) steps.push({ kind: 'wait-snapshots' });
    tasks.push(task(i, steps));
  }
  return { action: 'snapshot', destructive: false, tasks, skipped };
}

export interface SnapshotInfo {
  snapshotId: string;
  region: string;
  managed: boolean;
  state?: string;
  description?: string;
}

/** Pure: delete the named snapshots; ones ec2term did not make only with --include-unmanaged. */
export function planDeleteSnapshots(ids: string[], found: SnapshotInfo[], opts: PlanOptions = {}): Plan {
  const tasks: Task[] = [];
  const skipped: Skip[] = [];
  for (const id of [...new Set(ids)]) {
    const s = found.find((x) => x.snapshotId === id);
    if (!s) {
      skipped.push({ subject: id, id, region: '', reason: 'not found' });
      continue;
    }
    if (!s.managed && !opts.includeUnmanaged) {
      skipped.push({ subject: id, id, region: s.region, reason: 'not made by ec2term (add --include-unmanaged to delete it anyway)' });
      continue;
    }
    tasks.push({ region: s.region, subject: id, steps: [{ kind: 'delete-snapshot', snapshotId: id }] });
  }
  return { action: 'delete-snapshot', destructive: true, tasks, skipped };
}
