// An instance's end of a copy: one SFTP channel (ssh2's SFTPWrapper) behind TransferFs, SFTP status
// codes mapped onto errno names, a lost channel noticed.
import { constants as fsc } from 'node:fs';
import { posix } from 'node:path';
import type { Attributes, SFTPWrapper } from 'ssh2';
import type { FileStat, SetAttrs, TransferFs } from './fs.js';
import { TransferFsError } from './fs-error.js';
import { showName } from './names.js';

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
  const call = <T>(path: string, fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      try {
        fn((err, value) => (err ? reject(toError(path, err)) : resolve(value as T)));
      } catch (err) {
        reject(toError(path, err));
      }
    });

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
          return call<number>(path, (cb) => sftp.read(handle, buf, off, len, pos, (err, n) => cb(err, n)));
        },
        close: () => call<void>(path, (cb) => sftp.close(handle, cb)).catch(() => undefined),
      };
    },
    async openWrite(path, how, mode) {
      // 'wx' = WRITE|CREAT|EXCL; 'r+' = READ|WRITE on an existing file.
      const flags = how === 'create' ? 'wx' : 'r+';
      const handle = await call<Buffer>(path, (cb) => sftp.open(path, flags, { mode }, cb));
      return {
        write: (buf, off, len, pos) => call<void>(path, (cb) => sftp.write(handle, buf, off, len, pos, (err) => cb(err))),
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
  };
}
