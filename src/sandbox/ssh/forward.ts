// Port forwarding for sandbox instances. The "instance" is the user's own machine, so both directions
// stay on loopback: `ssh -L` may only reach loopback destinations, `ssh -R` only listens on loopback.
import { connect, createServer, isIPv4, type Server, type Socket } from 'node:net';
import type { AcceptConnection, Connection, RejectConnection, ServerChannel, TcpipBindInfo, TcpipRequestInfo } from 'ssh2';

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || h === 'ip6-localhost' || (isIPv4(h) && h.startsWith('127.'));
}

/** direct-tcpip (ssh -L): the channel is accepted only once the local connection succeeds. */
export function handleDirectTcpip(
  accept: AcceptConnection<ServerChannel>,
  reject: RejectConnection,
  info: TcpipRequestInfo,
  track: (s: Socket) => void,
  /** The instance's own address: its "localhost" (as on EC2, where `-L 8900:localhost:8900` reaches GraphTerm). */
  instanceAddress?: string,
): void {
  if (!isLoopback(info.destIP) || !(info.destPort > 0 && info.destPort < 65536)) return reject();
  const asked = info.destIP.replace(/^\[(.*)\]$/, '$1');
  // First the instance's own address for its localhost, then the machine's (test servers listen there).
  const hosts = instanceAddress && instanceAddress !== '127.0.0.1' && /^(localhost|127\.0\.0\.1)$/i.test(asked) ? [instanceAddress, asked] : [asked];
  const attempt = (k: number) => {
    const sock = connect({ host: hosts[k]!, port: info.destPort });
    track(sock);
    sock.once('error', () => (k + 1 < hosts.length ? attempt(k + 1) : reject()));
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      const ch = accept();
      if (!ch) return sock.destroy();
      splice(sock, ch);
    });
  };
  attempt(0);
}

interface Listener {
  bindAddr: string;
  requestedPort: number;
  port: number;
  server: Server;
}

/** tcpip-forward / cancel-tcpip-forward (ssh -R) for one client connection. */
export class RemoteForwards {
  private readonly listeners: Listener[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(private readonly conn: Connection) {}

  request(accept: ((port?: number) => void) | undefined, reject: (() => void) | undefined, name: string, info: TcpipBindInfo): void {
    if (name === 'tcpip-forward') this.listen(info, accept, reject);
    else if (name === 'cancel-tcpip-forward') {
      const i = this.listeners.findIndex(
        (l) => l.bindAddr === info.bindAddr && (l.port === info.bindPort || l.requestedPort === info.bindPort),
      );
      if (i < 0) return reject?.();
      this.listeners.splice(i, 1)[0]!.server.close();
      accept?.();
    } else reject?.();
  }

  private listen(info: TcpipBindInfo, accept: ((port?: number) => void) | undefined, reject: (() => void) | undefined): void {
    // Never expose the forward beyond loopback, whatever address the client asked for.
    const host = isIPv4(info.bindAddr) && info.bindAddr.startsWith('127.') ? info.bindAddr : '127.0.0.1';
    const server = createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      const l = this.listeners.find((x) => x.server === server);
      if (!l) return sock.destroy();
      // Tell the client the address it asked for: OpenSSH matches the forward by it.
      this.conn.forwardOut(info.bindAddr, l.port, sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, (err, ch) => {
        if (err) return sock.destroy();
        splice(sock, ch);
      });
    });
    server.once('error', () => reject?.());
    server.listen({ host, port: info.bindPort, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : info.bindPort;
      this.listeners.push({ bindAddr: info.bindAddr, requestedPort: info.bindPort, port, server });
      accept?.(port);
    });
  }

  closeAll(): void {
    for (const l of this.listeners.splice(0)) l.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

function splice(sock: Socket, ch: ServerChannel): void {
  // Normal ends travel through the pipes (half-close both ways); errors tear both sides down.
  sock.on('error', () => ch.destroy());
  ch.on('error', () => sock.destroy());
  ch.on('close', () => sock.destroy());
  sock.pipe(ch).pipe(sock);
}
