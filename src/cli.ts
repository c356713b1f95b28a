// The one runner behind every bin: argv -> commander -> the command's run -> printed result and
// exit code. Loads only commander and the command's spec until the command really runs, so --help,
// --version and usage errors never load the AWS SDK or ssh2.
// The parts: cli/program.ts (commander program, shared options), cli/print.ts (the result printed),
// cli/exit.ts (closed pipes, exit after flush).
import type { CommandContext, CommandSpec, GlobalOptions } from './commands/types.js';
import type { Query } from './lib/query.js';
import { CancelledError, describeError, ExitCode } from './lib/errors.js';
import { forTerminal } from './lib/untrusted.js';
import type { Clock } from './lib/clock.js';
import type { Dns } from './lib/dns.js';
import type { Ec2 } from './lib/ec2.js';
import type { Fleets } from './lib/fleets.js';
import { processIo, type Io } from './lib/io.js';
import type { Prompt } from './lib/prompt.js';
import { CommanderError } from 'commander';
import { buildProgram, globalOptions, normalizeArgv } from './cli/program.js';
import { printResult } from './cli/print.js';
import { exitAfterFlush, quietOnClosedPipe } from './cli/exit.js';

export { addGlobalOptions, buildProgram, globalOptions, normalizeArgv } from './cli/program.js';
export { closedPipeStatus, isClosedPipe } from './cli/exit.js';

const SPECS: Record<string, () => Promise<{ spec: CommandSpec }>> = {
  ec2launch: () => import('./commands/launch/spec.js'),
  ec2list: () => import('./commands/list/spec.js'),
  ec2ssh: () => import('./commands/ssh/spec.js'),
  ec2scp: () => import('./commands/scp/spec.js'),
  ec2term: () => import('./commands/ec2term/spec.js'),
};

export const PROGRAMS = Object.keys(SPECS);

/** A program's spec (commander types only: cheap). */
export async function loadSpec(program: string): Promise<CommandSpec> {
  const load = SPECS[program];
  if (!load) throw new Error(`unknown program ${program}`);
  return (await load()).spec;
}

/**
 * What a run takes from the world besides its streams: each defaults to the real one, and tests pass
 * their own (a scripted prompt, a fake clock, an AWS opener) to run a command in-process.
 */
export interface RunnerDeps {
  prompt?: (io: Io, signal: AbortSignal) => Prompt;
  clock?: Clock;
  aws?: (ctx: Pick<CommandContext, 'global' | 'io' | 'out' | 'prompt'>) => ReturnType<CommandContext['aws']>;
  /** EC2 and Route 53 for a region: tests hand in memory ones (test/helpers/memory-aws.ts). */
  ec2?: (region: string | undefined, signal: AbortSignal | undefined, ctx: CommandContext) => Promise<Ec2>;
  dns?: (signal: AbortSignal | undefined, ctx: CommandContext) => Promise<Dns>;
  fleets?: (signal: AbortSignal | undefined, ctx: CommandContext) => Promise<Fleets>;
}

