// Pure: an action + the instances (or snapshots) it applies to -> the steps to take, what is left
// alone and why, and the plan's wording for the confirmation. No AWS here; run.ts executes the steps.
import { TAGS, label, type InstanceInfo } from '../../lib/instances.js';
import { DESTRUCTIVE, type ActionKind } from './options.js';

export type Step =
  | { kind: 'stop'; force: boolean }
  | { kind: 'start' }
  /** Delete the instance's Route 53 record, only if it still points at `expectedValues`. */
  | { kind: 'delete-record'; record: string; zoneId?: string; expectedValues: string[] }
  | { kind: 'terminate' }
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

/** Pure: the DNS step for an instance whose tags name a record (none when they don't). */
export function dnsStep(i: InstanceInfo): Step[] {
  if (!i.dnsRecord) return [];
  const expectedValues = [i.publicIp, i.publicDns].filter((v): v is string => Boolean(v));
  return [{ kind: 'delete-record', record: i.dnsRecord.replace(/\.$/, ''), zoneId: i.hostedZoneId, expectedValues }];
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
        else tasks.push(task(i, [{ kind: 'start' }, ...(opts.wait ? [{ kind: 'wait', states: ['running'] } as Step] : [])]));
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
        tasks.push(task(i, [...dnsStep(i), { kind: 'terminate' }, ...wait]));
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

/** The verb each action is told with ("terminate" for every kind of termination). */
export const VERB: Record<ActionKind, string> = {
  stop: 'stop',
  start: 'start',
  terminate: 'terminate',
  'terminate-all': 'terminate',
  expired: 'terminate',
  snapshot: 'snapshot',
  'delete-snapshot': 'delete',
};

/** Pure: one line per step, e.g. "delete DNS record lab.example.com if it still points at 1.2.3.4". */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'stop':
      return step.force ? 'force-stop' : 'stop';
    case 'start':
      return 'start';
    case 'delete-record':
      return step.expectedValues.length
        ? `delete DNS record ${step.record} if it still points at ${step.expectedValues.join(' or ')}`
        : `keep DNS record ${step.record} (the instance has no public address to check it against)`;
    case 'terminate':
      return 'terminate';
    case 'wait':
      return `wait until ${step.states.join(' or ')}`;
    case 'snapshot':
      return `snapshot ${step.volumeId}${step.device ? ` (${step.device}${step.sizeGiB ? `, ${step.sizeGiB} GiB` : ''})` : ''}`;
    case 'wait-snapshots':
      return 'wait until the snapshots complete';
    case 'delete-snapshot':
      return `delete snapshot ${step.snapshotId}`;
  }
}

/** Pure: the plan as the user reads it before confirming (and with --dry-run). */
export function describePlan(plan: Plan, opts: { dryRun?: boolean } = {}): string[] {
  const lines: string[] = [];
  const n = plan.tasks.length;
  const what = plan.action === 'delete-snapshot' ? `snapshot${n === 1 ? '' : 's'}` : `instance${n === 1 ? '' : 's'}`;
  const regions = [...new Set(plan.tasks.map((t) => t.region).filter(Boolean))];
  const where = regions.length ? ` in ${regions.join(', ')}` : '';
  if (n > 0) {
    lines.push(`${opts.dryRun ? 'Would' : 'Will'} ${VERB[plan.action]} ${n} ${what}${where}:`);
    for (const t of plan.tasks) {
      const state = t.instance ? ` [${t.instance.state}${t.instance.managed ? '' : ', not made by ec2term'}]` : '';
      lines.push(`  ${t.subject}${state}: ${t.steps.map(describeStep).join(', then ')}`);
    }
  } else {
    lines.push(`Nothing to ${VERB[plan.action]}.`);
  }
  for (const s of plan.skipped) lines.push(`  skipping ${s.subject}: ${s.reason}`);
  return lines;
}

/** Pure: the question asked before a destructive plan. */
export function confirmQuestion(plan: Plan): string {
  const n = plan.tasks.length;
  const what = plan.action === 'delete-snapshot' ? `snapshot${n === 1 ? '' : 's'}` : `instance${n === 1 ? '' : 's'}`;
  const verb = VERB[plan.action];
  return `${verb[0].toUpperCase()}${verb.slice(1)} ${n === 1 ? plan.tasks[0].subject : `these ${n} ${what}`}?`;
}
