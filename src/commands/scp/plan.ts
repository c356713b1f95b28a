// Pure: ec2scp's argv -> what to copy from where to where. No I/O: names are resolved and paths
// are looked at later (run.ts, src/lib/transfer).
import { UsageError } from '../../lib/errors.js';
import { hasGlob } from '../../lib/transfer/glob.js';

/** One SOURCE or TARGET operand: a local path, or `[user@]NAME:path` on an instance. */
export type Operand =
  | { kind: 'local'; path: string; raw: string }
  | { kind: 'remote'; host: string; user?: string; path: string; raw: string };

export interface ScpOptions {
  recursive: boolean;
  preserve: boolean;
  quiet: boolean;
  resume: boolean;
  identityFile?: string;
  port?: number;
  /** Files copied at the same time. */
  parallel: number;
}

export type Direction = 'upload' | 'download' | 'remote-to-remote';

export interface ScpPlan {
  sources: Operand[];
  target: Operand;
  direction: Direction;
  /** Remote hosts to connect to, each once, as written (user@host). */
  hosts: { host: string; user?: string }[];
  options: ScpOptions;
}

/**
 * Pure: splits an operand like scp does. It is remote when a `:` comes before any `/`, and the part
 * before it is a plausible `[user@]host` (so `./a:b`, `/x:y` and `a/b:c` stay local). A bare name with no
 * colon is local. `host:` alone means the remote home folder.
 */
export function parseOperand(raw: string): Operand {
  if (raw === '') throw new UsageError('empty file name');
  const colon = raw.indexOf(':');
  const slash = raw.indexOf('/');
  if (colon <= 0 || (slash !== -1 && slash < colon)) return { kind: 'local', path: raw, raw };
  const left = raw.slice(0, colon);
  const path = raw.slice(colon + 1);
  const at = left.lastIndexOf('@');
  const user = at === -1 ? undefined : left.slice(0, at);
  const host = at === -1 ? left : left.slice(at + 1);
  if (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user)) {
    throw new UsageError(`bad user name "${user}" in "${raw}"`);
  }
  if (host === '') throw new UsageError(`missing instance name before ":" in "${raw}"`);
  // Not a host (spaces, glob characters...): scp would treat such a word as a host and fail; we call it local.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) return { kind: 'local', path: raw, raw };
  return { kind: 'remote', host, user, path: path === '' ? '.' : path, raw };
}

/** Pure: one line naming an operand for messages ("lab:logs/a.log", "./x"). */
export function describeOperand(o: Operand): string {
  return o.raw;
}

function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535 || !/^\d+$/.test(String(value))) {
    throw new UsageError(`bad port "${value}": expected 1-65535`);
  }
  return n;
}

function parseParallel(value: unknown): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`bad --parallel "${value}": expected 1-64`);
  return n;
}

/** Pure: operands and commander's options -> a plan, or UsageError (exit 2) before any AWS call. */
export function planScp(args: string[], opts: Record<string, unknown>): ScpPlan {
  if (args.length < 2) {
    throw new UsageError(args.length === 0 ? 'missing SOURCE and TARGET' : 'missing TARGET (ec2scp SOURCE... TARGET)');
  }
  const operands = args.map(parseOperand);
  const target = operands[operands.length - 1]!;
  const sources = operands.slice(0, -1);
  const anyRemoteSource = sources.some((s) => s.kind === 'remote');
  if (target.kind === 'local' && !anyRemoteSource) {
    throw new UsageError('nothing remote to copy: write the instance side as NAME:path (use cp for local copies)');
  }
  // Mixed sources (local and remote) into a remote target count as remote-to-remote: both kinds stream.
  const direction: Direction = target.kind === 'local' ? 'download' : anyRemoteSource ? 'remote-to-remote' : 'upload';
  if (target.kind === 'remote' && hasGlob(target.path)) {
    throw new UsageError(`the target "${target.raw}" has wildcards: wildcards work on the source side only`);
  }
  const hosts: { host: string; user?: string }[] = [];
  for (const o of operands) {
    if (o.kind !== 'remote') continue;
    if (!hosts.some((h) => h.host === o.host && h.user === o.user)) hosts.push({ host: o.host, user: o.user });
  }
  const identity = opts.identity ?? opts.i;
  if (identity !== undefined && (typeof identity !== 'string' || identity === '')) throw new UsageError('-i needs a key file');
  return {
    sources,
    target,
    direction,
    hosts,
    options: {
      recursive: Boolean(opts.recursive),
      preserve: Boolean(opts.preserve),
      quiet: Boolean(opts.quiet),
      resume: Boolean(opts.resume),
      identityFile: identity as string | undefined,
      port: parsePort(opts.port),
      parallel: parseParallel(opts.parallel),
    },
  };
}
