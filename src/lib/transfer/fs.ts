// Both ends of a copy behind one small interface (TransferFs): the local disk (node:fs) and an
// instance over SFTP (ssh2's SFTPWrapper). Reads and writes are positional, so a copy can keep many
// requests in flight. Errors come back as TransferFsError with a short cause ("No such file or directory").
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import { posix, dirname as localDirname, basename as localBasename, join as localJoin } from 'node:path';
import type { Attributes, SFTPWrapper } from 'ssh2';
import { RoundTrips } from './depth.js';
import { showName } from './names.js';

export interface FileStat {
  size: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  /** Seconds since the epoch. */
  atime: number;
  mtime: number;
  isDirectory: boolean;
  isFile: boolean;
  isSymlink: boolean;
}

export interface DirEntry {
  name: string;
  /** lstat-style: a symlink shows as one. */
  stat: FileStat;
}

export interface SetAttrs {
  mode?: number;
  atime?: number;
  mtime?: number;
}

export interface ReadHandle {
  /** Reads up to `len` bytes at `pos` into buf[off..]; 0 at end of file. */
  read(buf: Buffer, off: number, len: number, pos: number): Promise<number>;
  close(): Promise<void>;
}

export interface WriteHandle {
  write(buf: Buffer, off: number, len: number, pos: number): Promise<void>;
  setAttrs(a: SetAttrs): Promise<void>;
  close(): Promise<void>;
}

export interface TransferFs {
  /** "lab" for an instance; undefined for the local disk. */
  readonly host?: string;
  /** Largest read/write one request should carry (the server's limit). */
  readonly maxChunk: number;
  /** How a path is shown in messages: "lab:logs/a.log" or "logs/a.log", control characters escaped (names.ts). */
  display(path: string): string;
  join(...parts: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  /** Follows symlinks; undefined when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Entries of a folder without `.` and `..`. */
  list(path: string): Promise<DirEntry[]>;
  mkdir(path: string, mode?: number): Promise<void>;
  /** `size`: how much the copy will read (a hint: a pool of channels spreads large files). */
  openRead(path: string, size?: number): Promise<ReadHandle>;
  /** `create`: a new file (fails if it exists); `append`: an existing file, written at any position. */
  openWrite(path: string, how: 'create' | 'append', mode: number, size?: number): Promise<WriteHandle>;
  /** Renames over an existing target. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  setAttrs(path: string, a: SetAttrs): Promise<void>;
  /** True once the connection behind it is gone (every further call would fail). */
  lost(): boolean;
  /** The fastest round trip of a small request so far, in ms (0 for the local disk; undefined: none yet). */
  rttMs(): number | undefined;
}

/** A failed file operation; `cause` is short and human ("Permission denied"). */
export class TransferFsError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** ENOENT, EACCES... or SFTP status names mapped onto them. */
    readonly code?: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'TransferFsError';
  }
}

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
    rttMs: () => 0,
  };
}

// SFTP status codes (draft-ietf-secsh-filexfer-02) -> errno-like codes and scp's wording.
const SFTP_REASONS: Record<number, [string, string]> = {
  2: ['ENOENT', 'No such file or directory'],
  3: ['EACCES', 'Permission denied'],
  4: ['EIO', 'Failure'],
  5: ['EPROTO', 'Bad message'],
  6: ['ENOTCONN', 'No connection'],
  7: ['ECONNRESET', 'Connection lost'],
  8: ['ENOTSUP', 'Operation unsupported'],
};

function fromAttrs(a: Attributes): FileStat {
  const mode = a.mode ?? 0;
  const type = mode & fsc.S_IFMT;
  return {
    size: a.size ?? 0,
    mode,
    atime: a.atime ?? 0,
    mtime: a.mtime ?? 0,
    isDirectory: type === fsc.S_IFDIR,
    isFile: type === fsc.S_IFREG,
    isSymlink: type === fsc.S_IFLNK,
  };
}

