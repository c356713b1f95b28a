// ec2scp's transfer engine: expands sources (remote globs, -r folders), decides where each file lands
// (scp's rules), then copies files several at a time. Each file is written to a temporary name in the
// target folder (`.NAME.ec2scp-XXXX.part`) and renamed over the real name only when complete, so an
// interrupted copy never leaves a truncated file under the real name. Either side may be local or SFTP.
import { randomBytes } from 'node:crypto';
import { CancelledError } from '../errors.js';
import { copyRange, readFully, ShrankError } from './copy.js';
import { inFlightFor } from './depth.js';
import { TransferFsError, type FileStat, type ReadHandle, type TransferFs, type WriteHandle } from './fs.js';
import { hasGlob, matchNames, unescapeGlob } from './glob.js';
import { copiedMode, currentUmask, type ModeRule } from './modes.js';
import { MAX_DEPTH, nameProblem, refusedName, UntrustedServerError } from './names.js';
import { count } from '../words.js';

export interface TransferSource {
  fs: TransferFs;
  path: string;
}

export interface TransferOptions {
  recursive?: boolean;
  /** Keep modes and access/modification times (-p). */
  preserve?: boolean;
  /** Continue partial files (a leftover `.part`, or a shorter file under the real name). */
  resume?: boolean;
  /** How far before a partial file's end --resume restarts (default: past any in-flight window). */
  resumeBackoff?: number;
  /** Files copied at once (default 4). */
  parallel?: number;
  /** Bytes per request (default: the server's limit, at most 256 KiB). */
  chunkSize?: number;
  /** Bytes in flight per file (default: from the link's round trip, depth.ts; 4-16 MiB): slots = inFlight / chunk. */
  inFlight?: number;
  /** Applied to copies without -p (default: this process's umask). */
  umask?: number;
  signal?: AbortSignal;
  events?: TransferEvents;
  /** -l: waits until `n` more bytes may go (shared by every file: one limit for the whole copy). */
  throttle?: (n: number) => Promise<void>;
}

export interface FileJob {
  src: TransferFs;
  srcPath: string;
  dst: TransferFs;
  dstPath: string;
  stat: FileStat;
  /** The copy's final mode bits (modes.ts). */
  mode: number;
}

export interface TransferEvents {
  /** Sizes are known: the copy is about to start. */
  planned?(files: number, bytes: number): void;
  fileStart?(job: FileJob): void;
  bytes?(n: number): void;
  fileDone?(job: FileJob): void;
  /** One file or source failed; the rest go on. The message names the file and the cause. */
  failed?(message: string): void;
  /** Something worth saying that is not a failure (resumed, skipped). */
  notice?(message: string): void;
}

export interface TransferSummary {
  files: number;
  bytes: number;
  /** Bytes already present and kept by --resume. */
  resumedBytes: number;
  seconds: number;
  failed: string[];
}

/** Raised when the connection under a TransferFs is gone: the whole copy stops (exit 255). */
export class TransferConnectionLost extends Error {
  constructor(readonly where: string) {
    super(`connection to ${where} lost`);
    this.name = 'TransferConnectionLost';
  }
}

const PART_RE = /^\.(.+)\.ec2scp-[0-9a-f]{4}\.part$/;

/** Pure: the temporary name an upload or download is written under until it is complete. */
export function partName(base: string, tag = randomBytes(2).toString('hex')): string {
  return `.${base}.ec2scp-${tag}.part`;
}

/** Pure: is `name` one of our temporary files for `base`? */
export function isPartOf(name: string, base: string): boolean {
  const m = PART_RE.exec(name);
  return m !== null && m[1] === base;
}

/** Pure: strips trailing slashes (but keeps "/"), so `dir/` copies as `dir` like scp does. */
export function trimSlashes(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? (p.startsWith('/') ? '/' : '.') : t;
}

function message(err: unknown): string {
  if (err instanceof TransferFsError || err instanceof ShrankError) return err.message;
  return (err as Error)?.message ?? String(err);
}

