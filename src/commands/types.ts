// What every command is made of: a spec the runner turns into a commander program (cheap to load,
// enough for --help), and a `run` loaded only when the command really runs.
import type { Command } from 'commander';
import type { AwsContext } from '../lib/aws.js';
import type { Clock } from '../lib/clock.js';
import type { Dns } from '../lib/dns.js';
import type { Ec2 } from '../lib/ec2.js';
import type { Fleets } from '../lib/fleets.js';
import type { Io } from '../lib/io.js';
import type { Output } from '../lib/output.js';
import type { Prompt } from '../lib/prompt.js';

/** The options every command has. */
export interface GlobalOptions {
  region?: string;
  /** The one profile in use (undefined: AWS_PROFILE or "default", or several given). */
  profile?: string;
  /** --profile as a list: ec2list --profile a,b lists in each (other commands refuse more than one). */
  profiles: string[];
  endpointUrl?: string;
  /** The local target (src/lib/target.ts) instead of AWS; its flag is target.ts's LOCAL_TARGET_FLAG. */
  local: boolean;
  /** --json, or --output json. */
  json: boolean;
  /** --output (tsv is text); default table. */
  output: 'json' | 'text' | 'table';
  /** --query: a JMESPath expression over the JSON data (the runner applies it). */
  query?: string;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** Everything a command may touch, handed in so tests can swap any part. */
export interface CommandContext {
  program: string;
  global: GlobalOptions;
  io: Io;
  out: Output;
  prompt: Prompt;
  clock: Clock;
  /** Aborted on Ctrl-C or SIGTERM: long operations stop and clean up. */
  signal: AbortSignal;
  /** Region, credentials and SDK clients, resolved on first call (may ask for keys on first run). */
  aws(): Promise<AwsContext>;
  /** EC2 in `region` (default: the resolved one). Its requests end on `signal`, unless `cancellable` is
   * false: cleanup that must finish after Ctrl-C. */
  ec2(region?: string, opts?: ServiceOptions): Promise<Ec2>;
  /** Route 53, the same way. */
  dns(opts?: ServiceOptions): Promise<Dns>;
  /** Fleets (Auto Scaling groups + launch templates) in the resolved region. */
  fleets(opts?: ServiceOptions): Promise<Fleets>;
  /** The same context in another AWS profile (its own credentials, region and clients). */
  forProfile(profile: string): CommandContext;
}

export interface ServiceOptions {
  cancellable?: boolean;
}

/** Commands return data; the runner prints it (JSON with --json, else `render`). */
export interface CommandResult {
  exitCode?: number;
  json?: unknown;
  render?: (out: Output) => void;
  /** --output text of this result when the command has its own (ec2list's TSV); else the AWS CLI's text of `json`. */
  text?: (out: Output) => void;
}

// Commander hands options over as a loose record; each command narrows it in its own parser.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandOptions = Record<string, any>;

export type RunCommand = (ctx: CommandContext, args: string[], options: CommandOptions) => Promise<CommandResult | void>;

export interface CommandSpec {
  name: string;
  summary: string;
  /** The usage line after the program name, e.g. "[options] NAME". */
  usage: string;
  examples: string[];
  /** Original spellings mapped to current ones, e.g. { '--kill': '--terminate' }. Underscore
   * spellings of any option (--dry_run) are accepted without listing them. */
  aliases?: Record<string, string>;
  /** Options after the first argument belong to it (ec2ssh's remote command). */
  passThrough?: boolean;
  /** ec2list: --profile takes a comma list. */
  multiProfile?: boolean;
  /** false: the config file and EC2TERM_* settings do not apply (ec2term's own commands). */
  readsSettings?: boolean;
  configure(cmd: Command): void;
  load(): Promise<{ run: RunCommand }>;
}
