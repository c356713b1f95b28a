// ec2list's listings: instances (with health, volumes and reach), per profile, and ec2term's snapshots.
import type { InstanceStatus } from '@aws-sdk/client-ec2';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, describeError, ExitCode } from '../../lib/errors.js';
import { LIVE_STATES, type InstanceInfo } from '../../lib/instances.js';
import type { Output } from '../../lib/output.js';
import { unmatchedPatterns } from '../../lib/resolve.js';
import type { CommandContext, CommandResult } from '../types.js';
import type { ListOptions } from './options.js';
import { renderHealth, renderList, renderSnapshots, renderTsv, renderVolumes, tsvCell, type RenderOptions, type SnapshotRow } from './render.js';
import { filterByPatterns, sortRows, toRow, type ListRow } from './rows.js';
import { reachOf, type EndpointInfo } from '../../lib/access/route.js';
import { managedSnapshots, volumesByInstance } from './storage.js';
import { noMatch, openRegions, perRegion, reportFailures, type RegionFailure } from './regions.js';

/** Shell completion offers the names of live instances listed lately (src/lib/name-cache.ts). */
export async function rememberForCompletion(ctx: CommandContext, rows: ListRow[]): Promise<void> {
  const live = rows.filter((r) => r.state !== 'terminated' && r.state !== 'shutting-down');
  const { rememberNames } = await import('../../lib/name-cache.js');
  await rememberNames(ctx.io.env, live.flatMap((r) => [r.name, r.dnsRecord]), ctx.clock.now());
}

async function gatherRegion(ctx: CommandContext, ec2: Ec2, opts: ListOptions, now: number): Promise<ListRow[]> {
  const states = opts.includeTerminated ? [] : LIVE_STATES;
  const [instances, byId, volumes] = await Promise.all([
    ec2.describeInstances({ states }),
    opts.health ? fullStatus(ec2) : exceptionalStatus(ec2),
    opts.volumes ? volumesByInstance(ec2) : Promise.resolve(undefined),
  ]);
  const shown = filterByPatterns(instances, opts.patterns);
  const endpoints = await endpointsForPrivate(ctx, ec2, shown);
  return shown.map((i) =>
    toRow(i, now, byId.get(i.id) ?? (!opts.health && i.state === 'running' ? ALL_OK : undefined), volumes ? (volumes.get(i.id) ?? []) : undefined, endpoints),
  );
}