/**
 * The entries of a folder listing that may be used as path components. From a server every name is
 * checked (names.ts): one no folder can hold stops the copy (UntrustedServerError); one unsafe to write
 * is reported through `refuse` and left out. Local listings are the user's own and pass as they are.
 */
export function usableEntries<T extends { name: string }>(fs: TransferFs, dir: string, entries: T[], refuse: (msg: string) => void): T[] {
  if (fs.host === undefined) return entries;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const e of entries) {
    const problem = seen.has(e.name) ? { reason: 'listed twice', lie: true } : nameProblem(e.name);
    seen.add(e.name);
    if (problem?.lie) throw new UntrustedServerError(fs.display(dir), e.name, problem.reason);
    if (problem) refuse(refusedName(fs.display(fs.join(dir, e.name)), problem.reason));
    else out.push(e);
  }
  return out;
}

/**
 * Expands one source: plain paths as they are, remote wildcards segment by segment over readdir. The
 * client matches the pattern itself, so a name the server lists but the pattern does not match is never used.
 */
export async function expandSource(fs: TransferFs, path: string, refuse: (msg: string) => void = () => {}): Promise<string[]> {
  if (fs.host === undefined) return [path];
  const segments = path.split('/');
  if (!segments.some(hasGlob)) return [segments.map(unescapeGlob).join('/')];
  let bases = [path.startsWith('/') ? '/' : ''];
  for (const [index, seg] of segments.entries()) {
    if (seg === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlob(seg)) {
        next.push(base === '' ? unescapeGlob(seg) : fs.join(base, unescapeGlob(seg)));
        continue;
      }
      const dir = base === '' ? '.' : base;
      const entries = await fs.list(dir).catch((err) => {
        if (err instanceof TransferFsError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return [];
        throw err;
      });
      usableEntries(fs, dir, entries, () => {}); // a lie anywhere in the listing stops the copy
      // Before the last segment (`proj/*/*.log`) only folders (or links, perhaps to one) lead on, as in the shell.
      const leads = segments.slice(index + 1).some((x) => x !== '') ? entries.filter((e) => e.stat.isDirectory || e.stat.isSymlink) : entries;
      const wanted = matchNames(leads.map((e) => e.name), seg).map((name) => ({ name }));
      for (const { name } of usableEntries(fs, dir, wanted, refuse)) next.push(base === '' ? name : fs.join(base, name));
    }
    bases = next;
    if (bases.length === 0) break;
  }
  return bases;
}

interface DirJob {
  fs: TransferFs;
  path: string;
  stat: FileStat;
  /** Its final mode bits (modes.ts). */
  mode: number;
}

