// Pure: ec2scp's argv -> what to copy from where to where, and the verdict on the local side once
// run.ts has looked at the disk (checkLocal). No I/O here: names are resolved later (run.ts), files
// are copied by src/lib/transfer.
import { dirname } from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { expandBraces, hasGlob } from '../../lib/transfer/glob.js';
import { parseAccessOptions, type AccessWish } from '../../lib/access/options.js';

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
  /** -l LIMIT: Kbit/s for the whole copy. */
  limitKbits?: number;
  /** -X buffer=N: bytes per SFTP request. */
  chunkSize?: number;
  /** -X nrequests=N: requests in flight per file. */
  requests?: number;
  /** One-line notices (flags accepted for what ec2scp does anyway). */
  notes: string[];
}

export type Direction = 'upload' | 'download' | 'remote-to-remote';

export interface ScpPlan {
  sources: Operand[];
  target: Operand;
  direction: Direction;
  /** Remote hosts to connect to, each once, as written (user@host). */
  hosts: { host: string; user?: string }[];
  options: ScpOptions;
  /** --address-type, --via, --eice-id, --instance-connect. */
  access: AccessWish;
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
  return { kind: 'remote', host, user, path: remoteHomePath(path, raw), raw };
}

/**
 * Pure: a remote path as SFTP takes it. SFTP starts in the login user's home, so `~` and `~/x` (which
 * scp's remote shell expands) are `.` and `x`; `~user/x` names another user's home, which SFTP cannot
 * look up: a usage error.
 */
export function remoteHomePath(path: string, raw: string): string {
  if (path === '' || path === '~' || path === '~/') return '.';
  if (path.startsWith('~/')) return path.slice(2).replace(/^\/+/, '') || '.';
  if (path.startsWith('~')) throw new UsageError(`"${raw}": ~user paths are not supported (SFTP starts in the login user's home: write NAME:path or NAME:/home/user/path)`);
  return path;
}

/** Pure: a remote source with {a,b} groups -> one operand per name (as OpenSSH's sftp client expands). */
export function expandOperand(o: Operand): Operand[] {
  if (o.kind !== 'remote') return [o];
  let paths: string[];
  try {
    paths = expandBraces(o.path);
  } catch (err) {
    throw new UsageError(`"${o.raw}": ${(err as Error).message}`);
  }
  return paths.map((path) => ({ ...o, path }));
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
  const parsed = args.map(parseOperand);
  const target = parsed[parsed.length - 1]!;
  const sources = parsed.slice(0, -1).flatMap(expandOperand);
  const operands = [...sources, target];
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
  const notes: string[] = [];
  if (opts.S !== undefined) throw new UsageError('-S: ec2scp runs no ssh program (it speaks SSH itself); pass ssh options with -o, -F or -J');
  if (opts.D !== undefined) throw new UsageError('-D: ec2scp talks to the instance\'s own SFTP server; a local sftp-server program is not supported');
  if (opts.O) notes.push('-O: ec2scp always uses SFTP (the legacy scp protocol is not implemented); remote names are still checked');
  if (opts.R) notes.push('-R: copies between instances stream through this machine, as with -3 (the instances need not reach each other)');
  const sftp = parseSftpOptions((opts.X ?? []) as string[]);
  return {
    sources,
    target,
    direction,
    hosts,
    access: parseAccessOptions(opts),
    options: {
      recursive: Boolean(opts.recursive),
      preserve: Boolean(opts.preserve),
      quiet: Boolean(opts.quiet),
      resume: Boolean(opts.resume),
      identityFile: identity as string | undefined,
      port: parsePort(opts.port),
      parallel: parseParallel(opts.parallel),
      limitKbits: parseLimit(opts.l),
      ...sftp,
      notes,
    },
  };
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(String(value)) || n < 1) throw new UsageError(`bad -l "${value}": expected a limit in Kbit/s (a whole number >= 1)`);
  return n;
}

/** Pure: scp's `-X buffer=N` / `-X nrequests=N` (sftp_option). */
export function parseSftpOptions(words: string[]): { chunkSize?: number; requests?: number } {
  const out: { chunkSize?: number; requests?: number } = {};
  for (const w of words) {
    const m = /^(buffer|nrequests)=(\d+)$/.exec(w);
    const n = Number(m?.[2]);
    if (!m || n < 1) throw new UsageError(`bad -X "${w}": expected buffer=BYTES or nrequests=N`);
    if (m[1] === 'buffer') {
      if (n > 256 * 1024) throw new UsageError(`bad -X "${w}": at most 262144 bytes per request`);
      out.chunkSize = n;
    } else out.requests = Math.min(n, 1024);
  }
  return out;
}

