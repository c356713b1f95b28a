// ec2list: gathers instances (per region, concurrently), renders them, and runs the actions that
// plan.ts plans. Loaded only when ec2list really runs.
import { setMaxListeners } from 'node:events';
import type { InstanceStatus } from '@aws-sdk/client-ec2';
import type { AwsContext } from '../../lib/aws.js';
import type { Dns } from '../../lib/dns.js';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, describeError, Ec2termError, ExitCode, fromAwsError, NotFoundError } from '../../lib/errors.js';
import { LIVE_STATES, TAGS, type InstanceInfo } from '../../lib/instances.js';
import type { Output } from '../../lib/output.js';
import { choices, resolveInstance, unmatchedPatterns } from '../../lib/resolve.js';
import { CLEANUP_RETRY_MS, persistentCleanup, pollUntil, waitForInstanceState } from '../../lib/wait.js';
import type { CommandContext, CommandResult, RunCommand } from '../types.js';
import { checkConsent, needsPicker, parseListOptions, type ActionKind, type ListOptions } from './options.js';
import {
  confirmQuestion,
  describePlan,
  describeStep,
  planDeleteSnapshots,
  planInstanceAction,
  planSnapshots,
  selectBulk,
  VERB,
  type Plan,
  type Task,
} from './plan.js';
import { renderHealth, renderList, renderSnapshots, renderTsv, renderVolumes, tsvCell, type RenderOptions, type SnapshotRow } from './render.js';
import { forTerminal } from '../../lib/untrusted.js';
import { filterByPatterns, sortRows, toRow, type ListRow } from './rows.js';
import { findSnapshots, managedSnapshots, volumesByInstance, waitForSnapshots } from './storage.js';

export const run: RunCommand = async (ctx, args, options) => {
  if (options.scale !== undefined) return (await import('./fleets.js')).scaleFleet(ctx, options);
  const opts = parseListOptions(args, options, ctx.global);
  checkConsent(opts, ctx.prompt.interactive);
  // Every concurrent SDK request listens on the one abort signal; many regions x pages is normal here.
  setMaxListeners(0, ctx.signal);
  const aws = await ctx.aws();
  const fleet = await (await import('./fleets.js')).fleetCommand(ctx, opts, options);
  if (fleet) return fleet;
  const ec2s = await openRegions(ctx, aws, opts);
  if (opts.action) return runAction(ctx, aws, ec2s, opts);
  if (opts.snapshots) return listSnapshots(ctx, ec2s, opts);
  if (opts.watch) return watch(ctx, ec2s, opts);
  const { rows, failures } = await gather(ctx, ec2s, opts);
  return listResult(ctx, rows, failures, opts, ec2s.length);
};

// ---------------------------------------------------------------------------------------------
// Regions

async function openRegions(ctx: CommandContext, aws: AwsContext, opts: ListOptions): Promise<Ec2[]> {
  let regions: string[];
  if (opts.regions === 'all') {
    const home = await ctx.ec2();
    regions = await home.regions();
  } else {
    regions = opts.regions ?? [aws.region];
  }
  return Promise.all(regions.map((r) => ctx.ec2(r)));
}

interface RegionFailure {
  region: string;
  error: unknown;
}

/** Runs `fn` in every region concurrently; a failing region is collected, not fatal. */
async function perRegion<T>(ctx: CommandContext, ec2s: Ec2[], fn: (ec2: Ec2) => Promise<T[]>): Promise<{ items: T[]; failures: RegionFailure[] }> {
  const settled = await Promise.allSettled(ec2s.map((e) => fn(e)));
  const items: T[] = [];
  const failures: RegionFailure[] = [];
  settled.forEach((s, k) => {
    if (s.status === 'fulfilled') items.push(...s.value);
    else failures.push({ region: ec2s[k].region, error: s.reason });
  });
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
  // One region alone failing is the whole command failing: let the error speak for itself.
  if (ec2s.length === 1 && failures.length === 1) throw failures[0].error;
  return { items, failures };
}