/** Copies `sources` to `target` like scp. Never throws for one file's failure: see summary.failed. */
export async function transfer(sources: TransferSource[], target: TransferSource, o: TransferOptions = {}): Promise<TransferSummary> {
  const started = Date.now();
  const ev = o.events ?? {};
  const failed: string[] = [];
  const fail = (msg: string) => {
    failed.push(msg);
    ev.failed?.(msg);
  };
  const checkLost = (fs: TransferFs) => {
    if (fs.lost()) throw new TransferConnectionLost(fs.host ?? 'the local disk');
  };
  const umask = o.umask ?? currentUmask();
  const modeRule = (fs: TransferFs): ModeRule => ({ preserve: Boolean(o.preserve), fromServer: fs.host !== undefined, umask });
  const checkAbort = () => {
    if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new CancelledError('interrupted');
  };

  // 1. Sources, with remote wildcards expanded.
  const expanded: { fs: TransferFs; path: string; stat: FileStat }[] = [];
  for (const s of sources) {
    checkAbort();
    let paths: string[];
    try {
      paths = await expandSource(s.fs, s.path, fail);
    } catch (err) {
      if (err instanceof UntrustedServerError) throw err;
      checkLost(s.fs);
      fail(message(err));
      continue;
    }
    if (paths.length === 0) {
      fail(`${s.fs.display(s.path)}: No such file or directory (no match)`);
      continue;
    }
    for (const p of paths) {
      try {
        const st = await s.fs.stat(p);
        if (!st) fail(`${s.fs.display(p)}: No such file or directory`);
        else if (st.isDirectory && !o.recursive) fail(`${s.fs.display(p)}: not a regular file (a folder: use -r to copy it)`);
        else if (!st.isDirectory && !st.isFile) fail(`${s.fs.display(p)}: not a regular file`);
        else expanded.push({ fs: s.fs, path: trimSlashes(p), stat: st });
      } catch (err) {
        checkLost(s.fs);
        fail(message(err));
      }
    }
  }

  // 2. Where things land: into the target folder, or as the target name for a single source.
  const dst = target.fs;
  const targetPath = target.path;
  const targetStat = await dst.stat(targetPath);
  const intoDir = targetStat?.isDirectory ?? false;
  const jobs: FileJob[] = [];
  const dirs: DirJob[] = [];
  const several = sources.length > 1 || expanded.length > 1;
  if (!intoDir && expanded.length > 0) {
    if (several) {
      fail(`${dst.display(targetPath)}: ${targetStat ? 'Not a directory' : 'No such directory'} (copying several files needs an existing folder)`);
      expanded.length = 0;
    } else if (targetStat && expanded[0]!.stat.isDirectory) {
      fail(`${dst.display(targetPath)}: Not a directory (cannot copy folder ${expanded[0]!.fs.display(expanded[0]!.path)} onto a file)`);
      expanded.length = 0;
    } else if (!targetStat && /\/$/.test(targetPath) && !expanded[0]!.stat.isDirectory) {
      fail(`${dst.display(targetPath)}: No such directory`);
      expanded.length = 0;
    }
  }

  // 3. Walk folders (-r), creating them on the target as we go.
  // Every name below `to` comes from a listing (usableEntries), so nothing lands outside it. An existing
  // folder there is used as it is, a symbolic link to one too (as scp does): the copy never makes links.
  const walk = async (fs: TransferFs, path: string, st: FileStat, to: string, depth = 0): Promise<void> => {
    checkAbort();
    const mode = copiedMode(st.mode, modeRule(fs));
    if (!st.isDirectory) {
      jobs.push({ src: fs, srcPath: path, dst, dstPath: to, stat: st, mode });
      return;
    }
    if (depth > MAX_DEPTH) {
      fail(`${fs.display(path)}: more than ${MAX_DEPTH} folders deep; not copied`);
      return;
    }
    try {
      const existing = await dst.stat(to);
      if (!existing) await dst.mkdir(to, o.preserve ? mode : mode | 0o700);
      else if (!existing.isDirectory) throw new TransferFsError(dst.display(to), 'Not a directory');
    } catch (err) {
      checkLost(dst);
      fail(message(err));
      return;
    }
    dirs.push({ fs: dst, path: to, stat: st, mode });
    let entries;
    try {
      entries = await fs.list(path);
    } catch (err) {
      checkLost(fs);
      fail(message(err));
      return;
    }
    entries = usableEntries(fs, path, entries, fail);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = fs.join(path, e.name);
      let cst = e.stat;
      if (cst.isSymlink) {
        // Like scp -r: follow links to files; links to folders are skipped (they may loop).
        const target = await fs.stat(child).catch(() => undefined);
        if (!target) {
          fail(`${fs.display(child)}: broken symbolic link`);
          continue;
        }
        if (target.isDirectory) {
          ev.notice?.(`${fs.display(child)}: skipped (symbolic link to a folder)`);
          continue;
        }
        cst = target;
      }
      if (!cst.isDirectory && !cst.isFile) {
        ev.notice?.(`${fs.display(child)}: skipped (not a regular file)`);
        continue;
      }
      await walk(fs, child, cst, dst.join(to, e.name), depth + 1);
    }
  };
  for (const s of expanded) {
    const name = s.fs.basename(s.path);
    // `lab:x/..` into a folder would land beside it, not in it (scp refuses ".." too).
    if (intoDir && name === '..') {
      fail(`${s.fs.display(s.path)}: named "..", it would land outside ${dst.display(targetPath)}; not copied`);
      continue;
    }
    await walk(s.fs, s.path, s.stat, intoDir ? dst.join(targetPath, name) : targetPath);
  }

  // 4. Copy files, several at a time.
  const totalBytes = jobs.reduce((n, j) => n + j.stat.size, 0);
  ev.planned?.(jobs.length, totalBytes);
  let files = 0;
  let bytes = 0;
  let resumedBytes = 0;
  let lost: TransferConnectionLost | undefined;
  let queue = 0;
  const runOne = async () => {
    while (queue < jobs.length && !lost) {
      checkAbort();
      const job = jobs[queue++]!;
      ev.fileStart?.(job);
      try {
        const r = await copyFile(job, o, (n) => {
          bytes += n;
          ev.bytes?.(n);
        });
        resumedBytes += r.resumed;
        files++;
        ev.fileDone?.(job);
      } catch (err) {
        if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : err;
        if (job.src.lost() || job.dst.lost()) {
          lost = new TransferConnectionLost((job.src.lost() ? job.src.host : job.dst.host) ?? 'the instance');
          throw lost;
        }
        fail(message(err));
      }
    }
  };
  const parallel = Math.max(1, o.parallel ?? 4);
  const results = await Promise.allSettled(Array.from({ length: Math.min(parallel, Math.max(1, jobs.length)) }, runOne));
  const bad = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (bad) throw bad.reason;

  // 5. -p on folders last (writing files into them changed their times), deepest first.
  if (o.preserve) {
    for (const d of [...dirs].reverse()) {
      await d.fs.setAttrs(d.path, { mode: d.mode, atime: d.stat.atime, mtime: d.stat.mtime }).catch((err) => fail(message(err)));
    }
  }
  return { files, bytes, resumedBytes, seconds: (Date.now() - started) / 1000, failed };
}

