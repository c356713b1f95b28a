// ec2launch: options -> (form) -> plan -> preflight -> dry run, or launch + waits + DNS, with undo on
// failure or Ctrl-C. Loaded only when ec2launch really runs.
import { setMaxListeners } from 'node:events';
import { expandHome } from '../../lib/config-files.js';
import { CancelledError, UsageError } from '../../lib/errors.js';
import { buildUserData } from '../../lib/graphterm/userdata.js';
import type { CommandOptions, RunCommand } from '../types.js';
import { flagOptions } from './flags.js';
import { fillForm } from './form.js';
import { dryRun, dryRunResult } from './dry-run.js';
import { Launcher, preflight, randomAuthCode, type HostResult, type LaunchDeps } from './launcher.js';
import { supportNote } from './image.js';
import { AUTH_CODE_ENV, checkAuthCode, commandLine, planLaunch, userDataInput, type LaunchOptions, type LaunchPlan } from './plan.js';
import { Progress } from './progress.js';
import { successResult } from './result.js';

/** --copy files and the --import-key public key must exist and be readable regular files (UsageError otherwise). */
async function checkLocalFiles(plan: LaunchPlan, env: NodeJS.ProcessEnv): Promise<void> {
  const { stat, access } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const files: [string, string][] = [...plan.copy.map((f): [string, string] => ['--copy', f])];
  if (plan.oauthFile) files.push(['--oauth-file', plan.oauthFile]);
  if (plan.importKey) files.push(['--import-key', expandHome(plan.importKey, env)]);
  for (const [flag, f] of files) {
    try {
      if (!(await stat(f)).isFile()) throw new UsageError(`${flag}: ${f} is not a regular file`);
      await access(f, constants.R_OK);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${flag}: cannot read ${f} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (plan.oauthFile) {
    // GraphTerm reads {"google_oauth": {"key": CLIENT_ID, "secret": CLIENT_SECRET}} (as the original wrote it).
    const { readFile } = await import('node:fs/promises');
    let ok = false;
    try {
      const g = JSON.parse(await readFile(plan.oauthFile, 'utf8'))?.google_oauth;
      ok = typeof g?.key === 'string' && typeof g?.secret === 'string' && g.key !== '' && g.secret !== '';
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`--oauth-file: ${plan.oauthFile} is not a gterm_oauth.json ({"google_oauth": {"key": "CLIENT_ID", "secret": "CLIENT_SECRET"}})`);
  }
}

/** Commander's options + positional NAME -> LaunchOptions (no checking here; plan.ts checks). */
export function toLaunchOptions(args: string[], o: CommandOptions): LaunchOptions {
  if (args.length > 1) throw new UsageError(`one NAME expected, got ${args.length}: ${args.map((a) => JSON.stringify(a)).join(' ')} (use --count N for several hosts)`);
  const opts: LaunchOptions = { name: args[0], ...flagOptions(o) };
  // `--eip lab`: the optional value took NAME; an allocation id always starts with eipalloc-.
  if (typeof opts.eip === 'string' && !opts.eip.startsWith('eipalloc-') && args.length === 0) {
    opts.name = opts.eip;
    opts.eip = true;
  }
  return opts;
}

export const run: RunCommand = async (ctx, args, options) => {
  // A server with its fleet in one command: two ordinary launches (fleet/with-server.ts).
  if (options.hosts !== undefined && options.acceptHosts) return (await import('./fleet/with-server.js')).launchServerWithFleet(ctx, args, options, run);
  let opts = toLaunchOptions(args, options);
  // The auth code may come from the environment, so it is on no command line (and in no shell history).
  const fromEnv = ctx.io.env[AUTH_CODE_ENV];
  if (opts.authCode === undefined && fromEnv) {
    try {
      if (fromEnv !== 'none') checkAuthCode(fromEnv);
    } catch (err) {
      throw new UsageError(`bad ${AUTH_CODE_ENV}: ${(err as Error).message.replace(/^bad --auth-code: /, '')}`);
    }
    opts.authCode = fromEnv;
  }
  if (opts.form || (opts.name === undefined && ctx.prompt.interactive && !opts.userData)) {
    if (!ctx.prompt.interactive) throw new UsageError('--form needs a terminal; give the options as flags instead');
    opts = await fillForm(ctx.prompt, opts);
    planLaunch(opts); // a form whose answers do not make a launch says so before asking to launch
    ctx.out.info(`${ctx.program}: the same launch as a command:`);
    ctx.out.info(`  ${commandLine(opts, ctx.program)}`);
    if (opts.authCode !== undefined && opts.authCode !== 'none') {
      ctx.out.info(`  (the auth code is left out; to use the same one, set ${AUTH_CODE_ENV} in the environment, e.g. read -rs ${AUTH_CODE_ENV}; export ${AUTH_CODE_ENV})`);
    }
    if (!(await ctx.prompt.confirm(`Launch ${opts.name} now?`, { default: false }))) throw new CancelledError('answered no; nothing was launched');
  }
  const plan = planLaunch(opts);
  const fleet = opts.hosts !== undefined ? (await import('./fleet/plan.js')).planFleet(opts.hosts, opts.spot, plan, opts) : undefined;
  if (fleet === undefined && opts.spot) throw new UsageError('--spot is for fleets: give --hosts N as well');
  if (fleet && (plan.placement.subnetId || plan.placement.vpcId || plan.placement.iamProfile || plan.placement.eip || plan.placement.noKeyPair)) {
    throw new UsageError('--subnet, --vpc, --iam-profile, --eip and --no-key-pair are for single launches; a fleet (--hosts) does not take them yet');
  }

  if (plan.userDataOnly) {
    const script = buildUserData(userDataInput(plan, plan.hosts[0]!));
    return { json: { name: plan.hosts[0]!.name, userData: script }, render: (out) => out.io.stdout.write(script) };
  }
  // Local files must be readable before anything is created (a missing --copy file used to fail after launch).
  await checkLocalFiles(plan, ctx.io.env);
  const aws = await ctx.aws(); // a bad --region is reported before the plan's warnings
  for (const w of plan.warnings) ctx.out.warn(w);

  setMaxListeners(0, ctx.signal);
  const deps: LaunchDeps = {
    ctx,
    aws,
    ec2: await ctx.ec2(),
    dns: plan.domain ? await ctx.dns() : undefined,
    cleanup: { ec2: await ctx.ec2(undefined, { cancellable: false }), dns: plan.domain ? await ctx.dns({ cancellable: false }) : undefined },
  };
  const pre = await preflight(plan, deps);
  const support = supportNote(pre.image.version, ctx.clock.now());
  if (support?.ended) ctx.out.warn(support.text);

  if (plan.dryRun) {
    const report = await dryRun(plan, pre, deps);
    const result = dryRunResult(plan, pre, report, aws.region, ctx.clock.now());
    return fleet ? (await import('./fleet/run.js')).fleetDryRun(result, fleet) : result;
  }

  if (fleet) return (await import('./fleet/run.js')).runFleet(ctx, plan, fleet, pre, deps);

  const replacing = pre.hosts.flatMap((h) => h.replace);
  if (replacing.length > 0 && !plan.yes) {
    const what = replacing.map((i) => `${i.name} (${i.id}, ${i.state})`).join(', ');
    if (!ctx.prompt.interactive) throw new UsageError(`--replace would terminate ${what}; add --yes to confirm without a terminal`);
    if (!(await ctx.prompt.confirm(`Terminate ${what} and launch a new one?`, { default: false }))) throw new CancelledError('nothing changed');
  }

  const progress = new Progress(ctx.out, ctx.clock);
  const launcher = new Launcher(plan, pre, deps, progress);
  const authCode = plan.authCode.kind === 'given' ? plan.authCode.value : plan.authCode.kind === 'random' ? randomAuthCode() : undefined;
  const results: HostResult[] = [];
  try {
    await launcher.replaceOld();
    await launcher.prepare();
    const launched = [];
    for (const prep of pre.hosts) launched.push(await launcher.launch(prep));
    for (let i = 0; i < pre.hosts.length; i++) results.push(await launcher.finish(pre.hosts[i]!, launched[i]!, authCode));
  } catch (err) {
    const aborted = ctx.signal.aborted;
    await launcher.closePrimary();
    const nothing = launcher.created.instances.length + launcher.created.records.length + launcher.created.sourceGroups.length === 0 && !launcher.created.group && !launcher.created.keyPair && !launcher.created.zone;
    if (!nothing) {
      ctx.out.warn(`launch failed${aborted ? ' (interrupted)' : ''}; ${plan.keepOnFailure ? 'keeping' : 'removing'} what this run created`);
      const lines = await launcher.undo(plan.keepOnFailure);
      for (const l of lines) ctx.out.error(l);
    } else ctx.out.info(`${ctx.program}: nothing was created`);
    if (aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new CancelledError();
    throw err;
  }
  await launcher.closePrimary();
  // The code in force is the one the instance kept (first writer wins): this run's, or an earlier or
  // concurrent run's of the same command that reached the instance first.
  const inForce = results.find((r) => r.authCode !== undefined)?.authCode ?? authCode;
  return successResult(plan, pre, launcher, results, inForce, {
    showCode: plan.showSecrets || (ctx.io.stdoutIsTTY && !ctx.global.json),
    region: aws.region,
    targetFlag: aws.local?.flag,
  });
};
