// Pure: OpenSSH's connection options (`-o Key=Value`, the same keys in an `-F` file, and the flags that
// stand for them: -4 -6 -A -C -J -p -l -i) -> one settings record, shared by ec2ssh and ec2scp. As in
// OpenSSH the first value obtained wins (IdentityFile collects); explicit flags are applied first.
// Keys ec2ssh cannot honour are refused with the reason, never silently ignored.
import { UsageError } from '../errors.js';
import { loginUserProblem } from '../untrusted.js';
import { configOptionsFor } from './config-file.js';

export type HostKeyPolicy = 'verify' | 'accept-new';
export type LogLevel = 'quiet' | 'normal' | 'verbose';

export interface SshSettings {
  user?: string;
  port?: number;
  identityFiles: string[];
  /** IdentitiesOnly=yes: only the -i / IdentityFile keys (and the launch key), no agent, no ~/.ssh/id_*. */
  identitiesOnly?: boolean;
  /** UserKnownHostsFile: where pins are read and written (/dev/null: nothing pinned, nothing written). */
  knownHostsFile?: string;
  hostKeyPolicy?: HostKeyPolicy;
  connectTimeoutMs?: number;
  keepAliveMs?: number;
  keepAliveCountMax?: number;
  batch?: boolean;
  compression?: boolean;
  family?: 4 | 6;
  /** ProxyJump / -J: instance names (or ids, addresses) to hop through, in order. */
  jump?: string[];
  forwardAgent?: boolean;
  logLevel?: LogLevel;
  /** One-line notices for stderr (an option mapped to something else). */
  notes: string[];
  /** HostName from an -F file: the instance word to resolve instead of the alias typed. */
  hostName?: string;
}

export function emptySettings(): SshSettings {
  return { identityFiles: [], notes: [] };
}

/** Pure: `-o Key=Value` / `-o "Key Value"` / a config line -> [key (lower case), value]. */
export function splitOption(text: string, what = '-o'): [string, string] {
  const m = /^\s*([A-Za-z0-9]+)\s*(?:=|\s)\s*(.*?)\s*$/.exec(text);
  if (!m || m[2] === '') throw new UsageError(`bad ${what} "${text}": expected Key=Value`);
  let value = m[2]!;
  if (/^"(.*)"$/.test(value)) value = value.slice(1, -1);
  return [m[1]!.toLowerCase(), value];
}

export function seconds(value: string, what: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || (n === 0 && !allowZero)) {
    throw new UsageError(`bad ${what} "${value}": expected a number of seconds${allowZero ? ' (0 turns it off)' : ''}`);
  }
  return Math.round(n * 1000);
}

export function portNumber(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) throw new UsageError(`bad ${what} "${value}": expected a port number 1-65535`);
  return n;
}

export function userName(value: string, what: string): string {
  const problem = loginUserProblem(value);
  if (problem) throw new UsageError(`bad ${what} ${JSON.stringify(value)}: ${problem}`);
  return value;
}

export function yesNo(value: string, what: string): boolean {
  const v = value.toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new UsageError(`bad ${what} "${value}": expected yes or no`);
}

/** Pure: -J / ProxyJump "a,b" -> hop names; "none" -> no hops. */
export function jumpHosts(value: string, what: string): string[] {
  if (value.toLowerCase() === 'none') return [];
  const hops = value.split(',').map((h) => h.trim());
  if (hops.some((h) => h === '' || /\s|^-/.test(h))) throw new UsageError(`bad ${what} "${value}": expected NAME[,NAME...] (instance names, ids or addresses)`);
  return hops;
}

/** Keys honoured by both ec2ssh and ec2scp (lower case -> spelling for messages). */
export const CONNECTION_KEYS = [
  'AddressFamily', 'BatchMode', 'CheckHostIP', 'Compression', 'ConnectTimeout', 'ForwardAgent', 'GlobalKnownHostsFile', 'HashKnownHosts',
  'IdentitiesOnly', 'IdentityFile', 'KbdInteractiveAuthentication', 'LogLevel', 'PasswordAuthentication', 'Port', 'PreferredAuthentications',
  'ProxyCommand', 'ProxyJump', 'PubkeyAuthentication', 'ServerAliveCountMax', 'ServerAliveInterval', 'StrictHostKeyChecking', 'TCPKeepAlive',
  'UpdateHostKeys', 'User', 'UserKnownHostsFile',
];