/** An instance's files over one SFTP channel. `host` names it in messages. */
export function sftpFs(sftp: SFTPWrapper, host: string): TransferFs {
  let gone = false;
  const markGone = () => {
    gone = true;
  };
  sftp.once('close', markGone);
  sftp.once('end', markGone);
  const display = (p: string) => `${host}:${showName(p)}`;
  // ssh2 keeps a channel's receive window at 2 MiB and tops it up only below 1 MiB, which caps downloads;
  // keep it near 16 MiB instead (a plain SSH window adjust; the server may then send more before we answer).
  const chan = sftp as unknown as {
    incoming?: { window: number };
    outgoing?: { id: number; state?: string };
    _protocol?: { channelWindowAdjust(id: number, amount: number): void };
  };
  const WINDOW = 16 * 1024 * 1024;
  const topUpWindow = () => {
    const inc = chan.incoming;
    if (!inc || !chan.outgoing || !chan._protocol || gone || chan.outgoing.state === 'closed' || inc.window >= WINDOW / 2) return;
    const amount = WINDOW - inc.window;
    inc.window += amount;
    chan._protocol.channelWindowAdjust(chan.outgoing.id, amount);
  };
  const internals = sftp as unknown as { _maxReadLen?: number; _maxWriteLen?: number; _extensions?: Record<string, string> };
  const maxChunk = Math.max(1024, Math.min(internals._maxReadLen ?? 32_768, internals._maxWriteLen ?? 32_768, 256 * 1024));

  const toError = (path: string, err: unknown): TransferFsError => {
    if (err instanceof TransferFsError) return err;
    const e = err as { code?: number | string; message?: string };
    if (typeof e?.code === 'number' && SFTP_REASONS[e.code]) {
      const [code, reason] = SFTP_REASONS[e.code]!;
      // Servers put useful detail in the message ("Failure (ENOSPC)", "No space left on device").
      const detail = e.message && !/^(No such file|Permission denied|Failure)$/i.test(e.message) && e.message !== reason ? ` (${e.message})` : '';
      return new TransferFsError(display(path), `${reason}${detail}`, code);
    }
    if (gone || /No response from server|Channel|not connected|closed/i.test(e?.message ?? '')) {
      gone = true;
      return new TransferFsError(display(path), 'connection lost', 'ECONNRESET');
    }
    return new TransferFsError(display(path), e?.message ?? String(err));
  };
  /** Calls an ssh2 callback-style method and maps its error. */
  const bulk = <T>(path: string, fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      try {
        fn((err, value) => (err ? reject(toError(path, err)) : resolve(value as T)));
      } catch (err) {
        reject(toError(path, err));
      }
    });
  // Requests with no data to speak of are timed: the fastest is the link's round trip (depth.ts).
  const trips = new RoundTrips();
  const call = <T>(path: string, fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T> => trips.time(bulk(path, fn));

  const setAttrsOn = (path: string, a: SetAttrs, apply: (attrs: Partial<Attributes>, cb: (err: unknown) => void) => void) => {
    const attrs: Partial<Attributes> = {};
    if (a.mode !== undefined) attrs.mode = a.mode & 0o7777;
    if (a.atime !== undefined && a.mtime !== undefined) {
      attrs.atime = a.atime;
      attrs.mtime = a.mtime;
    }
    if (Object.keys(attrs).length === 0) return Promise.resolve();
    return call<void>(path, (cb) => apply(attrs, cb));
  };

  return {
    host,
    maxChunk,
    display,
    join: (...parts) => posix.join(...parts),
    dirname: (p) => posix.dirname(p),
    basename: (p) => posix.basename(p),
    async stat(path) {
      try {
        return fromAttrs(await call<Attributes>(path, (cb) => sftp.stat(path, cb)));
      } catch (err) {
        if (err instanceof TransferFsError && err.code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async list(path) {
      const entries = await call<{ filename: string; attrs: Attributes }[]>(path, (cb) => sftp.readdir(path, cb));
      return entries.filter((e) => e.filename !== '.' && e.filename !== '..').map((e) => ({ name: e.filename, stat: fromAttrs(e.attrs) }));
    },
    mkdir: (path, mode = 0o777) => call<void>(path, (cb) => sftp.mkdir(path, { mode }, cb)),
    async openRead(path) {
      const handle = await call<Buffer>(path, (cb) => sftp.open(path, 'r', cb));
      return {
        read: (buf, off, len, pos) => {
          topUpWindow();
          return bulk<number>(path, (cb) => sftp.read(handle, buf, off, len, pos, (err, n) => cb(err, n)));
        },
        close: () => call<void>(path, (cb) => sftp.close(handle, cb)).catch(() => undefined),
      };
    },
    async openWrite(path, how, mode) {
      // 'wx' = WRITE|CREAT|EXCL; 'r+' = READ|WRITE on an existing file.
      const flags = how === 'create' ? 'wx' : 'r+';
      const handle = await call<Buffer>(path, (cb) => sftp.open(path, flags, { mode }, cb));
      return {
        write: (buf, off, len, pos) => bulk<void>(path, (cb) => sftp.write(handle, buf, off, len, pos, (err) => cb(err))),
        setAttrs: (a) => setAttrsOn(path, a, (attrs, cb) => sftp.fsetstat(handle, attrs, cb)),
        close: () => call<void>(path, (cb) => sftp.close(handle, cb)),
      };
    },
    async rename(from, to) {
      // OpenSSH's plain RENAME refuses an existing target; posix-rename@openssh.com replaces it atomically.
      if (internals._extensions?.['posix-rename@openssh.com']) {
        return call<void>(to, (cb) => sftp.ext_openssh_rename(from, to, cb));
      }
      try {
        await call<void>(to, (cb) => sftp.rename(from, to, cb));
      } catch (err) {
        // Servers without the extension: remove the old file, then rename (a brief moment without one).
        if (!(await this.stat(to).catch(() => undefined))) throw err;
        await call<void>(to, (cb) => sftp.unlink(to, cb));
        await call<void>(to, (cb) => sftp.rename(from, to, cb));
      }
    },
    remove: (path) => call<void>(path, (cb) => sftp.unlink(path, cb)),
    setAttrs: (path, a) => setAttrsOn(path, a, (attrs, cb) => sftp.setstat(path, attrs, cb)),
    lost: () => gone,
    rttMs: () => trips.min(),
  };
}
