// Pure: ec2ssh's argv (after commander) -> a plan of what to do. No I/O, tested with tables.
import { UsageError } from '../../lib/errors.js';
import type { CommandOptions } from '../types.js';
import { parseForwardSpec, type ForwardSpec } from '../../lib/ssh/forward.js';
import { parseDynamicSpec, type DynamicSpec } from '../../lib/ssh/socks.js';
import {
  connectionSettings,
  portNumber,
  yesNo,
  type HostKeyPolicy,
  type LogLevel,
  type SshSettings,
} from '../../lib/ssh/settings.js';
import { parseAccessOptions, type AccessWish } from '../../lib/access/options.js';
import { parseEscapeChar } from './escapes.js';
import { splitUserTarget, type PtyWish } from './session-words.js';

// Light pieces the fast entry needs too (session-words.ts keeps them off commander and the access code).
export { splitUserTarget, wantsPty, type PtyWish } from './session-words.js';

export { splitOption } from '../../lib/ssh/settings.js';

export type SshMode = 'connect' | 'print' | 'ssh-config' | 'forget' | 'stdio';

/** The connection settings with ec2ssh's defaults filled in. */
export interface ConnectionPlan {
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  knownHostsFile?: string;
  hostKeyPolicy: HostKeyPolicy;
  connectTimeoutMs: number;
  keepAliveMs: number;
  keepAliveCountMax: number;
  /** BatchMode=yes: never ask questions. */
  batch: boolean;
  compression: boolean;
  family?: 4 | 6;
  jump: string[];
  forwardAgent: boolean;
  logLevel?: LogLevel;
  /** One-line notices to print (options mapped to something else). */
  notes: string[];
  /** HostName from the -F file's block. */
  hostName?: string;
}

export interface SshPlan extends ConnectionPlan {
  mode: SshMode;
  /** The instance word (after user@), for every mode but ssh-config. */
  target?: string;
  /** ssh-config: the names to write (empty: every live instance). */
  targets: string[];
  /** The remote command, joined with spaces as ssh does; undefined for a login shell. */
  command?: string;
  pty: PtyWish;
  noCommand: boolean;
  nullStdin: boolean;
  localForwards: ForwardSpec[];
  remoteForwards: ForwardSpec[];
  dynamicForwards: DynamicSpec[];
  /** -W host:port: stdin/stdout become a connection to host:port from the instance. */
  stdioForward?: { host: string; port: number };
  /** -f: go to the background once logged in (and the forwards listen). */
  background: boolean;
  /** -X / -Y (ForwardX11, ForwardX11Trusted). */
  x11: 'none' | 'untrusted' | 'trusted';
  /** -e: the escape character, or null for none. */
  escapeChar: string | null;
  tunnel: boolean;
  /** --ssh-config --dry-run: print the managed file instead of writing it. */
  dryRun: boolean;
  /** --address-type, --via, --eice-id, --instance-connect. */
  access: AccessWish;
}

/** The GraphTerm server port on instances (users connect to 8900). */
export const GRAPHTERM_PORT = 8900;


/** Pure: -W host:port ([v6]:port too). */
export function parseStdioForward(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(spec);
  if (!m) throw new UsageError(`bad -W "${spec}": expected host:port`);
  return { host: (m[1] ?? m[2])!, port: portNumber(m[3]!, '-W port') };
}

/** Keys only a session has (not ec2scp); the rest are connection keys (src/lib/ssh/settings.ts). */
const SESSION_KEYS = ['RequestTTY', 'LocalForward', 'RemoteForward', 'DynamicForward', 'ForwardX11', 'ForwardX11Trusted', 'EscapeChar', 'ExitOnForwardFailure', 'ClearAllForwardings'];

interface SessionOptionTarget {
  pty?: PtyWish;
  localForwards: ForwardSpec[];
  remoteForwards: ForwardSpec[];
  dynamicForwards: DynamicSpec[];
  x11?: SshPlan['x11'];
  escapeChar?: string | null;
  clearForwards?: boolean;
}

