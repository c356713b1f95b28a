// What a copy will do, before any byte moves: the sources (remote wildcards expanded), where each lands
// (scp's rules), and -r folders walked, made on the target as the walk goes. One source's failure is
// reported through `fail` and the rest go on.
import { CancelledError } from '../errors.js';
import { ShrankError } from './copy.js';
import type { FileJob, TransferOptions, TransferSource } from './engine.js';
import { TransferConnectionLost, TransferFsError, type FileStat, type TransferFs } from './fs.js';
import { copiedMode, currentUmask, type ModeRule } from './modes.js';
import { MAX_DEPTH, UntrustedServerError } from './names.js';
import { expandSource, trimSlashes, usableEntries } from './sources.js';

/** A failure as the line the user reads. */
export function message(err: unknown): string {
  if (err instanceof TransferFsError || err instanceof ShrankError) return err.message;
  return (err as Error)?.message ?? String(err);
}

export interface DirJob {
  fs: TransferFs;
  path: string;
  stat: FileStat;
  /** Its final mode bits (modes.ts). */
  mode: number;
}

export interface CopyJobs {
  /** The files to copy, in walk order. */
  jobs: FileJob[];
  /** The folders made or used on the target (for -p, set last). */
  dirs: DirJob[];
}

/** Expands, places and walks `sources` for a copy to `target`. Throws only for a lost connection or a lying server. */
export async function planJobs(sources: TransferSource[], target: TransferSource, o: TransferOptions, fail: (msg: string) => void): Promise<CopyJobs> {
  const ev = o.events ?? {};
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
  return { jobs, dirs };
}
