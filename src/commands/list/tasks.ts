// ec2list's tasks: one instance's (or snapshot's) planned steps run in order, each step noted as it
// happens; a failure ends that task only.
import type { Dns } from '../../lib/dns.js';
import type { Ec2 } from '../../lib/ec2.js';
import { Ec2termError, fromAwsError } from '../../lib/errors.js';
import { TAGS } from '../../lib/instances.js';
import { CLEANUP_RETRY_MS, persistentCleanup, pollUntil, waitForInstanceState } from '../../lib/wait.js';
import type { CommandContext } from '../types.js';
import type { ListOptions } from './options.js';
import type { Task } from './plan.js';
import { waitForSnapshots } from './storage.js';

export interface TaskResult {
  subject: string;
  region: string;
  id: string;
  ok: boolean;
  /** What happened, in order, e.g. ["DNS record lab.example.com deleted", "terminating"]. */
  done: string[];
  /** The state EC2 reported last; null when no step reported one. */
  state: string | null;
  /** Snapshots started (--snapshot); null for other actions. */
  snapshots: string[] | null;
  /** Why the task failed; null when it did not. */
  error: string | null;
  /** The exit status this task's failure means; null when it did not fail. */
  exitCode: number | null;
  /** Done, but with something left for the user (a DNS record ec2term could not handle): exit 1. */
  warnings: string[];
}

