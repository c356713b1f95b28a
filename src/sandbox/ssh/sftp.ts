// An SFTP v3 server over ssh2's server-side SFTP stream, serving an instance's filesystem root.
// Hot path (READ/WRITE) uses open fs FileHandles with positional I/O and never blocks the event loop,
// so clients that keep many 32 KiB+ requests in flight (OpenSSH sftp/scp, ssh2 fastGet/fastPut) run at
// disk speed. The request queue and its in-order replies: sftp-replies.ts; attributes and names: sftp-attrs.ts.
import { constants as fsc } from 'node:fs';
import {
  chmod, chown, link, lstat, mkdir, open, readdir, readlink, rename, rmdir, stat, symlink, truncate, unlink, utimes,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import type { Jail } from './jail.js';
import { applyAttrs, longName, readStrings, toAttrs } from './sftp-attrs.js';
import { orderedReplies } from './sftp-replies.js';

export { longName } from './sftp-attrs.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;
/** Largest READ we answer in one reply (OpenSSH's own sftp-server limit). */
const MAX_READ = 256 * 1024;
const READDIR_BATCH = 128;

type OpenFile = { kind: 'file'; fh: FileHandle; path: string };
type OpenDir = { kind: 'dir'; path: string; names: string[] | null };
type Handle = OpenFile | OpenDir;

export interface SftpOptions {
  jail: Jail;
  /** Owner name shown in `ls -l` style long names. */
  user: string;
}

export function serveSftp(sftp: SFTPWrapper, o: SftpOptions): void {
  const { jail } = o;
  const handles = new Map<number, Handle>();
  let nextHandle = 1;

  const newHandle = (h: Handle): Buffer => {
    const id = nextHandle++ >>> 0;
    handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const getHandle = (b: Buffer): Handle | undefined => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const getFile = (b: Buffer): OpenFile | undefined => {
    const h = getHandle(b);
    return h?.kind === 'file' ? h : undefined;
  };

  const on = orderedReplies(sftp);

  on('OPEN', async (r, filename: string, pflags: number, attrs: Attributes) => {
    let flags: number;
    const write = (pflags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND)) !== 0;
    if (pflags & OPEN_MODE.READ) flags = write ? fsc.O_RDWR : fsc.O_RDONLY;
    else flags = write ? fsc.O_WRONLY : fsc.O_RDONLY;
    if (pflags & OPEN_MODE.CREAT) flags |= fsc.O_CREAT;
    if (pflags & OPEN_MODE.TRUNC) flags |= fsc.O_TRUNC;
    if (pflags & OPEN_MODE.EXCL) flags |= fsc.O_EXCL;
    if (pflags & OPEN_MODE.APPEND) flags |= fsc.O_APPEND;
    const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o666;
    // With EXCL the target must not be followed: an existing symlink makes open fail with EEXIST anyway.
    const path = await jail.resolve(filename, (pflags & OPEN_MODE.EXCL) === 0);
    const fh = await open(path, flags, mode);
    r.handle(newHandle({ kind: 'file', fh, path }));
  });

  on('READ', async (r, handle: Buffer, offset: number, len: number) => {
    const f = getFile(handle);
    if (!f) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    const buf = Buffer.allocUnsafe(Math.min(len, MAX_READ));
    const { bytesRead } = await f.fh.read(buf, 0, buf.length, offset);
    if (bytesRead === 0) return r.status(STATUS_CODE.EOF);
    r.data(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
  }, true);

  on('WRITE', async (r, handle: Buffer, offset: number, data: Buffer) => {
    const f = getFile(handle);
    if (!f) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await f.fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
    r.ok();
  }, true);

  on('CLOSE', async (r, handle: Buffer) => {
    const h = getHandle(handle);
    if (!h) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    handles.delete(handle.readUInt32BE(0));
    if (h.kind === 'file') await h.fh.close();
    r.ok();
  });

  on('FSTAT', async (r, handle: Buffer) => {
    const f = getFile(handle);
    if (!f) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    r.attrs(toAttrs(await f.fh.stat()));
  });

  on('FSETSTAT', async (r, handle: Buffer, attrs: Attributes) => {
    const f = getFile(handle);
    if (!f) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    await applyAttrs(attrs, {
      truncate: (n) => f.fh.truncate(n),
      chmod: (m) => f.fh.chmod(m),
      utimes: (a, m) => f.fh.utimes(a, m),
      chown: (u, g) => f.fh.chown(u, g),
      stat: () => f.fh.stat(),
    });
    r.ok();
  });

  on('STAT', async (r, p: string) => r.attrs(toAttrs(await stat(await jail.resolve(p, true)))));
  on('LSTAT', async (r, p: string) => r.attrs(toAttrs(await lstat(await jail.resolve(p, false)))));

  on('SETSTAT', async (r, p: string, attrs: Attributes) => {
    const path = await jail.resolve(p, true);
    await applyAttrs(attrs, {
      truncate: (n) => truncate(path, n),
      chmod: (m) => chmod(path, m),
      utimes: (a, m) => utimes(path, a, m),
      chown: (u, g) => chown(path, u, g),
      stat: () => stat(path),
    });
    r.ok();
  });

  on('OPENDIR', async (r, p: string) => {
    const path = await jail.resolve(p, true);
    const st = await stat(path);
    if (!st.isDirectory()) return r.status(STATUS_CODE.FAILURE, 'not a directory');
    r.handle(newHandle({ kind: 'dir', path, names: null }));
  });

  on('READDIR', async (r, handle: Buffer) => {
    const h = getHandle(handle);
    if (!h || h.kind !== 'dir') return r.status(STATUS_CODE.FAILURE, 'invalid handle');
    if (h.names === null) h.names = ['.', '..', ...(await readdir(h.path))];
    if (h.names.length === 0) return r.status(STATUS_CODE.EOF);
    const batch = h.names.splice(0, READDIR_BATCH);
    const entries = await Promise.all(
      batch.map(async (name): Promise<FileEntry | null> => {
        // ".." of the root is the root itself: never stat the host directory above it.
        const full = name === '..' && h.path === jail.realRoot ? h.path : join(h.path, name);
        const st = await lstat(full).catch(() => null);
        if (!st) return null;
        return { filename: name, longname: longName(name, st, o.user), attrs: toAttrs(st) };
      }),
    );
    const list = entries.filter((e): e is FileEntry => e !== null);
    if (list.length === 0) return r.status(STATUS_CODE.EOF);
    r.name(list);
  });

  on('REMOVE', async (r, p: string) => {
    await unlink(await jail.resolve(p, false));
    r.ok();
  });
  on('RMDIR', async (r, p: string) => {
    await rmdir(await jail.resolve(p, false));
    r.ok();
  });
  on('MKDIR', async (r, p: string, attrs: Attributes) => {
    const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o777;
    await mkdir(await jail.resolve(p, false), { mode });
    r.ok();
  });
  // Plain RENAME overwrites an existing target, like OpenSSH's posix-rename (ssh2 cannot advertise extensions).
  on('RENAME', async (r, from: string, to: string) => {
    await rename(await jail.resolve(from, false), await jail.resolve(to, false));
    r.ok();
  });

  on('REALPATH', async (r, p: string) => {
    const path = await jail.resolve(p, true);
    const v = jail.toVirtual(path) ?? jail.virtual(p);
    r.name([{ filename: v, longname: v, attrs: {} as Attributes }]);
  });

  on('READLINK', async (r, p: string) => {
    const target = await readlink(await jail.resolve(p, false));
    // Absolute targets are stored as host paths inside the root (see SYMLINK): show them as the instance sees them.
    const shown = target.startsWith('/') ? (jail.toVirtual(target) ?? target) : target;
    r.name([{ filename: shown, longname: shown, attrs: {} as Attributes }]);
  });

  // ssh2 hands both OpenSSH's swapped order and the draft's order to us as (linkPath, targetPath).
  on('SYMLINK', async (r, linkPath: string, targetPath: string) => {
    const where = await jail.resolve(linkPath, false);
    // An absolute target means a path inside the instance: store it as the host path under the root.
    const target = targetPath.startsWith('/') ? join(jail.realRoot, jail.virtual(targetPath)) : targetPath;
    await symlink(target, where);
    r.ok();
  });

  on('EXTENDED', async (r, name: string, data: Buffer | undefined) => {
    const args = readStrings(data ?? Buffer.alloc(0));
    if (name === 'posix-rename@openssh.com' && args.length >= 2) {
      await rename(await jail.resolve(args[0]!.toString('utf8'), false), await jail.resolve(args[1]!.toString('utf8'), false));
      return r.ok();
    }
    if (name === 'hardlink@openssh.com' && args.length >= 2) {
      await link(await jail.resolve(args[0]!.toString('utf8'), false), await jail.resolve(args[1]!.toString('utf8'), false));
      return r.ok();
    }
    if (name === 'fsync@openssh.com' && args.length >= 1) {
      const f = getFile(args[0]!);
      if (!f) return r.status(STATUS_CODE.FAILURE, 'invalid handle');
      await f.fh.sync();
      return r.ok();
    }
    r.status(STATUS_CODE.OP_UNSUPPORTED, `unsupported extension ${name}`);
  });

  // Client gone: release every open file. On EOF, close the channel too, as sftp-server does by exiting:
  // OpenSSH's sftp waits for that close before it exits.
  const closeAll = () => {
    for (const h of handles.values()) if (h.kind === 'file') h.fh.close().catch(() => {});
    handles.clear();
  };
  sftp.on('end', () => {
    closeAll();
    sendExitStatus(sftp, 0);
    sftp.end();
  });
  sftp.on('close', closeAll);
}

/**
 * sshd reports the sftp-server's exit status before closing the channel, and OpenSSH's scp treats a
 * missing status as failure (exit 1). ssh2's SFTP object has no exit(): use its protocol directly.
 */
function sendExitStatus(sftp: SFTPWrapper, code: number): void {
  const s = sftp as unknown as {
    outgoing?: { id: number; state: string };
    _protocol?: { exitStatus(id: number, code: number): void };
  };
  if (s.outgoing?.state === 'open' && s._protocol) s._protocol.exitStatus(s.outgoing.id, code);
}
