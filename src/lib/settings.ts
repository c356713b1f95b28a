// Defaults a user keeps instead of typing them every time, defined once: each setting's config key, its
// environment variable and the option it fills. Precedence: flag > environment > config file > built-in
// (the built-in defaults stay where they are, in the commands). The config file is INI, like the AWS
// CLI's: $XDG_CONFIG_HOME/ec2term/config, else ~/.config/ec2term/config (docs in README "Configuration").
import type { Command } from 'commander';
import { join } from 'node:path';
import { readIniFile, tildify } from './config-files.js';
import { UsageError } from './errors.js';
import { IMAGE_ID, INSTANCE_TYPE, IPV4_CIDR, isRegionName, KEY_NAME } from './ids.js';
import type { IniSections } from './inifile.js';
import { configDir } from './paths.js';
import { parseDuration } from './wait.js';

export type Section = 'default' | 'launch' | 'list' | 'ssh';

export interface SettingDef {
  section: Section;
  /** The key in its section, spelled as the flag without dashes: allow-from. */
  key: string;
  /** The programs whose option it fills; `default` settings fill every program that has the option. */
  programs?: string[];
  /** The option it fills (commander's camelCase attribute). */
  option: string;
  /** Environment variables, first set wins. */
  env: string[];
  /** The variables are read further down (aws.ts reads AWS_REGION, AWS_PROFILE): when one is set, leave it to them. */
  envReadDownstream?: boolean;
  boolean?: boolean;
  /** Why a value is bad (undefined: good). Choices of the option itself are checked too. */
  check?: (value: string) => string | undefined;
}

const shape = (re: RegExp, expected: string) => (v: string) => (re.test(v) ? undefined : `expected ${expected}`);
const duration = (v: string) => (parseDuration(v) === undefined ? 'expected a duration such as 30s, 5m, 4h or 2d' : undefined);
const wholeNumber = (v: string) => (/^\d{1,6}$/.test(v) ? undefined : 'expected a whole number');
const cidrs = (v: string) => {
  const list = v.split(',').map((c) => c.trim()).filter(Boolean);
  return list.length > 0 && list.every((c) => IPV4_CIDR.test(c)) ? undefined : 'expected IPv4 CIDRs such as 203.0.113.7/32, comma separated';
};
const regions = (v: string) =>
  v === 'all' || v.split(',').every((r) => isRegionName(r.trim())) ? undefined : 'expected a region such as us-east-1, a comma list, or "all"';
// One profile: a comma list (ec2list --profile a,b) is for the command line, not a default for every command.
const profileName = shape(/^[A-Za-z0-9_.@+-]+$/, 'one profile name from ~/.aws/config');

const LAUNCH = ['ec2launch'];
const LIST = ['ec2list'];
const SSH = ['ec2ssh', 'ec2scp'];