/** Keys refused on purpose, with the reason (one line each). */
const SPELLING = [...CONNECTION_KEYS, 'ControlMaster', 'ControlPath', 'ControlPersist', 'HostKeyAlias', 'HostName', 'LocalCommand', 'PermitLocalCommand'];

const REFUSED: Record<string, string> = {
  controlmaster: 'ec2ssh shares no connections (each run connects on its own)',
  controlpath: 'ec2ssh shares no connections (each run connects on its own)',
  controlpersist: 'ec2ssh shares no connections (each run connects on its own)',
  hostkeyalias: 'ec2ssh always pins host keys under the instance id',
  hostname: 'name the instance (or its address) as the target instead',
  localcommand: 'ec2ssh runs no local commands',
  permitlocalcommand: 'ec2ssh runs no local commands',
};

/**
 * Applies one connection option to `s` (first value wins, IdentityFile adds). Returns false for a key
 * that is not a connection option (the caller may know it); throws UsageError for a refused key or a
 * bad value.
 */
export function applyConnectionOption(s: SshSettings, key: string, value: string, what: string): boolean {
  const v = value.toLowerCase();
  const name = `${what} ${SPELLING.find((k) => k.toLowerCase() === key) ?? key}`;
  if (what === '-F' && key === 'hostname') {
    s.hostName ??= value;
    return true;
  }
  // In a config file (written for OpenSSH as well) such keys are OpenSSH's business: left alone.
  if (REFUSED[key] && what === '-F') return true;
  if (REFUSED[key]) throw new UsageError(`${name}=${value}: not supported: ${REFUSED[key]}`);
  switch (key) {
    case 'user':
      s.user ??= userName(value, name);
      return true;
    case 'port':
      s.port ??= portNumber(value, name);
      return true;
    case 'identityfile':
      if (v !== 'none') s.identityFiles.push(value);
      return true;
    case 'identitiesonly':
      s.identitiesOnly ??= yesNo(value, name);
      return true;
    case 'userknownhostsfile':
      // OpenSSH reads every file listed and writes the first: ec2ssh reads and writes the first.
      s.knownHostsFile ??= value.split(/\s+/)[0]!;
      return true;
    case 'stricthostkeychecking':
      if (s.hostKeyPolicy) return true;
      if (v === 'yes' || v === 'ask') s.hostKeyPolicy = 'verify';
      else if (v === 'accept-new') s.hostKeyPolicy = 'accept-new';
      else if (v === 'no' || v === 'off') {
        s.hostKeyPolicy = 'accept-new';
        s.notes.push(`${name}=${value} is treated as accept-new: a first key is pinned without verification, a changed key is still refused`);
      } else throw new UsageError(`bad ${name} "${value}": expected yes, ask, accept-new or no`);
      return true;
    case 'connecttimeout':
      s.connectTimeoutMs ??= seconds(value, name);
      return true;
    case 'serveraliveinterval':
      s.keepAliveMs ??= seconds(value, name, true);
      return true;
    case 'serveralivecountmax': {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`bad ${name} "${value}": expected a whole number >= 1`);
      s.keepAliveCountMax ??= Number(value);
      return true;
    }
    case 'batchmode':
      s.batch ??= yesNo(value, name);
      return true;
    case 'compression':
      s.compression ??= yesNo(value, name);
      return true;
    case 'addressfamily':
      if (v !== 'any' && v !== 'inet' && v !== 'inet6') throw new UsageError(`bad ${name} "${value}": expected any, inet or inet6`);
      if (!('family' in s)) s.family = v === 'inet' ? 4 : v === 'inet6' ? 6 : undefined;
      return true;
    case 'proxyjump':
      s.jump ??= jumpHosts(value, name);
      return true;
    case 'proxycommand':
      if (v !== 'none') throw new UsageError(`${name}: not supported: ec2ssh runs no proxy programs; use -J / ProxyJump NAME to go through another instance`);
      return true;
    case 'forwardagent':
      s.forwardAgent ??= yesNo(value, name);
      return true;
    case 'loglevel':
      if (/^(quiet|fatal|error)$/.test(v)) s.logLevel ??= 'quiet';
      else if (v === 'info') s.logLevel ??= 'normal';
      else if (/^(verbose|debug[123]?)$/.test(v)) s.logLevel ??= 'verbose';
      else throw new UsageError(`bad ${name} "${value}": expected QUIET, FATAL, ERROR, INFO, VERBOSE or DEBUG`);
      return true;
    case 'pubkeyauthentication':
      if (!yesNo(value, name)) throw new UsageError(`${name}=no: ec2ssh logs in with keys only`);
      return true;
    case 'passwordauthentication':
    case 'kbdinteractiveauthentication':
      // ec2ssh never sends passwords: "no" is what it does anyway, "yes" is not possible.
      if (yesNo(value, name)) throw new UsageError(`${name}=yes: ec2ssh logs in with keys only (EC2 images allow no passwords)`);
      return true;
    case 'preferredauthentications':
      if (!v.split(',').includes('publickey')) throw new UsageError(`${name}=${value}: ec2ssh logs in with publickey only`);
      return true;
    // Accepted and without effect, because ec2ssh's own rule already covers them:
    case 'checkhostip': // pins are keyed by instance id, not by address
    case 'hashknownhosts': // the pin file's host field is an instance id, not a host name
    case 'globalknownhostsfile': // only ec2term's own pins count
    case 'updatehostkeys': // a pin changes only through --forget-host-key
    case 'tcpkeepalive': // ServerAliveInterval is what detects a dead connection
      return true;
    default:
      return false;
  }
}