export async function runTask(ctx: CommandContext, task: Task, ec2: Ec2, dns: () => Promise<Dns>, opts: ListOptions): Promise<TaskResult> {
  const id = task.instance?.id ?? task.subject;
  // Every key is always present (null when absent), so scripts read results without guarding each one.
  const result: TaskResult = { subject: task.subject, region: task.region, id, ok: true, done: [], state: null, snapshots: null, error: null, exitCode: null, warnings: [] };
  const note = (text: string) => {
    result.done.push(text);
    ctx.out.info(`${task.subject}: ${text}`);
  };
  const waitOpts = { clock: ctx.clock, signal: ctx.signal, timeoutMs: opts.timeoutMs };
  // Removing things is what a CI job's cleanup step runs: it outlasts throttling and 5xx (ec2launch's undo does the same).
  const persist = persistentCleanup({ clock: ctx.clock, signal: ctx.signal, budgetMs: CLEANUP_RETRY_MS, warn: (t) => ctx.out.warn(`${task.subject}: ${t}`) });
  try {
    for (const step of task.steps) {
      switch (step.kind) {
        case 'stop': {
          const [change] = await ec2.stop([id], step.force);
          result.state = change?.CurrentState?.Name ?? null;
          note(`${step.force ? 'force-stopping' : 'stopping'} (${result.state ?? 'requested'})`);
          break;
        }
        case 'start': {
          const [change] = await ec2.start([id]);
          result.state = change?.CurrentState?.Name ?? null;
          note(`starting (${result.state ?? 'requested'})`);
          break;
        }
        case 'delete-record': {
          if (step.expectedValues.length === 0) {
            note(`DNS record ${step.record} kept: the instance has no public address to check it against`);
            break;
          }
          const d = await dns();
          const zoneId = step.zoneId ?? (await d.findZoneFor(step.record))?.id;
          if (!zoneId) {
            note(`DNS record ${step.record}: no hosted zone found; nothing to delete`);
            break;
          }
          const outcome = await persist(`deleting DNS record ${step.record}`, () => d.deleteRecordIfPointsAt(zoneId, step.record, step.expectedValues));
          if (outcome.deleted) note(`DNS record ${step.record} deleted`);
          else if (outcome.reason === 'missing') note(`DNS record ${step.record} already gone`);
          else note(`DNS record ${step.record} kept: it now points at ${outcome.record.values.join(', ')}, not at this instance`);
          break;
        }
        case 'skip-record': {
          const text = `DNS left alone: ${step.reason}; check the record yourself`;
          result.warnings.push(text);
          ctx.out.warn(`${task.subject}: ${text}`);
          break;
        }
        case 'follow-record': {
          if (!step.lastWritten) {
            note(`DNS record ${step.record} not updated: ec2term did not record what it wrote there (tag ${TAGS.dnsValue}); point it at the new address yourself`);
            break;
          }
          // EC2 hands out the new address while the instance is pending.
          const started = await pollUntil(`a public address for ${id}`, async () => {
            const [i] = await ec2.describeInstances({ ids: [id], states: [] });
            if (i && i.state !== 'pending' && i.state !== 'running') throw new Ec2termError(`${task.subject} is ${i.state}; DNS record ${step.record} not updated`);
            return i?.publicIp ? i : undefined;
          }, { ...waitOpts, backoff: { initialMs: 200, maxMs: 2_000, factor: 2 } });
          const ip = started.publicIp!;
          const d = await dns();
          const zoneId = step.zoneId ?? (await d.findZoneFor(step.record))?.id;
          if (!zoneId) {
            note(`DNS record ${step.record}: no hosted zone found; nothing to update`);
            break;
          }
          const outcome = await d.repointRecordIfPointsAt(zoneId, step.record, [step.lastWritten], ip, 60);
          if (outcome.changed || outcome.reason === 'current') {
            // Remembered so that terminate can still remove the record after the next stop.
            await ec2.createTags([id], { [TAGS.dnsValue]: ip });
          }
          if (outcome.changed) {
            if (step.waitInsync) await d.waitInsync(outcome.change.id, waitOpts);
            note(`DNS record ${step.record} -> ${ip} (was ${outcome.record.values.join(', ')})${step.waitInsync ? ' (INSYNC)' : ''}`);
          } else if (outcome.reason === 'current') note(`DNS record ${step.record} already points at ${ip}`);
          else if (outcome.reason === 'missing') note(`DNS record ${step.record} is gone; not made again (ec2launch makes it)`);
          else note(`DNS record ${step.record} kept: it now points at ${outcome.record.values.join(', ')}, not at what ec2term wrote (${step.lastWritten})`);
          break;
        }
        case 'terminate': {
          const [change] = await persist('terminating', () => ec2.terminate([id]));
          result.state = change?.CurrentState?.Name ?? null;
          note(`terminating (${result.state ?? 'requested'})`);
          break;
        }
        case 'release-eip': {
          const { releaseElasticIp } = await import('../../lib/elastic-ips.js');
          const outcome = await persist(`releasing the Elastic IP ${step.allocationId}`, () => releaseElasticIp(ec2, step.allocationId, ctx.signal));
          note(outcome === 'released' ? `Elastic IP ${step.allocationId} released` : outcome === 'gone' ? `Elastic IP ${step.allocationId} already released` : `Elastic IP ${step.allocationId} kept: not tagged as ec2term's`);
          break;
        }
        case 'wait': {
          const i = await waitForInstanceState(ec2, id, step.states, waitOpts);
          result.state = i.state;
          note(i.state);
          break;
        }
        case 'snapshot': {
          const snap = await ec2.createSnapshot(step.volumeId, step.description, step.tags);
          (result.snapshots ??= []).push(snap);
          note(`snapshot ${snap} of ${step.volumeId}${step.device ? ` (${step.device})` : ''} started`);
          break;
        }
        case 'wait-snapshots': {
          await waitForSnapshots(ec2, result.snapshots ?? [], waitOpts);
          note('snapshots completed');
          break;
        }
        case 'delete-snapshot': {
          await ec2.deleteSnapshot(step.snapshotId);
          note('deleted');
          break;
        }
      }
    }
  } catch (err) {
    const typed = fromAwsError(err);
    result.ok = false;
    result.error = typed.message;
    result.exitCode = typed.exitCode;
    ctx.out.warn(`${task.subject}: ${typed.message}${task.steps.some((s) => s.kind === 'terminate') && !result.done.some((d) => d.startsWith('terminating')) ? ' (not terminated)' : ''}`);
  }
  return result;
}
