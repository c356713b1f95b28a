// The local end of a copy: node:fs behind TransferFs, errno codes worded as scp words them.
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import { dirname as localDirname, basename as localBasename, join as localJoin } from 'node:path';
import type { DirEntry, FileStat, TransferFs } from './fs.js';
import { TransferFsError } from './fs-error.js';
import { showName } from './names.js';

const LOCAL_REASONS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
};

function toStat(st: Stats): FileStat {
  return {
    size: st.size,
    mode: st.mode,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
    isDirectory: st.isDirectory(),
    isFile: st.isFile(),
    isSymlink: st.isSymbolicLink(),
  };
}

/** The local disk. */
export function localFs(): TransferFs {
  const fail = (path: string, err: unknown): never => {
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new TransferFsError(showName(path), (code && LOCAL_REASONS[code]) || (err as Error)?.message || String(err), code);
  };
  const wrap = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      return fail(path, err);
    }
  };
  return {
    maxChunk: 1 << 20,
    display: (p) => showName(p),
    join: (...parts) => localJoin(...parts),
    dirname: (p) => localDirname(p),
    basename: (p) => localBasename(p),
    async stat(path) {
      try {
        return toStat(await fsp.stat(path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        return fail(path, err);
      }
    },
    list: (path) =>
      wrap(path, async () => {
        const names = await fsp.readdir(path);
        const out: DirEntry[] = [];
        for (const name of names) {
          const st = await fsp.lstat(localJoin(path, name)).catch(() => undefined);
          if (st) out.push({ name, stat: toStat(st) });
        }
        return out;
      }),
    mkdir: (path, mode = 0o777) => wrap(path, () => fsp.mkdir(path, { mode }).then(() => undefined)),
    openRead: (path) =>
      wrap(path, async () => {
        const fh = await fsp.open(path, 'r');
        return {
          read: async (buf, off, len, pos) => {
            try {
              return (await fh.read(buf, off, len, pos)).bytesRead;
            } catch (err) {
              return fail(path, err);
            }
          },
          close: () => fh.close(),
        };
      }),
    openWrite: (path, how, mode) =>
      wrap(path, async () => {
        const flags = how === 'create' ? fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL : fsc.O_WRONLY;
        const fh = await fsp.open(path, flags, mode);
        return {
          write: async (buf, off, len, pos) => {
            try {
              let done = 0;
              while (done < len) done += (await fh.write(buf, off + done, len - done, pos + done)).bytesWritten;
            } catch (err) {
              fail(path, err);
            }
          },
          setAttrs: (a) =>
            wrap(path, async () => {
              if (a.mode !== undefined) await fh.chmod(a.mode & 0o7777);
              if (a.atime !== undefined && a.mtime !== undefined) await fh.utimes(a.atime, a.mtime);
            }),
          close: () => wrap(path, () => fh.close()),
        };
      }),
    rename: (from, to) => wrap(to, () => fsp.rename(from, to)),
    remove: (path) => wrap(path, () => fsp.unlink(path)),
    setAttrs: (path, a) =>
      wrap(path, async () => {
        if (a.mode !== undefined) await fsp.chmod(path, a.mode & 0o7777);
        if (a.atime !== undefined && a.mtime !== undefined) await fsp.utimes(path, a.atime, a.mtime);
      }),
    lost: () => false,
  };
}