/** A command's own keys (ec2ssh's session options): true when it took the key. */
export type OwnOption = (key: string, value: string, what: string) => boolean;

/** Pure: `-o` words then config-file pairs into settings (and the command's own keys). */
export function applyOptions(s: SshSettings, oWords: string[], fileOptions: [string, string][], own?: OwnOption, program = 'ec2ssh'): void {
  for (const o of oWords) {
    const [key, value] = splitOption(o);
    if (applyConnectionOption(s, key, value, '-o')) continue;
    if (own?.(key, value, '-o')) continue;
    throw new UsageError(`-o ${o}: unknown or unsupported option (the ${program} list is in docs/${program === 'ec2scp' ? 'scp' : 'ssh'}.md)`);
  }
  for (const [key, value] of fileOptions) {
    // A config file holds options for OpenSSH too: keys ec2ssh does not know are left to OpenSSH.
    if (applyConnectionOption(s, key, value, '-F')) continue;
    own?.(key, value, '-F');
  }
}

/**
 * Pure: the flags every SSH-using command shares (-4 -6 -A -a -C -J -B -p/-P -i -l, --accept-new,
 * -o, and the -F file's text for `hostWord`) -> settings. Flags come first, so they win.
 */
// Commander hands options over as a loose record.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function connectionSettings(opts: Record<string, any>, hostWord: string | undefined, configText: string | undefined, own?: OwnOption, program = 'ec2ssh'): SshSettings {
  const s = emptySettings();
  if (opts['4'] && opts['6']) throw new UsageError('-4 and -6 cannot be combined');
  if (opts['4']) s.family = 4;
  if (opts['6']) s.family = 6;
  if (opts.A) s.forwardAgent = true;
  if (opts.a) s.forwardAgent = false;
  if (opts.C) s.compression = true;
  if (opts.J !== undefined) s.jump = jumpHosts(String(opts.J), '-J');
  if (opts.login !== undefined) s.user = userName(String(opts.login), '-l');
  if (opts.port !== undefined) s.port = portNumber(String(opts.port), program === 'ec2scp' ? '-P' : '-p');
  if (opts.connectTimeout !== undefined) s.connectTimeoutMs = seconds(String(opts.connectTimeout), '--connect-timeout');
  if (opts.keepalive !== undefined) s.keepAliveMs = seconds(String(opts.keepalive), '--keepalive', true);
  if (opts.acceptNew) s.hostKeyPolicy = 'accept-new';
  if (opts.B) s.batch = true;
  const identities = opts.identity === undefined ? [] : Array.isArray(opts.identity) ? opts.identity : [opts.identity];
  s.identityFiles.push(...identities.map(String));
  const fileOptions = configText !== undefined && hostWord !== undefined ? configOptionsFor(configText, hostWord) : [];
  applyOptions(s, (opts.o ?? []) as string[], fileOptions, own, program);
  return s;
}
