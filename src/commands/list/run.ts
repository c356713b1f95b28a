// ec2list: gathers instances (per region, concurrently), renders them, and runs the actions that
// plan.ts plans. Loaded only when ec2list really runs. The parts: regions.ts (per-region fan-out),
// listing.ts (listings, profiles, snapshots), watch.ts (--watch), actions.ts + tasks.ts (actions).
import { setMaxListeners } from 'node:events';
import { UsageError } from '../../lib/errors.js';
import type { RunCommand } from '../types.js';
import { checkConsent, parseListOptions } from './options.js';
import { openRegions } from './regions.js';
import { gather, listProfiles, listResult, listSnapshots, rememberForCompletion } from './listing.js';
import { watch } from './watch.js';
import { runAction } from './actions.js';

export const run: RunCommand = async (ctx, args, options) => {
  if (ctx.global.profiles.length > 1 && (options.scale !== undefined || options.fleets)) throw new UsageError('--fleets and --scale work in one profile at a time');
  if (options.scale !== undefined) return (await import('./fleets.js')).scaleFleet(ctx, options);
  const opts = parseListOptions(args, options, ctx.global);
  checkConsent(opts, ctx.prompt.interactive);
  // Every concurrent SDK request listens on the one abort signal; many regions x pages is normal here.
  setMaxListeners(0, ctx.signal);
  if (ctx.global.profiles.length > 1 && !opts.action && !opts.snapshots && !opts.watch) return listProfiles(ctx, opts);
  const aws = await ctx.aws();
  const fleet = await (await import('./fleets.js')).fleetCommand(ctx, opts, options);
  if (fleet) return fleet;
  const ec2s = await openRegions(ctx, aws, opts);
  if (opts.action) return runAction(ctx, aws, ec2s, opts);
  if (opts.snapshots) return listSnapshots(ctx, ec2s, opts);
  if (opts.watch) return watch(ctx, ec2s, opts);
  const { rows, failures } = await gather(ctx, ec2s, opts);
  await rememberForCompletion(ctx, rows);
  return listResult(ctx, rows, failures, opts, ec2s.length);
};
