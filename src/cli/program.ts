// The commander program for a spec: the shared options, the help's closing sections, the original
// scripts' spellings, and the shared options read back as GlobalOptions (src/cli.ts runs it).
import { Command, Option } from 'commander';
import type { CommandOptions, CommandSpec, GlobalOptions } from '../commands/types.js';
import { UsageError } from '../lib/errors.js';
import { chooseOutput, OUTPUT_FORMATS } from '../lib/formats.js';
import type { Io } from '../lib/io.js';
import { forTerminal } from '../lib/untrusted.js';
import { version } from '../lib/version.js';

const EXIT_CODES_HELP = `Exit status:
  0 success, 1 failure, 2 usage or bad input, 3 not found or ambiguous name,
  4 AWS refused (credentials, permissions, limits), 5 timed out waiting, 130 cancelled`;

const ENVIRONMENT_HELP = `Environment:
  AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, BOTO_CONFIG (~/.boto),
  AWS_ENDPOINT_URL (_EC2, _ROUTE_53), EC2TERM_SANDBOX=1 (same as --sandbox), NO_COLOR,
  EC2TERM_AUTH_CODE (ec2launch's auth code, kept off the command line),
  DEBUG=ec2term (stack traces), DEBUG=ec2term:ssh (also the SSH protocol trace)
Defaults: ~/.config/ec2term/config (or $XDG_CONFIG_HOME/ec2term/config) and EC2TERM_<KEY> variables;
  a flag beats the variable, which beats the file (README "Configuration")`;

/** Adds the options every command shares. */
export function addGlobalOptions(cmd: Command): void {
  cmd
    .option('--region <region>', 'AWS region (default: AWS_REGION, profile, ~/.boto, us-east-1)')
    .option('--profile <name>', 'AWS profile from ~/.aws/config')
    .option('--endpoint-url <url>', 'send AWS requests to this endpoint (also AWS_ENDPOINT_URL)')
    .option('--sandbox', 'use the embedded local sandbox (no AWS account needed; also EC2TERM_SANDBOX=1)')
    .option('--json', 'print results as JSON on stdout (the same as --output json)')
    .addOption(new Option(`${cmd.options.some((o) => o.short === '-o') ? '' : '-o, '}--output <format>`, 'json, text (tab-separated, as the AWS CLI; also tsv) or table').choices(OUTPUT_FORMATS))
    .option('--query <jmespath>', 'a JMESPath expression applied to the JSON data, as the AWS CLI does (e.g. "[].name")')
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

/** Pure: the shared options as commander parsed them (settings already applied). */
export function globalOptions(opts: CommandOptions, spec: Pick<CommandSpec, 'name' | 'multiProfile'>): GlobalOptions {
  const output = chooseOutput(opts.output, Boolean(opts.json));
  const profiles = typeof opts.profile === 'string' ? [...new Set(opts.profile.split(',').map((p: string) => p.trim()).filter(Boolean))] : [];
  if (typeof opts.profile === 'string' && profiles.length === 0) throw new UsageError(`bad --profile ${JSON.stringify(opts.profile)}: expected a profile name`);
  if (profiles.length > 1 && !spec.multiProfile) throw new UsageError(`${spec.name} works in one profile at a time; only ec2list takes a comma list of profiles`);
  if (typeof opts.query === 'string' && opts.query.trim() === '') throw new UsageError('bad --query "": expected a JMESPath expression such as "[].name"');
  return {
    region: opts.region,
    profile: profiles.length === 1 ? profiles[0] : undefined,
    profiles,
    endpointUrl: opts.endpointUrl,
    local: Boolean(opts.sandbox),
    json: output === 'json',
    output,
    query: opts.query,
    quiet: Boolean(opts.quiet),
    verbose: Boolean(opts.verbose),
    color: opts.color !== false,
  };
}