/** How much of the end of an existing partial file is compared with the source before resuming. */
const RESUME_CHECK_BYTES = 1 << 20;

interface Partial {
  path: string;
  size: number;
  /** The partial file is the target itself (appended in place), not one of our .part files. */
  inPlace: boolean;
}

async function findPartial(job: FileJob): Promise<Partial | undefined> {
  const { dst, dstPath } = job;
  const dir = dst.dirname(dstPath);
  const base = dst.basename(dstPath);
  // The listing is lstat-like: a symbolic link (to a file anywhere) is never appended to, only replaced.
  const listing = await dst.list(dir).catch(() => []);
  const parts = listing
    .filter((e) => e.stat.isFile && isPartOf(e.name, base) && e.stat.size <= job.stat.size)
    .sort((a, b) => b.stat.size - a.stat.size);
  if (parts[0]) return { path: dst.join(dir, parts[0].name), size: parts[0].stat.size, inPlace: false };
  const existing = listing.find((e) => e.name === base)?.stat;
  if (existing?.isFile && existing.size <= job.stat.size) return { path: dstPath, size: existing.size, inPlace: true };
  return undefined;
}

/** Does the end of the partial file match the source at the same offsets? */
async function tailMatches(src: ReadHandle, job: FileJob, partial: Partial, resumeAt: number): Promise<boolean> {
  if (resumeAt === 0) return true;
  const len = Math.min(RESUME_CHECK_BYTES, resumeAt);
  const pos = resumeAt - len;
  const r = await job.dst.openRead(partial.path);
  try {
    const [a, b] = await Promise.all([readFully(src, len, pos), readFully(r, len, pos)]);
    return a.length === len && a.equals(b);
  } finally {
    await r.close();
  }
}