/** What the local disk says about one path. Gathered by run.ts (stat + access), judged by checkLocal. */
export type LocalFact =
  | { kind: 'missing' }
  /** stat failed for another reason; `reason` is short and human ("Permission denied", "Not a directory"). */
  | { kind: 'error'; reason: string }
  /** `readable`: a file can be opened for reading; a folder can be listed (read + search). */
  | { kind: 'file' | 'dir' | 'other'; readable: boolean };

/** Pure: the folder a local target lands in (`out/` itself; the parent of `out/x.txt`). */
export function localTargetFolder(path: string): string {
  if (!path.endsWith('/')) return dirname(path);
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** Pure: the local paths checkLocal asks about (sources, the -i key, the local target and its folder). */
export function localPathsToCheck(plan: ScpPlan): string[] {
  const paths: string[] = [];
  for (const s of plan.sources) if (s.kind === 'local') paths.push(s.path);
  const id = plan.options.identityFile;
  if (id !== undefined && !id.startsWith('~')) paths.push(id);
  if (plan.target.kind === 'local') {
    if (!plan.target.path.endsWith('/')) paths.push(plan.target.path);
    paths.push(localTargetFolder(plan.target.path));
  }
  return [...new Set(paths)];
}

/** Pure: why a local SOURCE cannot be copied (scp's words), or undefined when it can. */
export function localSourceProblem(path: string, fact: LocalFact, recursive: boolean): string | undefined {
  switch (fact.kind) {
    case 'missing':
      return `${path}: No such file or directory`;
    case 'error':
      return `${path}: ${fact.reason}`;
    case 'other':
      return `${path}: not a regular file`;
    case 'dir':
      if (!recursive) return `${path}: not a regular file (a folder: use -r to copy it)`;
      break;
    case 'file':
      break;
  }
  return fact.readable ? undefined : `${path}: Permission denied`;
}

/**
 * Pure: the local side, judged before any AWS call. Throws UsageError (exit 2, nothing sent, nothing
 * copied) when the -i key is missing, the local target's folder is missing, several sources go to a local
 * target that is not an existing folder, or no source could be copied at all (every source local and
 * missing, unreadable, a folder without -r or not a regular file). When only some local sources are bad,
 * like scp it goes on: returns their problems, and the transfer copies the rest and reports them (exit 1).
 */
export function checkLocal(plan: ScpPlan, fact: (path: string) => LocalFact): string[] {
  const id = plan.options.identityFile;
  if (id !== undefined && !id.startsWith('~')) {
    const f = fact(id);
    if (f.kind === 'missing') throw new UsageError(`-i ${id}: no such key file`);
    if (f.kind === 'error') throw new UsageError(`-i ${id}: ${f.reason}`);
  }
  const problems: string[] = [];
  for (const s of plan.sources) {
    if (s.kind !== 'local') continue;
    const p = localSourceProblem(s.path, fact(s.path), plan.options.recursive);
    if (p !== undefined) problems.push(p);
  }
  if (problems.length > 0 && problems.length === plan.sources.length) {
    const shown = problems.slice(0, 3).join('; ');
    throw new UsageError(problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown);
  }
  if (plan.target.kind === 'local') {
    const t = plan.target.path;
    const folder = localTargetFolder(t);
    const f = fact(folder);
    if (f.kind !== 'dir') {
      throw new UsageError(`${t}: the local folder ${folder} ${f.kind === 'missing' ? 'does not exist' : f.kind === 'error' ? `cannot be used (${f.reason})` : 'is not a folder'}`);
    }
    const tf = t.endsWith('/') ? f : fact(t);
    if (plan.sources.length > 1 && tf.kind !== 'dir') {
      const why = tf.kind === 'missing' ? 'No such directory' : tf.kind === 'error' ? tf.reason : 'Not a directory';
      throw new UsageError(`${t}: ${why} (copying several files needs an existing folder)`);
    }
  }
  return problems;
}
