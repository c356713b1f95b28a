// ec2launch's value checks, pure: names, auth codes, tags, numbers and lists as the flags give them;
// anything wrong is a UsageError naming the flag.
import { UsageError } from '../../../lib/errors.js';
import { TAGS } from '../../../lib/instances.js';
import { NAME_RE } from './types.js';

export const APT_NAME = /^[a-z0-9][a-z0-9+.-]{0,99}$/;
export const PIP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[[A-Za-z0-9,._-]+\])?((==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!-]+)?$/;
export const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;
export const GTERM_OPT = /^--[a-z][a-z0-9_]*(=[A-Za-z0-9_.,:@/+-]*)?$/;
/**
 * gtermserver 0.57 options a user may add with --other-opts: every real one (GTERMSERVER_OPTIONS) except
 * those ec2launch sets or that would break the service (daemon, addresses, ports, auth, certificates).
 */
export const OTHER_OPTS = [
  'auth_users', 'blob_host', 'nomathjax', 'nolocal', 'nogoog_auth', 'shell_command', 'prompts', 'lc_export', 'nb_ext', 'nb_autosave',
  'no_reset', 'no_formcheck', 'term_type', 'term_encoding', 'term_opts', 'term_settings', 'max_terminals', 'lterm_logfile', 'widget_port', 'users_dir',
] as const;
export const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
/** Letters and digits, dashes ignored: the browser keeps only 16 significant characters. */
const AUTH_CODE = /^[A-Za-z0-9-]+$/;
export const AUTH_CODE_MAX = 16;
export const AUTH_CODE_MIN = 8;

/** Tags ec2term itself may put on an instance (TAGS): the rest of EC2's 50 are the user's. */
export const MAX_USER_TAGS = 38;
/** EC2's portable tag characters: letters, digits, spaces and + - = . _ : / @ (Unicode letters count). */
const TAG_TEXT = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;

/**
 * Pure: --tag KEY=VALUE values -> tags, checked as AWS checks them (key 1-128 characters, value up to
 * 256, the portable characters) plus what is not the user's to set: the reserved aws: prefix, ec2term's
 * own ec2term: tags and Name (NAME sets it).
 */
export function parseTags(values: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of values ?? []) {
    const eq = raw.indexOf('=');
    const shown = JSON.stringify([...raw].length > 60 ? `${[...raw].slice(0, 60).join('')}…` : raw);
    if (eq <= 0) throw new UsageError(`bad --tag ${shown}: expected KEY=VALUE, e.g. --tag project=atlas`);
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if ([...key].length > 128) throw new UsageError(`bad --tag ${shown}: a key has at most 128 characters`);
    if ([...value].length > 256) throw new UsageError(`bad --tag ${shown}: a value has at most 256 characters`);
    if (!TAG_TEXT.test(key) || !TAG_TEXT.test(value)) throw new UsageError(`bad --tag ${shown}: use letters, digits, spaces and + - = . _ : / @`);
    if (key.trim() === '') throw new UsageError(`bad --tag ${shown}: the key is blank`);
    if (/^aws:/i.test(key)) throw new UsageError(`bad --tag ${shown}: keys starting with aws: are reserved for AWS`);
    if (/^ec2term:/i.test(key)) throw new UsageError(`bad --tag ${shown}: ec2term: tags are ec2term's own (it sets them)`);
    if (key === TAGS.name) throw new UsageError(`bad --tag ${shown}: the Name tag is NAME, the argument`);
    if (key in tags) throw new UsageError(`bad --tag ${shown}: the key ${JSON.stringify(key)} is given twice`);
    tags[key] = value;
  }
  if (Object.keys(tags).length > MAX_USER_TAGS) throw new UsageError(`too many --tag: at most ${MAX_USER_TAGS} (EC2 allows 50 tags and ec2term uses the rest)`);
  return tags;
}

/** Pure: Graviton types (t4g, m7g, c7gn, ...) run arm64 images; the rest x86_64. */
export function architectureFor(instanceType: string): 'arm64' | 'x86_64' {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType) ? 'arm64' : 'x86_64';
}

/** Pure: checks an --auth-code (throws UsageError) and returns it without dashes. */
export function checkAuthCode(code: string): string {
  const significant = code.replace(/-/g, '');
  if (!AUTH_CODE.test(code) || significant.length < AUTH_CODE_MIN || significant.length > AUTH_CODE_MAX) {
    throw new UsageError(`bad --auth-code: use ${AUTH_CODE_MIN} to ${AUTH_CODE_MAX} letters and digits (dashes allowed and ignored; a browser uses only the first ${AUTH_CODE_MAX}), or "none" for --auth-type none`);
  }
  return significant;
}

/** Pure: checks NAME (lower case, labels of a-z 0-9 -, starting with a letter). */
export function checkName(name: string | undefined): string {
  if (name === undefined || name === '') throw new UsageError('missing NAME: give the instance a name, e.g. ec2launch lab.myterm.com (or use --form on a terminal)');
  if (name.length > 200 || !NAME_RE.test(name) || name.split('.').some((l) => l.length > 63 || l.endsWith('-'))) {
    const shown = [...name].length > 40 ? `${[...name].slice(0, 40).join('')}…` : name;
    throw new UsageError(`bad NAME ${JSON.stringify(shown)}: use lower-case letters, digits and '-', starting with a letter, with optional .domain parts (e.g. lab or lab.myterm.com)`);
  }
  return name;
}

export function positiveInt(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`bad ${flag} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

export function list(value: string | undefined): string[] {
  return (value ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

/** Pure: "lab.myterm.com" + index 2 of 3 -> "lab-2.myterm.com". */
export function hostName(base: string, index: number, count: number): string {
  if (count <= 1) return base;
  const dot = base.indexOf('.');
  return dot < 0 ? `${base}-${index}` : `${base.slice(0, dot)}-${index}${base.slice(dot)}`;
}