/** More than the most a copy keeps in flight (64 slots of at most 256 KiB; MAX_IN_FLIGHT in depth.ts). */
export const RESUME_BACKOFF_BYTES = 17 * 1024 * 1024;

/** Pure: the round trip between two sides (the slower one's; undefined when either is unmeasured). */
export function linkRtt(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

function slotsFor(chunk: number, o: TransferOptions, job: FileJob): number {
  const inFlight = o.inFlight ?? inFlightFor(linkRtt(job.src.rttMs(), job.dst.rttMs()));
  return Math.max(2, Math.min(64, Math.round(inFlight / chunk)));
}

/** Copies one file through a temporary name (or appends to a partial one with --resume). */
async function copyFile(job: FileJob, o: TransferOptions, onBytes: (n: number) => void): Promise<{ resumed: number }> {
  const { src, dst, stat } = job;
  const chunk = Math.max(1024, Math.min(o.chunkSize ?? Infinity, src.maxChunk, dst.maxChunk));
  const size = stat.size;
  const srcLabel = src.display(job.srcPath);
  const reader = await src.openRead(job.srcPath, size);
  let writer: WriteHandle | undefined;
  let tmp: string | undefined;
  let keepTmp = false;
  try {
    let start = 0;
    let partial: Partial | undefined;
    if (o.resume) {
      partial = await findPartial(job);
      // Parallel writers finish out of order: a copy killed midway can leave holes anywhere in its
      // last in-flight window, so resume before that window and check what lies just below it.
      if (partial) partial.size = Math.max(0, partial.size - (o.resumeBackoff ?? RESUME_BACKOFF_BYTES));
      if (partial && !(await tailMatches(reader, job, partial, partial.size))) {
        o.events?.notice?.(`${dst.display(partial.path)}: differs from ${srcLabel}; copying from the start`);
        if (!partial.inPlace) await dst.remove(partial.path).catch(() => undefined);
        partial = undefined;
      }
    }
    if (partial) {
      start = partial.size;
      o.events?.bytes?.(start);
      o.events?.notice?.(
        start === size ? `${dst.display(job.dstPath)}: already complete` : `${dst.display(job.dstPath)}: resuming after ${start} of ${count(size, 'byte')}`,
      );
      tmp = partial.path;
      writer = await dst.openWrite(partial.path, 'append', 0o600, size);
    } else {
      tmp = dst.join(dst.dirname(job.dstPath), partName(dst.basename(job.dstPath)));
      // Owner read/write while copying (a read-only source must still be resumable); final mode set below.
      writer = await dst.openWrite(tmp, 'create', (job.mode & 0o777) | 0o600, size);
    }
    // From here a failure with --resume keeps the partial file for the next run.
    keepTmp = Boolean(o.resume);
    await copyRange(reader, writer, { start, end: size, chunk, slots: slotsFor(chunk, o, job), signal: o.signal, onBytes, sourceLabel: srcLabel, throttle: o.throttle });
    if (o.preserve) await writer.setAttrs({ mode: job.mode, atime: stat.atime, mtime: stat.mtime });
    else if (!partial?.inPlace && (job.mode & 0o600) !== 0o600) await writer.setAttrs({ mode: job.mode });
    await writer.close();
    writer = undefined;
    const written = await dst.stat(tmp);
    if (!written || written.size !== size) {
      keepTmp = false;
      throw new TransferFsError(dst.display(job.dstPath), `size check failed: ${written?.size ?? 'nothing'} of ${count(size, 'byte')} written`);
    }
    if (tmp !== job.dstPath) await dst.rename(tmp, job.dstPath);
    tmp = undefined;
    return { resumed: start };
  } finally {
    await writer?.close().catch(() => undefined);
    await reader.close().catch(() => undefined);
    if (tmp && tmp !== job.dstPath && !keepTmp && !dst.lost()) await dst.remove(tmp).catch(() => undefined);
  }
}
