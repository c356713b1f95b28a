// Pure: ec2ssh's argv (after commander) -> a plan of what to do. No I/O, tested with tables.
import { UsageError } from '../../lib/errors.js';
import type { CommandOptions } from '../types.js';
import { parseForwardSpec, type ForwardSpec } from '../../lib/ssh/forward.js';
import { loginUserProblem } from '../../lib/untrusted.js';
import { parseAccessOptions, type AccessWish } from '../../lib/access/options.js';

export type SshMode = 'connect' | 'print' | 'ssh-config' | 'forget';
export type PtyWish = 'auto' | 'force' | 'never';

export interface SshPlan {
  mode: SshMode;
  /** The instance word (after user@), for every mode but ssh-config. */
  target?: string;
  /** ssh-config: the names to print (empty: every live instance). */
  targets: string[];
  user?: string;
  /** The remote command, joined with spaces as ssh does; undefined for a login shell. */
  command?: string;
  pty: PtyWish;
  noCommand: boolean;
  nullStdin: boolean;
  identityFiles: string[];
  port?: number;
  localForwards: ForwardSpec[];
  remoteForwards: ForwardSpec[];
  tunnel: boolean;
  hostKeyPolicy: 'verify' | 'accept-new';
  connectTimeoutMs: number;
  keepAliveMs: number;
  keepAliveCountMax: number;
  /** BatchMode=yes: never ask questions. */
  batch: boolean;
  /** --address-type, --via, --eice-id, --instance-connect. */
  access: AccessWish;
}

/** The GraphTerm server port on instances (users connect to 8900). */
export const GRAPHTERM_PORT = 8900;

function seconds(value: string, what: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || (n === 0 && !allowZero)) {
    throw new UsageError(`bad ${what} "${value}": expected a number of seconds${allowZero ? ' (0 turns it off)' : ''}`);
  }
  return Math.round(n * 1000);
}

function portNumber(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) throw new UsageError(`bad ${what} "${value}": expected a port number 1-65535`);
  return n;
}

function userName(value: string, what: string): string {
  const problem = loginUserProblem(value);
  if (problem) throw new UsageError(`bad ${what} ${JSON.stringify(value)}: ${problem}`);
  return value;
}

/** Pure: splits "user@target" at the last '@'. */
export function splitUserTarget(word: string): { user?: string; target: string } {
  const at = word.lastIndexOf('@');
  if (at < 0) return { target: word };
  const user = word.slice(0, at);
  const target = word.slice(at + 1);
  if (!user || !target) throw new UsageError(`bad target "${word}": expected [user@]NAME`);
  if (loginUserProblem(user)) throw new UsageError(`bad user name ${JSON.stringify(user)} in ${JSON.stringify(word)}: ${loginUserProblem(user)}`);
  return { user, target };
}

const SUPPORTED_O = ['ConnectTimeout', 'ServerAliveInterval', 'ServerAliveCountMax', 'StrictHostKeyChecking', 'User', 'Port', 'IdentityFile', 'BatchMode', 'RequestTTY'];

/** Pure: `-o Key=Value` / `-o "Key Value"` -> [key (lower case), value]. */
export function splitOption(text: string): [string, string] {
  const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*?)\s*$/.exec(text);
  if (!m || m[2] === '') throw new UsageError(`bad -o "${text}": expected Key=Value (supported: ${SUPPORTED_O.join(', ')})`);
  return [m[1]!.toLowerCase(), m[2]!];
}

