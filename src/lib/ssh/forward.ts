// Port forwarding over an SSH connection: -L (local port -> remote side) and -R (remote port -> here).
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UsageError } from '../errors.js';
import type { SshConnection } from './connection.js';

export interface ForwardSpec {
  /** Where to listen: local side for -L, remote side for -R. Default loopback. */
  bindAddress?: string;
  bindPort: number;
  /** Where to connect: from the remote side for -L, from here for -R. */
  host: string;
  hostPort: number;
}

const PORT = /^\d{1,5}$/;

function port(text: string, what: string, spec: string, allowZero: boolean): number {
  const n = Number(text);
  if (!PORT.test(text) || n > 65535 || (n === 0 && !allowZero)) throw new UsageError(`bad ${what} "${spec}": ${text || '(empty)'} is not a port number`);
  return n;
}

/** Splits on ':' outside [brackets] (IPv6 addresses are written [::1]). */
function splitSpec(spec: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of spec) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.replace(/^\[(.*)\]$/, '$1'));
}

/** Pure: parses ssh's `[bind_address:]port:host:hostport` (-L and -R). */
export function parseForwardSpec(spec: string, flag: '-L' | '-R'): ForwardSpec {
  const parts = splitSpec(spec);
  const what = `${flag} forwarding`;
  if (parts.length !== 3 && parts.length !== 4) {
    throw new UsageError(`bad ${what} "${spec}": expected [bind_address:]port:host:hostport, e.g. 8080:localhost:80`);
  }
  const [bind, p, host, hp] = parts.length === 4 ? parts : [undefined, ...parts];
  if (!host) throw new UsageError(`bad ${what} "${spec}": the host is empty`);
  return {
    bindAddress: bind === undefined || bind === '' ? undefined : bind === '*' ? '0.0.0.0' : bind,
    bindPort: port(p!, what, spec, flag === '-R' || flag === '-L'),
    host,
    hostPort: port(hp!, what, spec, false),
  };
}

export interface ActiveForward {
  spec: ForwardSpec;
  /** The port actually listened on (differs from spec.bindPort when that was 0). */
  port: number;
  close(): Promise<void>;
}

function pipeBoth(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
}

/** -L: listens locally; each connection is carried to host:hostPort as seen from the remote side. */
export async function startLocalForward(conn: SshConnection, spec: ForwardSpec, onError?: (text: string) => void): Promise<ActiveForward> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    conn.client.forwardOut(sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, spec.host, spec.hostPort, (err, stream) => {
      if (err) {
        onError?.(`-L ${spec.bindPort}: the remote side could not open ${spec.host}:${spec.hostPort} (${err.message})`);
        sock.destroy();
        return;
      }
      pipeBoth(sock, stream);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          `cannot listen on ${spec.bindAddress ?? '127.0.0.1'} port ${spec.bindPort} for -L: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      ),
    );
    server.listen({ host: spec.bindAddress ?? '127.0.0.1', port: spec.bindPort }, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : spec.bindPort;
  return {
    spec,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** -R: asks the server to listen; each connection it gets is carried to host:hostPort from here. */
export async function startRemoteForward(conn: SshConnection, spec: ForwardSpec, onError?: (text: string) => void): Promise<ActiveForward> {
  const bind = spec.bindAddress ?? 'localhost';
  const bound = await new Promise<number>((resolve, reject) => {
    conn.client.forwardIn(bind, spec.bindPort, (err, p) => {
      if (err) reject(new UsageError(`the server refused remote forwarding of port ${spec.bindPort} (-R): ${err.message}`));
      else resolve(p || spec.bindPort);
    });
  });
  const onConnection = (
    info: { destIP: string; destPort: number },
    accept: () => import('ssh2').ClientChannel,
    reject: () => void,
  ) => {
    if (info.destPort !== bound) return; // another forward's connection
    const sock = netConnect({ host: spec.host, port: spec.hostPort });
    sock.once('connect', () => pipeBoth(accept(), sock));
    sock.once('error', (err) => {
      onError?.(`-R ${bound}: cannot connect to ${spec.host}:${spec.hostPort} here (${err.message})`);
      reject();
    });
  };
  conn.client.on('tcp connection', onConnection);
  return {
    spec,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        conn.client.off('tcp connection', onConnection);
        try {
          conn.client.unforwardIn(bind, bound, () => resolve());
        } catch {
          resolve();
        }
      }),
  };
}