/** The endpoints of the VPCs holding private-only instances (none asked for when there are none). */
async function endpointsForPrivate(ctx: CommandContext, ec2: Ec2, instances: InstanceInfo[]): Promise<EndpointInfo[]> {
  const vpcIds = [...new Set(instances.filter((i) => reachOf(i, []) === 'private-unreachable' && i.vpcId).map((i) => i.vpcId!))];
  if (vpcIds.length === 0) return [];
  const { describeEndpoints } = await import('../../lib/access/eice.js');
  try {
    return await describeEndpoints(ec2, { vpcIds });
  } catch (err) {
    ctx.out.warn(`${ec2.region}: cannot list EC2 Instance Connect Endpoints (${describeError(err).lines[0]}); REACH says private-unreachable for private-only instances`);
    return [];
  }
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

export async function gather(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<{ rows: ListRow[]; failures: RegionFailure[] }> {
  const now = ctx.clock.now();
  const { items, failures } = await perRegion(ctx, ec2s, (e) => gatherRegion(ctx, e, opts, now));
  return { rows: sortRows(items, opts.sort), failures };
}

/**
 * --profile a,b: every profile listed at once, each with its own credentials and region(s), rows tagged
 * with their profile. A profile that fails (no such profile, expired credentials) is one line on stderr;
 * the others' rows are shown and the exit status is 1 (partial), as for regions.
 */
export async function listProfiles(ctx: CommandContext, opts: ListOptions): Promise<CommandResult> {
  const profiles = ctx.global.profiles;
  const results = await Promise.all(
    profiles.map(async (profile) => {
      const c = ctx.forProfile(profile);
      try {
        const ec2s = await openRegions(c, await c.aws(), opts);
        const { rows, failures } = await gather(c, ec2s, opts);
        return { rows: rows.map((r) => ({ profile, ...r })), failures: failures.map((f) => ({ ...f, region: `${profile}: ${f.region}` })), regions: ec2s.map((e) => e.region) };
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
        return { rows: [], failures: [{ region: profile, error: err, others: 'profiles' as const }], regions: [] };
      }
    }),
  );
  const rows = opts.sort ? sortRows(results.flatMap((r) => r.rows), opts.sort) : results.flatMap((r) => r.rows);
  await rememberForCompletion(ctx, rows);
  const regions = new Set(results.flatMap((r) => r.regions));
  const manyRegions = regions.size > 1 || results.some((r) => r.regions.length > 1);
  return listResult(ctx, rows, results.flatMap((r) => r.failures), opts, manyRegions ? Math.max(2, regions.size) : 1, true);
}

export function renderOptions(ctx: CommandContext, opts: ListOptions, regionColumn: boolean, profileColumn = false): RenderOptions {
  const fit = ctx.io.stdoutIsTTY || Boolean(ctx.io.env.COLUMNS);
  return { wide: opts.wide, regionColumn, profileColumn, headers: opts.headers, width: fit ? ctx.io.columns() : Infinity, paint: ctx.out.paint };
}

/** Pure-ish: the lines of a listing (table + sections) for the table format. */
export function tableLines(rows: ListRow[], opts: ListOptions, ro: RenderOptions): string[] {
  const lines = renderList(rows, ro);
  if (opts.health) lines.push('', ...renderHealth(rows, ro));
  if (opts.volumes) lines.push('', ...renderVolumes(rows, ro));
  return lines;
}

export function emptyNote(opts: ListOptions, ec2s: number): string {
  const what = opts.patterns.length ? ` matching ${opts.patterns.join(' ')}` : '';
  const where = ec2s > 1 ? `in ${ec2s} regions` : 'in this region';
  return `no instances${what} ${where}${opts.includeTerminated ? '' : ' (terminated ones are hidden; --all shows them)'}`;
}

export function listResult(ctx: CommandContext, rows: ListRow[], failures: RegionFailure[], opts: ListOptions, regions: number, profileColumn = false): CommandResult {
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
    text: (out) => renderTsv(rows, { ...opts, profileColumn }).forEach((l) => out.line(l)),
    render(out: Output) {
      if (rows.length === 0) return unmatched.length ? undefined : out.info(`${out.program}: ${emptyNote(opts, regions)}`);
      tableLines(rows, opts, renderOptions(ctx, opts, regionColumn, profileColumn)).forEach((l) => out.line(l));
    },
  };
}

export async function listSnapshots(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
  const { items, failures } = await perRegion<SnapshotRow>(ctx, ec2s, (e) => managedSnapshots(e));
  const rows = items.sort((a, b) => a.region.localeCompare(b.region) || (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.snapshotId.localeCompare(b.snapshotId));
  reportFailures(ctx, failures);
  return {
    exitCode: failures.length ? ExitCode.failure : ExitCode.ok,
    json: rows,
    text(out) {
      const keys = ['region', 'snapshotId', 'volumeId', 'instanceId', 'instanceName', 'device', 'sizeGiB', 'state', 'progress', 'startTime'] as const;
      if (opts.headers) out.line(keys.join('\t'));
      for (const r of rows) out.line(keys.map((k) => tsvCell(r[k])).join('\t'));
    },
    render(out) {
      if (rows.length === 0) return out.info(`${out.program}: no snapshots made by ec2term`);
      renderSnapshots(rows, renderOptions(ctx, opts, ec2s.length > 1)).forEach((l) => out.line(l));
    },
  };
}