/** Pure: commander's options and arguments -> the plan. Throws UsageError before anything is contacted. */
export function planSsh(args: string[], opts: CommandOptions): SshPlan {
  const plan: SshPlan = {
    mode: opts.print ? 'print' : opts.sshConfig ? 'ssh-config' : opts.forgetHostKey ? 'forget' : 'connect',
    targets: [],
    pty: opts.t ? 'force' : opts.T ? 'never' : 'auto',
    noCommand: Boolean(opts.N),
    nullStdin: Boolean(opts.n),
    identityFiles: [...(opts.identity ?? [])],
    localForwards: (opts.L ?? []).map((s: string) => parseForwardSpec(s, '-L')),
    remoteForwards: (opts.R ?? []).map((s: string) => parseForwardSpec(s, '-R')),
    tunnel: Boolean(opts.tunnel),
    hostKeyPolicy: opts.acceptNew ? 'accept-new' : 'verify',
    connectTimeoutMs: 20_000,
    keepAliveMs: 30_000,
    keepAliveCountMax: 3,
    batch: false,
    access: parseAccessOptions(opts),
    user: opts.login === undefined ? undefined : userName(String(opts.login), '-l'),
  };
  const modes = [opts.print && '--print', opts.sshConfig && '--ssh-config', opts.forgetHostKey && '--forget-host-key'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`);
  if (opts.t && opts.T) throw new UsageError('-t and -T cannot be combined');
  if (opts.port !== undefined) plan.port = portNumber(String(opts.port), '-p');
  if (opts.connectTimeout !== undefined) plan.connectTimeoutMs = seconds(String(opts.connectTimeout), '--connect-timeout');
  if (opts.keepalive !== undefined) plan.keepAliveMs = seconds(String(opts.keepalive), '--keepalive', true);

  for (const o of (opts.o ?? []) as string[]) {
    const [key, value] = splitOption(o);
    switch (key) {
      case 'connecttimeout':
        plan.connectTimeoutMs = seconds(value, '-o ConnectTimeout');
        break;
      case 'serveraliveinterval':
        plan.keepAliveMs = seconds(value, '-o ServerAliveInterval', true);
        break;
      case 'serveralivecountmax': {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n < 1) throw new UsageError(`bad -o ServerAliveCountMax "${value}": expected a whole number >= 1`);
        plan.keepAliveCountMax = n;
        break;
      }
      case 'stricthostkeychecking': {
        const v = value.toLowerCase();
        if (v === 'accept-new') plan.hostKeyPolicy = 'accept-new';
        else if (v === 'yes') plan.hostKeyPolicy = 'verify';
        else throw new UsageError(`-o StrictHostKeyChecking=${value} is not supported: ec2ssh always verifies host keys ("yes"); "accept-new" (= --accept-new) trusts a first key unverified`);
        break;
      }
      case 'user':
        plan.user ??= userName(value, '-o User');
        break;
      case 'port':
        plan.port ??= portNumber(value, '-o Port');
        break;
      case 'identityfile':
        plan.identityFiles.push(value);
        break;
      case 'batchmode':
        plan.batch = /^(yes|true)$/i.test(value);
        break;
      case 'requesttty': {
        const v = value.toLowerCase();
        plan.pty = v === 'yes' || v === 'force' ? 'force' : v === 'no' ? 'never' : 'auto';
        break;
      }
      default:
        throw new UsageError(`-o ${o}: option not supported by ec2ssh (supported: ${SUPPORTED_O.join(', ')})`);
    }
  }

  if (plan.mode === 'ssh-config') {
    if (plan.localForwards.length || plan.remoteForwards.length || plan.tunnel) throw new UsageError('--ssh-config takes only instance names');
    plan.targets = args.map((a) => splitUserTarget(a).target);
    if (args.length === 1) plan.user ??= splitUserTarget(args[0]!).user;
    return plan;
  }
  const [first, ...rest] = args;
  if (!first) {
    throw new UsageError(`missing TARGET: give an instance name, id, DNS name or address, e.g. ec2ssh lab${plan.mode === 'forget' ? '' : ' uptime'}`);
  }
  const split = splitUserTarget(first);
  plan.target = split.target;
  plan.user ??= split.user;
  if (rest.length > 0) plan.command = rest.join(' ');
  if (plan.mode === 'forget' && plan.command) throw new UsageError('--forget-host-key takes only the instance name');
  if (plan.noCommand && plan.command) throw new UsageError('-N runs no remote command; drop the command or -N');
  if (plan.tunnel && !plan.command) plan.noCommand = true;
  if (plan.tunnel) plan.localForwards.push({ bindAddress: '127.0.0.1', bindPort: GRAPHTERM_PORT, host: 'localhost', hostPort: GRAPHTERM_PORT });
  return plan;
}

/** Pure: allocate a PTY? Login shells get one when stdin is a terminal; commands only with -t. */
export function wantsPty(plan: Pick<SshPlan, 'pty' | 'command'>, stdinIsTTY: boolean): boolean {
  if (plan.pty === 'force') return true;
  if (plan.pty === 'never') return false;
  return plan.command === undefined && stdinIsTTY;
}
