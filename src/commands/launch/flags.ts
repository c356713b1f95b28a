// ec2launch's flags, each defined once: this table yields the commander options (spec.ts), the typed
// LaunchOptions (toLaunchOptions, and the type itself) and the equivalent command line printed after a
// form (commandLine). Light on purpose: spec.ts loads it for --help (commander and types only).
import { Option } from 'commander';

/**
 * How a flag's value reads: `string` (--type T), `boolean` (--https), `list` (--tag, repeatable),
 * `optional` (--eip, or --eip ID), `negated` (--no-key-pair: the option is false when given).
 */
export type FlagKind = 'string' | 'boolean' | 'list' | 'optional' | 'negated';

export interface FlagDef {
  /** The LaunchOptions key. */
  key: string;
  /** As commander takes it: '--type <type>', '-y, --yes', '--eip [alloc-id]'. */
  flags: string;
  help: string;
  kind: FlagKind;
  choices?: readonly string[];
  /** How the printed command line carries it: always (default), never (what this run does, not what it launches), or only the non-secret "none". */
  print?: 'never' | 'none-only';
}

/** GraphTerm's auth types and how far a launch waits (their checks are in plan.ts). */
export const AUTH_TYPES = ['singleuser', 'none', 'name', 'multiuser'] as const;
export const WAIT_PHASES = ['running', 'ssh', 'ready', 'none'] as const;