export const SETTINGS: readonly SettingDef[] = [
  { section: 'default', key: 'region', option: 'region', env: ['AWS_REGION', 'AWS_DEFAULT_REGION'], envReadDownstream: true, check: regions },
  { section: 'default', key: 'profile', option: 'profile', env: ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'], envReadDownstream: true, check: profileName },
  // Not ec2ssh's or ec2scp's: a configured json must never take over a session's stdout.
  { section: 'default', key: 'output', programs: ['ec2list', 'ec2launch'], option: 'output', env: ['EC2TERM_OUTPUT'] },
  { section: 'launch', key: 'type', programs: LAUNCH, option: 'type', env: ['EC2TERM_TYPE'], check: shape(INSTANCE_TYPE, 'an instance type such as t3.small') },
  { section: 'launch', key: 'image', programs: LAUNCH, option: 'ami', env: ['EC2TERM_IMAGE'], check: shape(IMAGE_ID, 'an image id such as ami-0123456789abcdef0') },
  { section: 'launch', key: 'key', programs: LAUNCH, option: 'key', env: ['EC2TERM_KEY'], check: shape(KEY_NAME, "a key pair name of letters, digits, '.', '_' and '-'") },
  { section: 'launch', key: 'allow-from', programs: LAUNCH, option: 'allowFrom', env: ['EC2TERM_ALLOW_FROM'], check: cidrs },
  { section: 'launch', key: 'ttl', programs: LAUNCH, option: 'ttl', env: ['EC2TERM_TTL'], check: duration },
  { section: 'launch', key: 'volume-size', programs: LAUNCH, option: 'volumeSize', env: ['EC2TERM_VOLUME_SIZE'], check: wholeNumber },
  { section: 'launch', key: 'auth-type', programs: LAUNCH, option: 'authType', env: ['EC2TERM_AUTH_TYPE'] },
  { section: 'launch', key: 'wait', programs: LAUNCH, option: 'wait', env: ['EC2TERM_WAIT'] },
  { section: 'launch', key: 'https', programs: LAUNCH, option: 'https', env: ['EC2TERM_HTTPS'], boolean: true },
  { section: 'list', key: 'sort', programs: LIST, option: 'sort', env: ['EC2TERM_SORT'] },
  { section: 'list', key: 'wide', programs: LIST, option: 'wide', env: ['EC2TERM_WIDE'], boolean: true },
  { section: 'list', key: 'interval', programs: LIST, option: 'interval', env: ['EC2TERM_INTERVAL'], check: duration },
  { section: 'ssh', key: 'connect-timeout', programs: ['ec2ssh'], option: 'connectTimeout', env: ['EC2TERM_CONNECT_TIMEOUT'], check: wholeNumber },
  { section: 'ssh', key: 'keepalive', programs: ['ec2ssh'], option: 'keepalive', env: ['EC2TERM_KEEPALIVE'], check: wholeNumber },
  { section: 'ssh', key: 'login', programs: SSH, option: 'login', env: ['EC2TERM_LOGIN'], check: shape(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name such as ubuntu') },
];

/** $XDG_CONFIG_HOME/ec2term/config, else ~/.config/ec2term/config. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'config');
}

/** The config file as read: its path (for messages) and its sections. */
export interface ConfigFile {
  path: string;
  sections: IniSections;
}

export type SettingValue = string | boolean;
export interface Resolved {
  value: SettingValue;
  from: 'env' | 'config';
  /** Where it came from, for messages: "EC2TERM_TYPE", "~/.config/ec2term/config [launch] type". */
  source: string;
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** Pure: a text value -> the option's value, or why it is bad. */
function convert(def: SettingDef, text: string, choices: readonly string[] | undefined): { value: SettingValue } | { reason: string } {
  const v = text.trim();
  if (def.boolean) {
    if (TRUE.has(v.toLowerCase())) return { value: true };
    if (FALSE.has(v.toLowerCase())) return { value: false };
    return { reason: 'expected true or false' };
  }
  if (v === '') return { reason: 'empty value' };
  if (choices && !choices.includes(v)) return { reason: `expected one of ${choices.join(', ')}` };
  const reason = def.check?.(v);
  return reason === undefined ? { value: v } : { reason };
}

/** Pure: checks every section and key of a config file (a typo is an error, not silently ignored). */
export function checkConfigKeys(config: ConfigFile, env: NodeJS.ProcessEnv): void {
  const where = tildify(config.path, env);
  for (const [section, keys] of config.sections) {
    const known = SETTINGS.filter((s) => s.section === section);
    if (known.length === 0) throw new UsageError(`${where}: unknown section [${section}]: expected [default], [launch], [list] or [ssh]`);
    for (const key of keys.keys()) {
      if (!known.some((s) => s.key === key)) throw new UsageError(`${where}: unknown key "${key}" in [${section}]: expected ${known.map((s) => s.key).join(', ')}`);
    }
  }
}

/**
 * Pure: one setting's value when the flag was not given: the environment's, else the config file's,
 * else undefined (the built-in default applies). A bad value is a one-line UsageError naming where it was.
 */
export function resolveSetting(
  def: SettingDef,
  from: { flagGiven: boolean; env: NodeJS.ProcessEnv; config?: ConfigFile; choices?: readonly string[] },
): Resolved | undefined {
  if (from.flagGiven) return undefined;
  const envName = def.env.find((n) => from.env[n] !== undefined && from.env[n] !== '');
  if (envName) {
    if (def.envReadDownstream) return undefined;
    const got = convert(def, from.env[envName]!, from.choices);
    if ('reason' in got) throw new UsageError(`bad ${envName}=${JSON.stringify(from.env[envName])}: ${got.reason}`);
    return { value: got.value, from: 'env', source: envName };
  }
  const text = from.config?.sections.get(def.section)?.get(def.key);
  if (text === undefined) return undefined;
  const source = `${tildify(from.config!.path, from.env)} [${def.section}] ${def.key}`;
  const got = convert(def, text, from.choices);
  if ('reason' in got) throw new UsageError(`bad ${source} = ${JSON.stringify(text)}: ${got.reason}`);
  return { value: got.value, from: 'config', source };
}

/** The settings that can fill an option of `program` (those whose option the program has). */
export function settingsFor(program: string, hasOption: (option: string) => boolean): SettingDef[] {
  return SETTINGS.filter((s) => (s.programs ? s.programs.includes(program) : true) && hasOption(s.option));
}

/** Reads the config file (undefined when there is none); a damaged file or unknown key is a UsageError. */
export async function readConfigFile(env: NodeJS.ProcessEnv): Promise<ConfigFile | undefined> {
  const path = configFilePath(env);
  const sections = await readIniFile(path, env);
  if (!sections) return undefined;
  const config = { path, sections };
  checkConfigKeys(config, env);
  return config;
}

/**
 * Fills the options of `cmd` the user did not type from the environment and the config file
 * (commander records the source: 'env' or 'config'), so commands see one set of options.
 */
export async function applySettings(cmd: Command, program: string, env: NodeJS.ProcessEnv): Promise<void> {
  const byName = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  const defs = settingsFor(program, (name) => byName.has(name));
  if (defs.length === 0) return;
  const config = await readConfigFile(env);
  for (const def of defs) {
    const flagGiven = cmd.getOptionValueSource(def.option) === 'cli';
    const resolved = resolveSetting(def, { flagGiven, env, config, choices: byName.get(def.option)?.argChoices });
    if (resolved) cmd.setOptionValueWithSource(def.option, resolved.value, resolved.from);
  }
}
