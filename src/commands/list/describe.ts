// Pure: a plan in words, for the confirmation, --dry-run and --json (plan.ts makes the plans).
import { TAGS } from '../../lib/instances.js';
import type { ActionKind } from './options.js';
import type { Plan, Selection, Step } from './plan.js';

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
        : `keep DNS record ${step.record} (no address to check it against: the instance has none, and ec2term did not record what it wrote)`;
    case 'follow-record':
      return step.lastWritten
        ? `point DNS record ${step.record} at the new address if it still points at ${step.lastWritten}`
        : `keep DNS record ${step.record} (ec2term did not record what it wrote there)`;
    case 'skip-record':
      return `leave DNS alone (${step.reason})`;
    case 'terminate':
      return 'terminate';
    case 'release-eip':
      return `release the Elastic IP ${step.allocationId} ec2launch allocated`;
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
      if (t.selectedBy) lines.push(`      ${describeSelection(t.selectedBy)}`);
    }
  } else {
    lines.push(`Nothing to ${VERB[plan.action]}.`);
  }
  for (const s of plan.skipped) lines.push(`  skipping ${s.subject}: ${s.reason}`);
  return lines;
}

/** Pure: "selected by tags ...; key pair ...; launched ... by ... (tag)" for a bulk plan's line. */
export function describeSelection(s: Selection): string {
  const tags = Object.entries(s.tags).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return [
    tags ? `selected by tags ${tags}` : 'selected with --include-unmanaged',
    `key pair ${s.keyName ?? '(none)'}`,
    `launched ${s.launchTime ?? '(unknown)'}${s.launchedBy ? ` by ${JSON.stringify(s.launchedBy)} (tag ${TAGS.launchedBy})` : ''}`,
  ].join('; ');
}

/** Pure: the question asked before a destructive plan. */
export function confirmQuestion(plan: Plan): string {
  const n = plan.tasks.length;
  const what = plan.action === 'delete-snapshot' ? `snapshot${n === 1 ? '' : 's'}` : `instance${n === 1 ? '' : 's'}`;
  const verb = VERB[plan.action];
  return `${verb[0].toUpperCase()}${verb.slice(1)} ${n === 1 ? plan.tasks[0].subject : `these ${n} ${what}`}?`;
}