export const LAUNCH_FLAGS = [
  { key: 'type', flags: '--type <type>', kind: 'string', help: 'instance type (default t3.small)' },
  { key: 'ami', flags: '--ami <id>', kind: 'string', help: 'image id (default: the newest Ubuntu 22.04 LTS for the region, from Canonical: it has Python 2.7)' },
  { key: 'key', flags: '--key <name>', kind: 'string', help: 'EC2 key pair (default "ec2term", created on first use; private key saved 0600)' },
  { key: 'importKey', flags: '--import-key <file>', kind: 'string', help: 'create the key pair from this local public key (FILE.pub) instead of a new one' },
  // A secret stays off command lines: only "none" is printed (EC2TERM_AUTH_CODE carries a code).
  { key: 'authCode', flags: '--auth-code <code>', kind: 'string', print: 'none-only', help: 'GraphTerm auth code, 8-16 letters/digits, dashes ignored (default: EC2TERM_AUTH_CODE, else random, shown once at the end)' },
  { key: 'authType', flags: '--auth-type <type>', kind: 'string', choices: AUTH_TYPES, help: 'GraphTerm auth type' },
  { key: 'https', flags: '--https', kind: 'boolean', help: 'serve GraphTerm over https (a 2048-bit self-signed certificate made at setup; URL https://NAME/)' },
  { key: 'openServer', flags: '--open-server', kind: 'boolean', help: 'with --auth-type none or name: open GraphTerm\'s ports anyway (no code guards them)' },
  { key: 'oauthFile', flags: '--oauth-file <file>', kind: 'string', help: 'gterm_oauth.json with Google sign-in settings, delivered over SSH to ~/.graphterm' },
  { key: 'pylab', flags: '--pylab', kind: 'boolean', help: 'install scientific Python 2.7 (numpy 1.16, matplotlib 2.2; x86_64 only)' },
  { key: 'R', flags: '--R', kind: 'boolean', help: 'install R' },
  { key: 'netcdf', flags: '--netcdf', kind: 'boolean', help: 'install netCDF libraries and netCDF4' },
  { key: 'install', flags: '--install <pkgs>', kind: 'string', help: 'extra packages, comma separated: apt names, or pip:NAME for Python packages' },
  { key: 'copy', flags: '--copy <files>', kind: 'string', help: 'local files (comma separated) copied to the home directory once SSH works' },
  { key: 'connectTo', flags: '--connect-to <primary>', kind: 'string', help: 'secondary host: run gtermhost connected to this GraphTerm server' },
  { key: 'acceptHosts', flags: '--accept-hosts', kind: 'boolean', help: 'server that secondary hosts join (port 8899, open to the hosts\' security group only)' },
  { key: 'count', flags: '--count <n>', kind: 'string', help: 'launch N hosts named NAME-1..NAME-N' },
  // A fleet: an Auto Scaling group of this many hosts (fleet/plan.ts checks it).
  { key: 'hosts', flags: '--hosts <n>', kind: 'string', help: 'a fleet: N hosts joining --connect-to SERVER, from a launch template and an Auto Scaling group that replaces lost hosts; with --accept-hosts: the server NAME and its fleet NAME-hosts (docs/fleets.md)' },
  { key: 'spot', flags: '--spot', kind: 'boolean', help: 'with --hosts: spot instances (a mixed instances policy), on-demand when EC2 has no spot capacity' },
  { key: 'volumeSize', flags: '--volume-size <gb>', kind: 'string', help: 'root volume size in GB' },
  { key: 'dataVolume', flags: '--data-volume <gb>', kind: 'string', help: 'attach an extra EBS volume of this size, mounted on /data' },
  { key: 'fromSnapshot', flags: '--from-snapshot <snap>', kind: 'string', help: 'create the data volume from this snapshot (never formatted)' },
  { key: 'allowFrom', flags: '--allow-from <cidr>', kind: 'string', help: 'who may reach ssh and GraphTerm ports, comma separated IPv4 or IPv6 CIDRs (see docs/launch.md for the default)' },
  { key: 'subnet', flags: '--subnet <id>', kind: 'string', help: 'launch into this subnet (its VPC\'s security groups are used; IPv6 when the subnet has it)' },
  { key: 'vpc', flags: '--vpc <id>', kind: 'string', help: 'launch into this VPC (a subnet of it: one with public addresses first); default: the default VPC' },
  { key: 'iamProfile', flags: '--iam-profile <name|arn>', kind: 'string', help: 'IAM instance profile for the instance' },
  { key: 'eip', flags: '--eip [alloc-id]', kind: 'optional', help: 'an Elastic IP, so the address survives stop/start: a new one (released by ec2list --terminate), or this allocation' },
  { key: 'keyPair', flags: '--no-key-pair', kind: 'negated', help: 'launch with no key pair: logins push a one-time key with EC2 Instance Connect (Amazon Linux 2/2023, Ubuntu 16.04+)' },
  { key: 'tag', flags: '--tag <KEY=VALUE>', kind: 'list', help: 'an extra tag on the instance and its volumes (repeatable; not aws:, ec2term: or Name)' },
  { key: 'ttl', flags: '--ttl <duration>', kind: 'string', help: 'the instance powers off and terminates itself after this long (e.g. 4h, 2d)' },
  { key: 'wait', flags: '--wait <phase>', kind: 'string', choices: WAIT_PHASES, help: 'how far to wait: running, ssh, ready (setup finished) or none' },
  { key: 'timeout', flags: '--timeout <duration>', kind: 'string', help: 'time limit of each waiting phase (default: running 5m, ssh 5m, ready 20m)' },
  { key: 'clientToken', flags: '--client-token <token>', kind: 'string', help: 'EC2 idempotency token (default: derived from name, parameters and day)' },
  { key: 'createZone', flags: '--create-zone', kind: 'boolean', help: 'create the Route 53 hosted zone for the domain when it does not exist' },
  { key: 'replace', flags: '--replace', kind: 'boolean', help: 'terminate a live instance of the same name first' },
  { key: 'keepOnFailure', flags: '--keep-on-failure', kind: 'boolean', help: 'keep what was created when a later step fails (default: remove it)' },
  { key: 'showSecrets', flags: '--show-secrets', kind: 'boolean', print: 'never', help: 'also print the auth code with --json or without a terminal' },
  { key: 'userData', flags: '--user-data', kind: 'boolean', print: 'never', help: 'print the generated user-data script and exit' },
  { key: 'dryRun', flags: '--dry-run', kind: 'boolean', print: 'never', help: 'print the full plan and change nothing anywhere' },
  { key: 'form', flags: '--form', kind: 'boolean', print: 'never', help: 'fill in the launch form (prefilled from the flags given)' },
  { key: 'yes', flags: '-y, --yes', kind: 'boolean', print: 'never', help: 'do not ask for confirmation' },
  { key: 'gmailAddr', flags: '--gmail-addr <addr>', kind: 'string', help: 'e-mail address for Google sign-in (written to ~/.graphterm/gterm_email.txt)' },
  { key: 'allowEmbed', flags: '--allow-embed', kind: 'boolean', help: 'GraphTerm --allow_embed' },
  { key: 'allowShare', flags: '--allow-share', kind: 'boolean', help: 'GraphTerm --allow_share' },
  { key: 'notebookServer', flags: '--notebook-server', kind: 'boolean', help: 'GraphTerm --nb_server' },
  { key: 'logging', flags: '--logging', kind: 'boolean', help: 'GraphTerm --logging' },
  { key: 'oshell', flags: '--oshell', kind: 'boolean', help: 'GraphTerm --oshell' },
  { key: 'screen', flags: '--screen', kind: 'boolean', help: 'run GraphTerm inside GNU screen (attach with: screen -r gtermserver)' },
  { key: 'otherOpts', flags: '--other-opts <opts>', kind: 'string', help: 'more gtermserver 0.57 options, e.g. "--lc_export=telephone" (checked against its real options)' },
] as const satisfies readonly FlagDef[];

