// The one runner behind every bin: argv -> commander -> the command's run -> printed result and
// exit code. Loads only commander and the command's spec until the command really runs, so --help,
// --version and usage errors never load the AWS SDK or ssh2.
import { Command, CommanderError, Option } from 'commander';
import type { CommandContext, CommandOptions, CommandSpec, GlobalOptions } from './commands/types.js';
import { CancelledError, describeError, ExitCode } from './lib/errors.js';
import { forTerminal } from './lib/untrusted.js';
import type { Clock } from './lib/clock.js';
import type { Dns } from './lib/dns.js';
import type { Ec2 } from './lib/ec2.js';
import type { Fleets } from './lib/fleets.js';
import { processIo, type Io } from './lib/io.js';
import type { Prompt } from './lib/prompt.js';
import { version } from './lib/version.js';

const SPECS: Record<string, () => Promise<{ spec: CommandSpec }>> = {
  ec2launch: () => import('./commands/launch/spec.js'),
  ec2list: () => import('./commands/list/spec.js'),
  ec2ssh: () => import('./commands/ssh/spec.js'),
  ec2scp: () => import('./commands/scp/spec.js'),
  ec2term: () => import('./commands/ec2term/spec.js'),
};

export const PROGRAMS = Object.keys(SPECS);

const EXIT_CODES_HELP = `Exit status:
  0 success, 1 failure, 2 usage or bad input, 3 not found or ambiguous name,
  4 AWS refused (credentials, permissions, limits), 5 timed out waiting, 130 cancelled`;

const ENVIRONMENT_HELP = `Environment:
  AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, BOTO_CONFIG (~/.boto),
  AWS_ENDPOINT_URL (_EC2, _ROUTE_53), EC2TERM_SANDBOX=1 (same as --sandbox), NO_COLOR,
  EC2TERM_AUTH_CODE (ec2launch's auth code, kept off the command line),
  DEBUG=ec2term (stack traces), DEBUG=ec2term:ssh (also the SSH protocol trace)`;

/** Adds the options every command shares. */
export function addGlobalOptions(cmd: Command): void {
  cmd
    .option('--region <region>', 'AWS region (default: AWS_REGION, profile, ~/.boto, us-east-1)')
    .option('--profile <name>', 'AWS profile from ~/.aws/config')
    .option('--endpoint-url <url>', 'send AWS requests to this endpoint (also AWS_ENDPOINT_URL)')
    .option('--sandbox', 'use the embedded local sandbox (no AWS account needed; also EC2TERM_SANDBOX=1)')
    .option('--json', 'print results as JSON on stdout')
    .option('-q, --quiet', 'print no progress or notices')
    .option('-v, --verbose', 'print what is being done, error causes and AWS request ids')
    .addOption(new Option('--no-color', 'no colours (also NO_COLOR)'));
}

/**
 * Pure: rewrites the original scripts' spellings (`--dry_run`, `--kill`) into current options.
 * Only rewrites tokens that then name a known option, and stops at `--`.
 */
export function normalizeArgv(argv: string[], known: Set<string>, aliases: Record<string, string> = {}): string[] {
  const out: string[] = [];
  let done = false;
  for (const token of argv) {
    if (done || !token.startsWith('--') || token === '--') {
      if (token === '--') done = true;
      out.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token : token.slice(0, eq);
    const rest = eq === -1 ? '' : token.slice(eq);
    const hyphenated = `--${name.slice(2).replace(/_/g, '-')}`;
    const target = aliases[name] ?? aliases[hyphenated] ?? (known.has(hyphenated) ? hyphenated : name);
    out.push(target + rest);
  }
  return out;
}

/** Builds the commander program for a spec, writing through `io`. */
export function buildProgram(spec: CommandSpec, io: Io): Command {
  const cmd = new Command(spec.name)
    .description(spec.summary)
    .usage(spec.usage)
    .version(version(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`${spec.name}: ${forTerminal(s.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim())} (see ${spec.name} --help)\n`),
    });
  if (spec.passThrough) cmd.enablePositionalOptions().passThroughOptions();
  spec.configure(cmd);
  addGlobalOptions(cmd);
  cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n\n${EXIT_CODES_HELP}\n\n${ENVIRONMENT_HELP}\n`);
  return cmd;
}

function globalOptions(opts: CommandOptions): GlobalOptions {
  return {
    region: opts.region,
    profile: opts.profile,
    endpointUrl: opts.endpointUrl,
    local: Boolean(opts.sandbox),
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    verbose: Boolean(opts.verbose),
    color: opts.color !== false,
  };
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
  const opts = cmd.opts();
  const global = globalOptions(opts);
  verbose = global.verbose;

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
    let aws: ReturnType<CommandContext['aws']> | undefined;
    const openAws = deps.aws ?? (() =>
      Promise.all([import('./lib/aws.js'), import('./lib/target.js')]).then(([{ openAws }, { localTargetRequested }]) =>
        openAws(
          { region: global.region, profile: global.profile, endpointUrl: global.endpointUrl, local: localTargetRequested(global.local, io.env) },
          { env: io.env, out, prompt },
        ),
      ));
    const ctx: CommandContext = {
      program,
      global,
      io,
      out,
      prompt,
      clock: deps.clock ?? systemClock,
      signal: controller.signal,
      aws: () => (aws ??= openAws({ global, io, out, prompt })),
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
    };
    const result = (await run(ctx, cmd.args, opts)) ?? {};
    if (global.json && result.json !== undefined) out.printJson(result.json);
    else result.render?.(out);
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

/**
 * A reader that went away (`ec2ssh lab 'seq 1 1000000' | head -1`, `ec2list --watch | head`) ends the
 * command quietly, as OpenSSH and coreutils end: ec2ssh with 0 (what ssh exits with), the others with
 * 141 (128 + SIGPIPE, what the shell reports for a coreutils command whose reader left).
 */
export function closedPipeStatus(program: string): number {
  return program === 'ec2ssh' ? 0 : 128 + 13;
}

/** Is this the error a write to a reader that went away gives (synchronously or later, from the stream)? */
export function isClosedPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

function quietOnClosedPipe(program: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (isClosedPipe(err)) process.exit(closedPipeStatus(program));
    // Any other failure to write the output (a full disk, EIO): one line, never a stack trace.
    try {
      process.stderr.write(`${program}: cannot write the output: ${forTerminal(err.message)}\n`);
    } finally {
      process.exit(ExitCode.failure);
    }
  });
  // With stderr gone there is no one to tell: carry on (stdout may still be read).
  process.stderr.on('error', () => undefined);
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

function exitAfterFlush(code: number): void {
  // Open keep-alive sockets or ssh handles must not hold the process: exit once output is written.
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