function reportFailures(ctx: CommandContext, failures: RegionFailure[]): void {
  for (const f of failures) {
    const report = describeError(f.error, { verbose: ctx.global.verbose });
    ctx.out.warn(`${f.region}: ${report.lines.join(' ')} (listing the other regions anyway)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Listing

async function gatherRegion(ctx: CommandContext, ec2: Ec2, opts: ListOptions, now: number): Promise<ListRow[]> {
  const states = opts.includeTerminated ? [] : LIVE_STATES;
  const [instances, byId, volumes] = await Promise.all([
    ec2.describeInstances({ states }),
    opts.health ? fullStatus(ec2) : exceptionalStatus(ec2),
    opts.volumes ? volumesByInstance(ec2) : Promise.resolve(undefined),
  ]);
  return filterByPatterns(instances, opts.patterns).map((i) =>
    toRow(i, now, byId.get(i.id) ?? (!opts.health && i.state === 'running' ? ALL_OK : undefined), volumes ? (volumes.get(i.id) ?? []) : undefined),
  );
}

const byInstance = (statuses: InstanceStatus[]) => new Map(statuses.filter((s) => s.InstanceId).map((s) => [s.InstanceId!, s]));

/** --health: every instance's status, stopped ones too (their scheduled events count). */
async function fullStatus(ec2: Ec2): Promise<Map<string, InstanceStatus>> {
  return byInstance(await ec2.instanceStatus(undefined, true));
}

/** What EC2 reports for a running instance with nothing wrong and nothing scheduled. */
const ALL_OK: InstanceStatus = { InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } };
const NOT_OK = ['impaired', 'insufficient-data', 'initializing', 'not-applicable'];
const EVENT_CODES = ['instance-reboot', 'system-reboot', 'system-maintenance', 'instance-retirement', 'instance-stop'];

/**
 * The plain listing's health column: only the running instances that are not ok or have an event
 * (three filtered queries); a running instance absent from all three is ok/ok, exactly what the full
 * query would say. Keeps a 10,000-instance listing from parsing 10,000 statuses it would not show.
 */
async function exceptionalStatus(ec2: Ec2): Promise<Map<string, InstanceStatus>> {
  const queries = [
    [{ Name: 'instance-status.status', Values: NOT_OK }],
    [{ Name: 'system-status.status', Values: NOT_OK }],
    [{ Name: 'event.code', Values: EVENT_CODES }],
  ];
  const found = await Promise.all(queries.map((Filters) => ec2.instanceStatus(undefined, false, Filters)));
  return byInstance(found.flat());
}

async function gather(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<{ rows: ListRow[]; failures: RegionFailure[] }> {
  const now = ctx.clock.now();
  const { items, failures } = await perRegion(ctx, ec2s, (e) => gatherRegion(ctx, e, opts, now));
  return { rows: sortRows(items, opts.sort), failures };
}

function renderOptions(ctx: CommandContext, opts: ListOptions, regionColumn: boolean): RenderOptions {
  const fit = ctx.io.stdoutIsTTY || Boolean(ctx.io.env.COLUMNS);
  return { wide: opts.wide, regionColumn, headers: opts.headers, width: fit ? ctx.io.columns() : Infinity, paint: ctx.out.paint };
}

/** Pure-ish: the lines of a listing (table + sections) for the table format. */
function tableLines(rows: ListRow[], opts: ListOptions, ro: RenderOptions): string[] {
  const lines = renderList(rows, ro);
  if (opts.health) lines.push('', ...renderHealth(rows, ro));
  if (opts.volumes) lines.push('', ...renderVolumes(rows, ro));
  return lines;
}

function emptyNote(opts: ListOptions, ec2s: number): string {
  const what = opts.patterns.length ? ` matching ${opts.patterns.join(' ')}` : '';
  const where = ec2s > 1 ? `in ${ec2s} regions` : 'in this region';
  return `no instances${what} ${where}${opts.includeTerminated ? '' : ' (terminated ones are hidden; --all shows them)'}`;
}

function listResult(ctx: CommandContext, rows: ListRow[], failures: RegionFailure[], opts: ListOptions, regions: number): CommandResult {
  const multiRegion = regions > 1;
  reportFailures(ctx, failures);
  // Like `ls a nosuch`: what matched is shown, each pattern that matched nothing is named, exit 3.
  const unmatched = failures.length ? [] : unmatchedPatterns(rows, opts.patterns);
  if (unmatched.length) ctx.out.error(`${noMatch(unmatched, regions).message}${opts.includeTerminated ? '' : ' (terminated ones are hidden; --all shows them)'}`);
  const exitCode = failures.length ? ExitCode.failure : unmatched.length ? ExitCode.notFound : ExitCode.ok;
  const regionColumn = multiRegion;
  return {
    exitCode,
    json: rows,
    render(out: Output) {
      if (opts.output === 'json') return out.printJson(rows);
      if (opts.output === 'tsv') return renderTsv(rows, opts).forEach((l) => out.line(l));
      if (rows.length === 0) return unmatched.length ? undefined : out.info(`${out.program}: ${emptyNote(opts, regions)}`);
      tableLines(rows, opts, renderOptions(ctx, opts, regionColumn)).forEach((l) => out.line(l));
    },
  };
}

async function listSnapshots(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
  const { items, failures } = await perRegion<SnapshotRow>(ctx, ec2s, (e) => managedSnapshots(e));
  const rows = items.sort((a, b) => a.region.localeCompare(b.region) || (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.snapshotId.localeCompare(b.snapshotId));
  reportFailures(ctx, failures);
  return {
    exitCode: failures.length ? ExitCode.failure : ExitCode.ok,
    json: rows,
    render(out) {
      if (opts.output === 'json') return out.printJson(rows);
      if (opts.output === 'tsv') {
        const keys = ['region', 'snapshotId', 'volumeId', 'instanceId', 'instanceName', 'device', 'sizeGiB', 'state', 'progress', 'startTime'] as const;
        if (opts.headers) out.line(keys.join('\t'));
        for (const r of rows) out.line(keys.map((k) => tsvCell(r[k])).join('\t'));
        return;
      }
      if (rows.length === 0) return out.info(`${out.program}: no snapshots made by ec2term`);
      renderSnapshots(rows, renderOptions(ctx, opts, ec2s.length > 1)).forEach((l) => out.line(l));
    },
  };
}

async function watch(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
  const out = ctx.out;
  const tty = ctx.io.stdoutIsTTY;
  let first = true;
  try {
    for (;;) {
      const { rows, failures } = await gather(ctx, ec2s, opts);
      const ro = renderOptions(ctx, opts, ec2s.length > 1);
      const stamp = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const head = `every ${Math.round(opts.intervalMs / 1000)}s: ${rows.length} instance${rows.length === 1 ? '' : 's'} in ${ec2s.map((e) => e.region).join(', ')}   ${stamp}   (Ctrl-C to stop)`;
      const body = rows.length ? tableLines(rows, opts, ro) : [emptyNote(opts, ec2s.length)];
      const failed = failures.map((f) => `${f.region}: ${describeError(f.error).lines[0]}`);
      // The frame's own clear-screen is the only control sequence: every line is escaped (table cells before painting).
      const frame = [out.paint.dim(forTerminal(head)), '', ...body, ...failed].map((l) => forTerminal(l, { keepColours: out.color }));
      // Piped, frames follow each other with a blank line between (none before the first: `| head -1` shows the heading).
      ctx.io.stdout.write(`${tty ? '\u001b[H\u001b[2J' : first ? '' : '\n'}${frame.join('\n')}\n`);
      first = false;
      await ctx.clock.sleep(opts.intervalMs, ctx.signal);
    }
  } catch (err) {
    // Ctrl-C is how --watch ends: that is success, not an error.
    if (ctx.signal.aborted) return { exitCode: ExitCode.ok };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Actions


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

/** A PATTERN that matches nothing is exit 3 in every mode, as a name that matches nothing is. */
function noMatch(patterns: string[], regions: number, then?: string): NotFoundError {
  const where = regions > 1 ? `in ${regions} regions` : 'in this region';
  const what = patterns.map((p) => `"${p}"`).join(', ');
  return new NotFoundError(`no instance matches ${what} ${where}${then ? `; ${then}` : ''}`);
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

async function runTask(ctx: CommandContext, task: Task, ec2: Ec2, dns: () => Promise<Dns>, opts: ListOptions): Promise<TaskResult> {
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

function planJson(plan: Plan) {
  return {
    tasks: plan.tasks.map((t) => ({ subject: t.subject, region: t.region, id: t.instance?.id ?? t.subject, name: t.instance?.name ?? null, steps: t.steps.map(describeStep), selectedBy: t.selectedBy ?? null })),
    skipped: plan.skipped,
  };
}

async function runAction(ctx: CommandContext, aws: AwsContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
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