function applySessionOption(p: SessionOptionTarget, key: string, value: string, what: string): boolean {
  const name = `${what} ${SESSION_KEYS.find((k) => k.toLowerCase() === key) ?? key}`;
  const v = value.toLowerCase();
  switch (key) {
    case 'requesttty':
      if (!/^(yes|force|no|auto)$/.test(v)) throw new UsageError(`bad ${name} "${value}": expected yes, no, force or auto`);
      p.pty ??= v === 'yes' || v === 'force' ? 'force' : v === 'no' ? 'never' : 'auto';
      return true;
    case 'localforward':
    case 'remoteforward': {
      // ssh_config writes "[bind:]port host:hostport" (a space between the two halves).
      const spec = value.replace(/\s+/, ':');
      if (key === 'localforward') p.localForwards.push(parseForwardSpec(spec, '-L'));
      else p.remoteForwards.push(parseForwardSpec(spec, '-R'));
      return true;
    }
    case 'dynamicforward':
      p.dynamicForwards.push(parseDynamicSpec(value));
      return true;
    case 'forwardx11':
      if (yesNo(value, name)) p.x11 ??= 'untrusted';
      return true;
    case 'forwardx11trusted':
      if (yesNo(value, name) && p.x11 !== 'none') p.x11 = p.x11 ? 'trusted' : p.x11;
      return true;
    case 'escapechar':
      if (p.escapeChar === undefined) p.escapeChar = parseEscapeChar(value);
      return true;
    case 'exitonforwardfailure':
      // ec2ssh always stops when a forward cannot listen: "yes" is what it does.
      yesNo(value, name);
      return true;
    case 'clearallforwardings':
      if (yesNo(value, name)) p.clearForwards = true;
      return true;
    default:
      return false;
  }
}

/** Pure: settings -> the connection plan with ec2ssh's defaults. */
export function withDefaults(s: SshSettings): ConnectionPlan {
  return {
    user: s.user,
    port: s.port,
    identityFiles: s.identityFiles,
    identitiesOnly: s.identitiesOnly ?? false,
    knownHostsFile: s.knownHostsFile,
    hostKeyPolicy: s.hostKeyPolicy ?? 'verify',
    connectTimeoutMs: s.connectTimeoutMs ?? 20_000,
    keepAliveMs: s.keepAliveMs ?? 30_000,
    keepAliveCountMax: s.keepAliveCountMax ?? 3,
    batch: s.batch ?? false,
    compression: s.compression ?? false,
    family: s.family,
    jump: s.jump ?? [],
    forwardAgent: s.forwardAgent ?? false,
    logLevel: s.logLevel,
    notes: s.notes,
    hostName: s.hostName,
  };
}

/** Pure: the host word ec2ssh's args name (for -F Host matching), before anything is parsed. */
export function hostWordOf(args: string[], opts: CommandOptions): string | undefined {
  if (opts.sshConfig) return undefined;
  const first = opts.stdio !== undefined ? String(opts.stdio) : args[0];
  return first === undefined ? undefined : first.slice(first.lastIndexOf('@') + 1);
}

