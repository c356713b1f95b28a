// ec2list's regions: one Ec2 per region asked for, every region at once, a failing region reported
// and the rest still listed.
import type { AwsContext } from '../../lib/aws.js';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, describeError, NotFoundError } from '../../lib/errors.js';
import type { CommandContext } from '../types.js';
import type { ListOptions } from './options.js';

export async function openRegions(ctx: CommandContext, aws: AwsContext, opts: ListOptions): Promise<Ec2[]> {
  let regions: string[];
  if (opts.regions === 'all') {
    const home = await ctx.ec2();
    regions = await home.regions();
  } else {
    regions = opts.regions ?? [aws.region];
  }
  return Promise.all(regions.map((r) => ctx.ec2(r)));
}

export interface RegionFailure {
  /** The region, or "profile: region", or the profile when a whole profile failed. */
  region: string;
  error: unknown;
  /** What else is still listed. */
  others?: 'regions' | 'profiles';
}

/** Runs `fn` in every region concurrently; a failing region is collected, not fatal. */
export async function perRegion<T>(ctx: CommandContext, ec2s: Ec2[], fn: (ec2: Ec2) => Promise<T[]>): Promise<{ items: T[]; failures: RegionFailure[] }> {
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

export function reportFailures(ctx: CommandContext, failures: RegionFailure[]): void {
  for (const f of failures) {
    const report = describeError(f.error, { verbose: ctx.global.verbose });
    ctx.out.warn(`${f.region}: ${report.lines.join(' ')} (listing the other ${f.others ?? 'regions'} anyway)`);
  }
}

/** A PATTERN that matches nothing is exit 3 in every mode, as a name that matches nothing is. */
export function noMatch(patterns: string[], regions: number, then?: string): NotFoundError {
  const where = regions > 1 ? `in ${regions} regions` : 'in this region';
  const what = patterns.map((p) => `"${p}"`).join(', ');
  return new NotFoundError(`no instance matches ${what} ${where}${then ? `; ${then}` : ''}`);
}