type Flag = (typeof LAUNCH_FLAGS)[number];
interface KindValue { string: string; boolean: boolean; list: string[]; optional: string | boolean; negated: boolean }

/** The typed options the flags give (LaunchOptions adds NAME). */
export type FlagOptions = { [F in Flag as F['key']]?: KindValue[F['kind']] };

/** The long name of a flag: '--yes' of '-y, --yes', '--no-key-pair'. */
export const longName = (f: FlagDef): string => /--[\w-]+/.exec(f.flags)![0];

/** The commander option of a flag. */
export function commanderOption(f: FlagDef): Option {
  const o = new Option(f.flags, f.help);
  if ('choices' in f && f.choices) o.choices(f.choices);
  if (f.kind === 'list') o.argParser((v: string, prev: string[] = []) => [...prev, v]);
  return o;
}

/** Commander's parsed values -> the typed options (no checking here; plan.ts checks). */
export function flagOptions(o: Record<string, unknown>): FlagOptions {
  const out: Record<string, unknown> = {};
  for (const f of LAUNCH_FLAGS as readonly FlagDef[]) {
    const v = o[f.key];
    if (v === undefined) continue;
    if (f.kind === 'string') out[f.key] = String(v);
    else if (f.kind === 'boolean') out[f.key] = v;
    else if (f.kind === 'list') out[f.key] = Array.isArray(v) ? v.map(String) : undefined;
    else if (f.kind === 'optional') out[f.key] = v === true ? true : String(v);
    else if (v === false) out[f.key] = false; // negated: commander's default true means "not given"
  }
  return out as FlagOptions;
}

/** Pure: the words that give these options (in the table's order), as `--flag=value` so any value reads back. */
export function flagWords(o: FlagOptions): string[] {
  const words: string[] = [];
  const values = o as Record<string, unknown>;
  for (const f of LAUNCH_FLAGS as readonly FlagDef[]) {
    const v = values[f.key];
    const name = longName(f);
    if (v === undefined || f.print === 'never') continue;
    if (f.print === 'none-only' && v !== 'none') continue;
    if (f.kind === 'string' && v !== '') words.push(`${name}=${v}`);
    else if (f.kind === 'boolean' && v === true) words.push(name);
    else if (f.kind === 'list') for (const x of v as string[]) words.push(`${name}=${x}`);
    else if (f.kind === 'optional' && v === true) words.push(name);
    else if (f.kind === 'optional' && typeof v === 'string' && v !== '') words.push(`${name}=${v}`);
    else if (f.kind === 'negated' && v === false) words.push(name);
  }
  return words;
}
