// Test fixture: a hostile SSH/SFTP server on loopback (ssh2's Server) that answers from a made-up tree and
// lies where a test says: folder listings with any names (traversal, absolute, NUL, newline, ESC, twice
// the same), sizes that differ from the data, modes with setuid bits, READ replies longer than asked for,
// REALPATH answers pointing elsewhere. Any login is accepted. A path it does not know is served as a small
// file holding PAYLOAD, so a client that followed a lie would get something to write. Read-only: every
// write request is refused. `requests` records what the client asked for.
import { constants as fsc } from 'node:fs';
import { posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, Connection, FileEntry, SFTPWrapper } from 'ssh2';
import { generateHostKey } from '../../src/sandbox/ssh/hostkey.js';

const { STATUS_CODE } = ssh2.utils.sftp;

export const PAYLOAD = 'pwned by the server\n';

export type HostileNode =
  | { type: 'dir'; names: string[]; mode?: number }
  /** `size` is what STAT and READDIR claim; `data` is what READ serves. */
  | { type: 'file'; data: Buffer; size?: number; mode?: number }
  /** A symbolic link: LSTAT says link, STAT answers for the tree path `to`. */
  | { type: 'link'; to: string };

export const dir = (...names: string[]): HostileNode => ({ type: 'dir', names });
export const file = (data: string | Buffer, o: { size?: number; mode?: number } = {}): HostileNode => ({ type: 'file', data: Buffer.from(data), ...o });
export const link = (to: string): HostileNode => ({ type: 'link', to });

export interface HostileSftpOptions {
  /** Keyed by path as the client sends it, normalized ('.' is the login folder; 'd/x'; '/abs'). */
  tree: Record<string, HostileNode>;
  /** OpenSSH private key; a new one when absent. */
  hostKey?: string;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** What every REALPATH answers (default: a lie outside any folder, with an escape in it). */
  realpath?: string;
  /** READ replies carry twice the bytes asked for. */
  overlongReads?: boolean;
  /** Asked for a path `tree` does not hold (e.g. to answer any depth of a folder inside itself). */
  lookup?: (path: string) => HostileNode | undefined;
}

export interface HostileSftp {
  host: string;
  port: number;
  /** "OPEN d/x", "READDIR d", ... in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

const key = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');

export async function startHostileSftp(o: HostileSftpOptions): Promise<HostileSftp> {
  const requests: string[] = [];
  const nodeAt = (p: string): HostileNode => o.tree[key(p)] ?? o.lookup?.(key(p)) ?? { type: 'file', data: Buffer.from(PAYLOAD) };
  const attrsOf = (n: HostileNode, follow: boolean, depth = 0): Attributes => {
    const base = { uid: 1000, gid: 1000, atime: 1_600_000_000, mtime: 1_600_000_000 };
    if (n.type === 'link') {
      if (follow && depth < 8) return attrsOf(nodeAt(n.to), true, depth + 1);
      return { ...base, mode: fsc.S_IFLNK | 0o777, size: n.to.length };
    }
    if (n.type === 'dir') return { ...base, mode: fsc.S_IFDIR | (n.mode ?? 0o755), size: 4096 };
    return { ...base, mode: fsc.S_IFREG | (n.mode ?? 0o644), size: n.size ?? n.data.length };
  };
  const fileData = (p: string, depth = 0): Buffer | undefined => {
    const n = nodeAt(p);
    if (n.type === 'link') return depth < 8 ? fileData(n.to, depth + 1) : undefined;
    return n.type === 'file' ? n.data : undefined;
  };

  const serve = (sftp: SFTPWrapper) => {
    const handles = new Map<number, { path: string; listed?: boolean; data?: Buffer }>();
    let next = 1;
    const handle = (h: { path: string; data?: Buffer }) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(next);
      handles.set(next++, h);
      return b;
    };
    const get = (b: Buffer) => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
    const deny = (id: number) => sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'read-only');

    sftp.on('OPEN', (id: number, p: string, flags: number) => {
      requests.push(`OPEN ${p}`);
      const data = fileData(p);
      if (flags & ssh2.utils.sftp.OPEN_MODE.WRITE || !data) return deny(id);
      sftp.handle(id, handle({ path: p, data }));
    });
    sftp.on('READ', (id: number, h: Buffer, offset: number, len: number) => {
      const f = get(h);
      if (!f?.data) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (offset >= f.data.length) return sftp.status(id, STATUS_CODE.EOF);
      sftp.data(id, f.data.subarray(offset, offset + (o.overlongReads ? len * 2 : len)));
    });
    sftp.on('FSTAT', (id: number, h: Buffer) => {
      const f = get(h);
      if (!f) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      sftp.attrs(id, attrsOf(nodeAt(f.path), true));
    });
    sftp.on('CLOSE', (id: number, h: Buffer) => {
      if (h.length === 4) handles.delete(h.readUInt32BE(0));
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('OPENDIR', (id: number, p: string) => {
      requests.push(`OPENDIR ${p}`);
      const n = nodeAt(p);
      if (n.type !== 'dir' && !(n.type === 'link' && attrsOf(n, true).mode! & fsc.S_IFDIR)) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE, 'not a folder');
      sftp.handle(id, handle({ path: p }));
    });
    sftp.on('READDIR', (id: number, h: Buffer) => {
      const d = get(h);
      if (!d) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (d.listed) return sftp.status(id, STATUS_CODE.EOF);
      d.listed = true;
      requests.push(`READDIR ${d.path}`);
      let n = nodeAt(d.path);
      if (n.type === 'link') n = nodeAt(n.to);
      const names = n.type === 'dir' ? ['.', '..', ...n.names] : [];
      const entries: FileEntry[] = names.map((name) => {
        const attrs = name === '.' || name === '..' ? attrsOf(dir(), false) : attrsOf(nodeAt(posix.join(d.path, name)), false);
        return { filename: name, longname: `-rw-r--r-- 1 u u ${attrs.size} Jan 1 00:00 ${name}`, attrs };
      });
      sftp.name(id, entries);
    });
    sftp.on('STAT', (id: number, p: string) => {
      requests.push(`STAT ${p}`);
      sftp.attrs(id, attrsOf(nodeAt(p), true));
    });
    sftp.on('LSTAT', (id: number, p: string) => {
      requests.push(`LSTAT ${p}`);
      sftp.attrs(id, attrsOf(nodeAt(p), false));
    });
    sftp.on('REALPATH', (id: number, p: string) => {
      requests.push(`REALPATH ${p}`);
      const v = o.realpath ?? '/../../../etc/\x1b]0;pwned\x07';
      sftp.name(id, [{ filename: v, longname: v, attrs: {} as Attributes }]);
    });
    for (const ev of ['WRITE', 'FSETSTAT', 'SETSTAT', 'REMOVE', 'RMDIR', 'MKDIR', 'RENAME', 'SYMLINK', 'READLINK', 'EXTENDED']) {
      sftp.on(ev, (id: number, ...args: unknown[]) => {
        requests.push(`${ev} ${typeof args[0] === 'string' ? args[0] : ''}`.trim());
        deny(id);
      });
    }
  };

  const clients = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [o.hostKey ?? generateHostKey().privateKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => serve(acceptSftp()));
      });
    });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