/** Pure: commander's options and arguments (and the -F file's text) -> the plan. Throws UsageError before anything is contacted. */
export function planSsh(args: string[], opts: CommandOptions, configText?: string): SshPlan {
  const session: SessionOptionTarget = {
    pty: opts.t ? 'force' : opts.T ? 'never' : undefined,
    localForwards: (opts.L ?? []).map((s: string) => parseForwardSpec(s, '-L')),
    remoteForwards: (opts.R ?? []).map((s: string) => parseForwardSpec(s, '-R')),
    dynamicForwards: (opts.D ?? []).map((s: string) => parseDynamicSpec(s)),
    x11: opts.x ? 'none' : opts.Y ? 'trusted' : opts.X ? 'untrusted' : undefined,
    escapeChar: opts.e === undefined ? undefined : parseEscapeChar(String(opts.e)),
  };
  if (opts.t && opts.T) throw new UsageError('-t and -T cannot be combined');
  const settings = connectionSettings(opts, hostWordOf(args, opts), configText, (key, value, what) => applySessionOption(session, key, value, what));
  if (session.clearForwards) {
    session.localForwards = [];
    session.remoteForwards = [];
    session.dynamicForwards = [];
  }
  const mode: SshMode = opts.print ? 'print' : opts.sshConfig ? 'ssh-config' : opts.forgetHostKey ? 'forget' : opts.stdio !== undefined ? 'stdio' : 'connect';
  const plan: SshPlan = {
    ...withDefaults(settings),
    mode,
    targets: [],
    pty: session.pty ?? 'auto',
    noCommand: Boolean(opts.N),
    nullStdin: Boolean(opts.n) || Boolean(opts.f),
    localForwards: session.localForwards,
    remoteForwards: session.remoteForwards,
    dynamicForwards: session.dynamicForwards,
    stdioForward: opts.W === undefined ? undefined : parseStdioForward(String(opts.W)),
    background: Boolean(opts.f),
    x11: session.x11 ?? 'none',
    escapeChar: session.escapeChar === undefined ? '~' : session.escapeChar,
    tunnel: Boolean(opts.tunnel),
    dryRun: Boolean(opts.dryRun),
    access: parseAccessOptions(opts),
  };
  const modes = [opts.print && '--print', opts.sshConfig && '--ssh-config', opts.forgetHostKey && '--forget-host-key', opts.stdio !== undefined && '--stdio'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`);
  if (plan.dryRun && mode !== 'ssh-config') throw new UsageError('--dry-run goes with --ssh-config (it prints the file instead of writing it)');
  const forwards = plan.localForwards.length + plan.remoteForwards.length + plan.dynamicForwards.length;

  if (mode === 'ssh-config') {
    if (forwards || plan.tunnel || plan.stdioForward) throw new UsageError('--ssh-config takes only instance names');
    plan.targets = args.map((a) => splitUserTarget(a).target);
    if (args.length === 1) plan.user ??= splitUserTarget(args[0]!).user;
    return plan;
  }
  if (mode === 'stdio') {
    if (args.length > 0) throw new UsageError('--stdio NAME takes no command: it carries the SSH connection itself (for ProxyCommand)');
    const split = splitUserTarget(String(opts.stdio));
    plan.target = split.target;
    return plan;
  }
  const [first, ...rest] = args;
  if (!first) {
    throw new UsageError(`missing TARGET: give an instance name, id, DNS name or address, e.g. ec2ssh lab${mode === 'forget' ? '' : ' uptime'}`);
  }
  const split = splitUserTarget(first);
  // -F: `Host lab` + `HostName i-0abc` (or another name) says which instance the alias means.
  plan.target = settings.hostName?.replace(/%h/g, split.target).replace(/%%/g, '%') ?? split.target;
  plan.user ??= split.user;
  if (rest.length > 0) plan.command = rest.join(' ');
  if (mode === 'forget' && plan.command) throw new UsageError('--forget-host-key takes only the instance name');
  if (plan.noCommand && plan.command) throw new UsageError('-N runs no remote command; drop the command or -N');
  if (plan.stdioForward) {
    if (plan.command) throw new UsageError('-W carries stdin and stdout itself: drop the remote command');
    if (forwards || plan.tunnel) throw new UsageError('-W cannot be combined with -L, -R, -D or --tunnel');
    if (plan.background) throw new UsageError('-W uses stdin and stdout: it cannot go to the background (-f)');
    plan.noCommand = true;
  }
  if (plan.background && !plan.command && !plan.noCommand && !plan.tunnel) {
    throw new UsageError('-f needs a remote command or -N (as OpenSSH: "Cannot fork into background without a command to execute")');
  }
  if (plan.tunnel && !plan.command) plan.noCommand = true;
  if (plan.tunnel) plan.localForwards.push({ bindAddress: '127.0.0.1', bindPort: GRAPHTERM_PORT, host: 'localhost', hostPort: GRAPHTERM_PORT });
  return plan;
}