/** Runs one program with its arguments and returns the exit code. Never throws. */
export async function main(program: string, argv: string[], io: Io = processIo(), deps: RunnerDeps = {}): Promise<number> {
  const debug = /(^|,)\s*ec2term\b/.test(io.env.DEBUG ?? '');
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  // The run's status line, once there is one: an error clears it rather than landing after its text.
  let status: { end(): void } | undefined;
  const fail = (err: unknown): number => {
    const report = describeError(err, { verbose, debug });
    status?.end();
    io.stderr.write(`${program}: ${report.lines.join('\n')}\n`);
    return report.exitCode;
  };
  const load = SPECS[program];
  if (!load) return fail(new Error(`unknown program ${program}`));
  const { spec } = await load();
  const cmd = buildProgram(spec, io);
  const known = new Set(cmd.options.map((o) => o.long).filter((l): l is string => Boolean(l)));
  try {
    cmd.parse(normalizeArgv(argv, known, spec.aliases), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return fail(err);
  }
  let global: GlobalOptions;
  let query: Query | undefined;
  try {
    if (spec.readsSettings !== false) {
      const { applySettings } = await import('./lib/settings.js');
      await applySettings(cmd, spec.name, io.env);
    }
    global = globalOptions(cmd.opts(), spec);
    verbose = global.verbose;
    if (global.query !== undefined) query = await (await import('./lib/query.js')).compileQuery(global.query);
  } catch (err) {
    return fail(err);
  }
  const opts = cmd.opts();

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? ExitCode.cancelled : 143;
    if (controller.signal.aborted) process.exit(code); // a second signal: quit at once
    status?.end();
    io.stderr.write(`\n${program}: interrupted (${signal}); stopping (again to quit at once)\n`);
    controller.abort(new CancelledError(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const [{ Output, colorEnabled }, { terminalPrompt }, { systemClock }, { run }] = await Promise.all([
      import('./lib/output.js'),
      import('./lib/prompt.js'),
      import('./lib/clock.js'),
      spec.load(),
    ]);
    const out = new Output(io, { json: global.json, quiet: global.quiet, verbose: global.verbose, color: colorEnabled(io, global.color) }, program);
    status = out.status;
    const prompt = (deps.prompt ?? terminalPrompt)(io, controller.signal);
    const openAws = deps.aws ?? ((c: Pick<CommandContext, 'global'>) =>
      Promise.all([import('./lib/aws.js'), import('./lib/target.js')]).then(([{ openAws }, { localTargetRequested }]) =>
        openAws(
          { region: c.global.region, profile: c.global.profile, endpointUrl: c.global.endpointUrl, local: localTargetRequested(c.global.local, io.env) },
          { env: io.env, out, prompt },
        ),
      ));
    // One context per AWS profile (ec2list --profile a,b lists in each); the main one is the --profile given.
    const contextFor = (g: GlobalOptions): CommandContext => {
      let aws: ReturnType<CommandContext['aws']> | undefined;
      const ctx: CommandContext = {
        program,
        global: g,
        io,
        out,
        prompt,
        clock: deps.clock ?? systemClock,
        signal: controller.signal,
        aws: () => (aws ??= openAws({ global: g, io, out, prompt })),
        ec2: (region, o) => {
          const signal = o?.cancellable === false ? undefined : controller.signal;
          if (deps.ec2) return deps.ec2(region, signal, ctx);
          return Promise.all([ctx.aws(), import('./lib/ec2.js')]).then(([a, { sdkEc2 }]) => sdkEc2(a, region ?? a.region, signal));
        },
        dns: (o) => {
          const signal = o?.cancellable === false ? undefined : controller.signal;
          if (deps.dns) return deps.dns(signal, ctx);
          return Promise.all([ctx.aws(), import('./lib/dns.js')]).then(([a, { sdkDns }]) => sdkDns(a, signal));
        },
        fleets: async (o) => {
          const signal = o?.cancellable === false ? undefined : controller.signal;
          if (deps.fleets) return deps.fleets(signal, ctx);
          const [a, ec2, { sdkFleets }] = await Promise.all([ctx.aws(), ctx.ec2(undefined, o), import('./lib/fleets.js')]);
          return sdkFleets(ec2, await a.autoScaling(), signal);
        },
        forProfile: (profile) => contextFor({ ...g, profile, profiles: [profile] }),
      };
      return ctx;
    };
    const ctx = contextFor(global);
    const result = (await run(ctx, cmd.args, opts)) ?? {};
    await printResult(ctx, result, query);
    out.status.end();
    return result.exitCode ?? ExitCode.ok;
  } catch (err) {
    if (controller.signal.aborted && !(err instanceof CancelledError)) {
      const reason = controller.signal.reason as CancelledError;
      if ((err as Error)?.name === 'AbortError') return fail(reason);
    }
    return fail(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Entry point for the bins: run, flush, exit with the code. */
export function run(program: string, argv: string[]): void {
  quietOnClosedPipe(program);
  main(program, argv).then(
    (code) => exitAfterFlush(code),
    (err) => {
      process.stderr.write(`${program}: internal error: ${forTerminal(String((err as Error)?.message ?? err))}\n`);
      exitAfterFlush(ExitCode.failure);
    },
  );
}
