// ec2list's actions (--stop, --start, --terminate, --snapshot ...): choose the targets, plan (plan.ts),
// confirm, run every task at once (tasks.ts), report.
import type { AwsContext } from '../../lib/aws.js';
import type { Dns } from '../../lib/dns.js';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, Ec2termError, ExitCode } from '../../lib/errors.js';
import { LIVE_STATES, type InstanceInfo } from '../../lib/instances.js';
import { choices, resolveInstance, unmatchedPatterns } from '../../lib/resolve.js';
import { forTerminal } from '../../lib/untrusted.js';
import type { CommandContext, CommandResult } from '../types.js';
import { needsPicker, type ActionKind, type ListOptions } from './options.js';
import { confirmQuestion, describePlan, describeStep, planDeleteSnapshots, planInstanceAction, planSnapshots, selectBulk, VERB, type Plan } from './plan.js';
import { filterByPatterns } from './rows.js';
import { findSnapshots, volumesByInstance } from './storage.js';
import { noMatch, perRegion, reportFailures } from './regions.js';
import { runTask } from './tasks.js';

/** Pure: instances an action can apply to, for the picker. */
export function pickable(kind: ActionKind, i: InstanceInfo): boolean {
  if (kind === 'stop') return i.state === 'running' || i.state === 'pending';
  if (kind === 'start') return i.state === 'stopped';
  return i.state !== 'terminated' && i.state !== 'shutting-down';
}

async function listAll(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<InstanceInfo[]> {
  const { items, failures } = await perRegion(ctx, ec2s, (e) => e.describeInstances({ states: LIVE_STATES }));
  if (failures.length) {
    // Acting on a partial view could miss instances; say so and stop before changing anything.
    reportFailures(ctx, failures);
    throw new Ec2termError(`could not list ${failures.map((f) => f.region).join(', ')}; nothing was changed`);
  }
  const unmatched = unmatchedPatterns(items, opts.patterns);
  if (unmatched.length) throw noMatch(unmatched, ec2s.length, 'nothing was changed');
  return filterByPatterns(items, opts.patterns);
}

async function chooseTargets(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions, kind: ActionKind): Promise<InstanceInfo[]> {
  const action = opts.action!;
  if (!needsPicker(action)) {
    return Promise.all(action.names.map((n) => resolveInstance(n, { ec2: ec2s, prompt: ctx.prompt }, { purpose: VERB[kind] })));
  }
  const candidates = (await listAll(ctx, ec2s, opts)).filter((i) => pickable(kind, i));
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => a.region.localeCompare(b.region) || (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id));
  const chosen = await ctx.prompt.checkbox(
    `Which instances to ${VERB[kind]}? (space selects, enter confirms)`,
    choices(candidates),
  );
  if (chosen.length === 0) throw new CancelledError('nothing selected; nothing was changed');
  return chosen;
}

async function makePlan(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<Plan> {
  const action = opts.action!;
  const kind = action.kind;
  const planOpts = { force: opts.force, wait: opts.wait, includeUnmanaged: opts.includeUnmanaged, now: ctx.clock.now() };
  switch (kind) {
    case 'terminate-all':
    case 'expired': {
      const { selected, skipped } = selectBulk(kind, await listAll(ctx, ec2s, opts), planOpts);
      const plan = planInstanceAction(kind, selected, planOpts);
      return { ...plan, skipped: [...skipped, ...plan.skipped] };
    }
    case 'snapshot': {
      const targets = await chooseTargets(ctx, ec2s, opts, kind);
      const byRegion = new Map(ec2s.map((e) => [e.region, e]));
      const withVolumes = await Promise.all(
        [...new Set(targets.map((t) => t.region))].map(async (region) => {
          const mine = targets.filter((t) => t.region === region);
          const volumes = await volumesByInstance(byRegion.get(region)!, mine.map((t) => t.id));
          return mine.map((instance) => ({
            instance,
            volumes: (volumes.get(instance.id) ?? []).map((v) => ({ volumeId: v.volumeId, device: v.device ?? undefined, sizeGiB: v.sizeGiB ?? undefined })),
          }));
        }),
      );
      return planSnapshots(withVolumes.flat(), planOpts);
    }
    case 'delete-snapshot': {
      const { items, failures } = await perRegion(ctx, ec2s, (e) => findSnapshots(e, action.names));
      if (failures.length) {
        reportFailures(ctx, failures);
        throw new Ec2termError(`could not look for the snapshots in ${failures.map((f) => f.region).join(', ')}; nothing was changed`);
      }
      return planDeleteSnapshots(action.names, items, planOpts);
    }
    default:
      return planInstanceAction(kind, await chooseTargets(ctx, ec2s, opts, kind), planOpts);
  }
}

function planJson(plan: Plan) {
  return {
    tasks: plan.tasks.map((t) => ({ subject: t.subject, region: t.region, id: t.instance?.id ?? t.subject, name: t.instance?.name ?? null, steps: t.steps.map(describeStep), selectedBy: t.selectedBy ?? null })),
    skipped: plan.skipped,
  };
}

export async function runAction(ctx: CommandContext, aws: AwsContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
  const plan = await makePlan(ctx, ec2s, opts);
  const lines = describePlan(plan, { dryRun: opts.dryRun });
  const notFound = plan.skipped.some((s) => s.reason === 'not found');
  if (opts.dryRun) {
    return {
      exitCode: notFound ? ExitCode.notFound : ExitCode.ok,
      json: { action: plan.action, dryRun: true, ...planJson(plan), results: [] },
      render: (out) => lines.forEach((l) => out.line(l)),
    };
  }
  for (const l of lines) ctx.out.info(l);
  if (plan.tasks.length === 0) {
    return { exitCode: notFound ? ExitCode.notFound : ExitCode.ok, json: { action: plan.action, dryRun: false, ...planJson(plan), results: [] } };
  }
  if (plan.destructive && !opts.yes) {
    // checkConsent already refused this without a terminal; here we are on one.
    const yes = await ctx.prompt.confirm(confirmQuestion(plan), { default: false });
    if (!yes) throw new CancelledError('answered no; nothing was changed');
  }
  const byRegion = new Map(ec2s.map((e) => [e.region, e]));
  let dnsClient: Promise<Dns> | undefined;
  const dns = () => (dnsClient ??= ctx.dns());
  const results = await Promise.all(plan.tasks.map((t) => runTask(ctx, t, byRegion.get(t.region)!, dns, opts)));
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
  const failed = results.filter((r) => !r.ok);
  const warned = results.some((r) => r.warnings.length > 0);
  const exitCode = failed.length ? (failed[0].exitCode ?? ExitCode.failure) : notFound ? ExitCode.notFound : warned ? ExitCode.failure : ExitCode.ok;
  return {
    exitCode,
    json: { action: plan.action, dryRun: false, ...planJson(plan), results },
    render(out) {
      for (const r of results) {
        const status = r.ok ? out.paint.green('ok') : out.paint.red('FAILED');
        out.line(`${status}  ${forTerminal(`${r.subject}${r.region ? ` (${r.region})` : ''}: ${[...r.done, ...r.warnings, ...(r.error ? [r.error] : [])].join('; ')}`)}`);
      }
    },
  };
}
