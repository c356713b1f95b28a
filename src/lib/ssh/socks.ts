// -D [bind_address:]port: a SOCKS server here (versions 4, 4a and 5, CONNECT only, no authentication,
// as OpenSSH's) whose connections are opened from the instance (direct-tcpip), like -L with the
// destination chosen per connection by the application.
import { createServer, type Server, type Socket } from 'node:net';
import { UsageError } from '../errors.js';
import type { SshConnection } from './connection.js';
import type { ActiveForward } from './forward.js';

export interface DynamicSpec {
  bindAddress?: string;
  bindPort: number;
}

/** Pure: `-D [bind_address:]port` (also `[v6]:port`, `*:port`). */
export function parseDynamicSpec(spec: string): DynamicSpec {
  const m = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`bad -D "${spec}": expected [bind_address:]port, e.g. 1080`);
  const bind = m[1] ?? m[2];
  return { bindAddress: bind === undefined || bind === '' ? undefined : bind === '*' ? '0.0.0.0' : bind, bindPort: port };
}

export type SocksRequest = { version: 4 | 5; host: string; port: number; consumed: number };

/**
 * Pure: parses a SOCKS greeting + request from the bytes received so far. Returns 'more' until enough
 * bytes are in, a request, or an error text. For SOCKS5 the method negotiation must already be answered:
 * `stage` says which message is expected.
 */
export function parseSocks(buf: Buffer, stage: 'hello' | 'request5'): SocksRequest | { hello5: number } | 'more' | { error: string } {
  if (stage === 'hello') {
    if (buf.length < 1) return 'more';
    if (buf[0] === 5) {
      if (buf.length < 2) return 'more';
      const n = buf[1]!;
      if (buf.length < 2 + n) return 'more';
      if (!buf.subarray(2, 2 + n).includes(0)) return { error: 'SOCKS5 client offers no "no authentication" method' };
      return { hello5: 2 + n };
    }
    if (buf[0] === 4) {
      if (buf.length < 9) return 'more';
      if (buf[1] !== 1) return { error: 'SOCKS4: only CONNECT is supported' };
      const port = buf.readUInt16BE(2);
      const userEnd = buf.indexOf(0, 8);
      if (userEnd < 0) return 'more';
      const ip = [...buf.subarray(4, 8)];
      if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
        const hostEnd = buf.indexOf(0, userEnd + 1);
        if (hostEnd < 0) return 'more';
        return { version: 4, host: buf.subarray(userEnd + 1, hostEnd).toString('latin1'), port, consumed: hostEnd + 1 };
      }
      return { version: 4, host: ip.join('.'), port, consumed: userEnd + 1 };
    }
    return { error: `not a SOCKS client (first byte ${buf[0]})` };
  }
  if (buf.length < 5) return 'more';
  if (buf[0] !== 5) return { error: 'bad SOCKS5 request' };
  if (buf[1] !== 1) return { error: 'SOCKS5: only CONNECT is supported' };
  const atyp = buf[3];
  let host: string;
  let at: number;
  if (atyp === 1) {
    if (buf.length < 10) return 'more';
    host = [...buf.subarray(4, 8)].join('.');
    at = 8;
  } else if (atyp === 3) {
    const n = buf[4]!;
    if (buf.length < 5 + n + 2) return 'more';
    host = buf.subarray(5, 5 + n).toString('latin1');
    at = 5 + n;
  } else if (atyp === 4) {
    if (buf.length < 22) return 'more';
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(4 + i * 2).toString(16));
    host = words.join(':');
    at = 20;
  } else return { error: 'SOCKS5: unknown address type' };
  return { version: 5, host, port: buf.readUInt16BE(at), consumed: at + 2 };
}

const SOCKS5_OK = Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
const SOCKS5_FAIL = Buffer.from([5, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
const SOCKS4_OK = Buffer.from([0, 0x5a, 0, 0, 0, 0, 0, 0]);
const SOCKS4_FAIL = Buffer.from([0, 0x5b, 0, 0, 0, 0, 0, 0]);

function serve(conn: SshConnection, sock: Socket, onError?: (text: string) => void): void {
  let buf = Buffer.alloc(0);
  let stage: 'hello' | 'request5' = 'hello';
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 1024) return sock.destroy();
    const r = parseSocks(buf, stage);
    if (r === 'more') return;
    if ('error' in r) {
      onError?.(`-D: ${r.error}`);
      return sock.destroy();
    }
    if ('hello5' in r) {
      sock.write(Buffer.from([5, 0]));
      buf = buf.subarray(r.hello5);
      stage = 'request5';
      if (buf.length) onData(Buffer.alloc(0));
      return;
    }
    sock.off('data', onData);
    sock.pause();
    const rest = buf.subarray(r.consumed);
    conn.client.forwardOut(sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, r.host, r.port, (err, stream) => {
      if (err) {
        onError?.(`-D: the remote side could not open ${r.host}:${r.port} (${err.message})`);
        sock.end(r.version === 5 ? SOCKS5_FAIL : SOCKS4_FAIL);
        return;
      }
      sock.write(r.version === 5 ? SOCKS5_OK : SOCKS4_OK);
      if (rest.length) stream.write(rest);
      sock.pipe(stream);
      stream.pipe(sock);
      const end = () => {
        sock.destroy();
        stream.destroy();
      };
      sock.on('close', end);
      stream.on('close', end);
      stream.on('error', end);
      sock.resume();
    });
  };
  sock.on('data', onData);
}

/** -D: listens here as a SOCKS server; each CONNECT is opened from the instance. */
export async function startDynamicForward(conn: SshConnection, spec: DynamicSpec, onError?: (text: string) => void): Promise<ActiveForward> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    serve(conn, sock, onError);
  });
  const host = spec.bindAddress ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on ${host} port ${spec.bindPort} for -D: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`)),
    );
    server.listen({ host, port: spec.bindPort }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : spec.bindPort;
  return {
    spec: { bindAddress: host, bindPort: port, host: '(socks)', hostPort: 0 },
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
