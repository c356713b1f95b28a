// SFTP attributes and names: stat results to SFTP attrs, attrs applied to a file, errors to statuses,
// `ls -l` long names, and the string list EXTENDED requests carry.
import { constants as fsc, type Stats } from 'node:fs';
import ssh2 from 'ssh2';
import type { Attributes } from 'ssh2';
import { JailError } from './jail.js';

const { STATUS_CODE } = ssh2.utils.sftp;

export interface AttrTarget {
  truncate(n: number): Promise<void>;
  chmod(m: number): Promise<void>;
  utimes(a: number, m: number): Promise<void>;
  chown(u: number, g: number): Promise<void>;
  stat(): Promise<Stats>;
}

export async function applyAttrs(a: Partial<Attributes> | undefined, t: AttrTarget): Promise<void> {
  if (!a) return;
  if (typeof a.size === 'number') await t.truncate(a.size);
  if (typeof a.uid === 'number' && typeof a.gid === 'number') {
    // Files belong to whoever runs the sandbox; only a real change is attempted (and may be refused).
    const st = await t.stat();
    if (st.uid !== a.uid || st.gid !== a.gid) await t.chown(a.uid, a.gid);
  }
  if (typeof a.mode === 'number') await t.chmod(a.mode & 0o7777);
  if (typeof a.atime === 'number' && typeof a.mtime === 'number') await t.utimes(a.atime, a.mtime);
}

export function toAttrs(st: Stats): Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

export function statusOf(err: unknown): [number, string] {
  if (err instanceof JailError) return [STATUS_CODE.PERMISSION_DENIED, 'Permission denied'];
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return [STATUS_CODE.NO_SUCH_FILE, 'No such file'];
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return [STATUS_CODE.PERMISSION_DENIED, 'Permission denied'];
    default:
      return [STATUS_CODE.FAILURE, code ? `Failure (${code})` : 'Failure'];
  }
}

export function readStrings(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p + 4 <= buf.length) {
    const n = buf.readUInt32BE(p);
    if (p + 4 + n > buf.length) break;
    out.push(buf.subarray(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An `ls -l` line, as OpenSSH's sftp-server sends for `ls -l`. */
export function longName(name: string, st: Stats, user: string): string {
  const d = st.mtime;
  const recent = Math.abs(Date.now() - d.getTime()) < 182 * 24 * 3600 * 1000;
  const when = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${
    recent ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}` : ` ${d.getFullYear()}`
  }`;
  return `${modeString(st.mode)} ${String(st.nlink).padStart(4)} ${user.padEnd(8)} ${user.padEnd(8)} ${String(st.size).padStart(8)} ${when} ${name}`;
}

function modeString(mode: number): string {
  const t = mode & fsc.S_IFMT;
  const kind =
    t === fsc.S_IFDIR ? 'd' : t === fsc.S_IFLNK ? 'l' : t === fsc.S_IFCHR ? 'c' : t === fsc.S_IFBLK ? 'b'
    : t === fsc.S_IFIFO ? 'p' : t === fsc.S_IFSOCK ? 's' : '-';
  const rwx = (bits: number, special: boolean, ch: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return (
    kind +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't')
  );
}
