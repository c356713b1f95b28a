// One sandbox instance's SSH server: an ssh2 Server on its own loopback address with its own host key,
// accepting only the launch key pair for the instance's user.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, isIPv4, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { constants as osc } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';
import { handleSession, killGroup } from './exec.js';
import { handleDirectTcpip, RemoteForwards } from './forward.js';
import type { HostKey } from './hostkey.js';
import { Jail } from './jail.js';

export interface InstanceEndpointOptions {
  instanceId: string;
  /** The instance's own 127.x.y.z address ("localhost" for its forwards; where it listens when listenV4). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Listen on host:port (an instance with a public IPv4). Default true. */
  listenV4?: boolean;
  /** Listen on [::1]:port too (an instance with IPv6 addresses): the same port as on host. */
  listenV6?: boolean;
  /**
   * Another instance of the same VPC at a private address (ssh -J / -W through this one): port 22 is served
   * by injecting the channel into that instance's SSH, other ports by its loopback address.
   */
  vpcPeer?: (ip: string, port: number) => { inject?: (stream: Duplex) => void; host?: string } | undefined;
  /** Keys that come and go (EC2 Instance Connect), asked at each login for the user logging in. */
  extraKeys?: (user: string) => string[];
  hostKey: HostKey;
  /** OpenSSH public key lines (authorized_keys format; options before the key type are ignored). */
  authorizedKeys: string[];
  /** The instance's filesystem root on disk. */
  rootDir: string;
  user: string;
  /** Variables a session gets on top of the defaults (the GraphTerm runtime's PATH, the login user). */
  sessionEnv?: () => Record<string, string> | undefined;
}

export interface InstanceEndpoint {
  host: string;
  /** 0 when it listens nowhere (reachable only through inject). */
  port: number;
  listensV4: boolean;
  listensV6: boolean;
  /** Serves SSH over an already connected stream (the EICE tunnel to the private address's port 22). */
  inject(stream: Duplex): void;
  close(): Promise<void>;
}

interface AuthorizedKey {
  type: string;
  blob: Buffer;
  parsed: ParsedKey;
}

/** Parses authorized_keys lines; unparsable lines are skipped (as sshd does). */
export function parseAuthorizedKeys(lines: string[]): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  for (const line of lines.flatMap((l) => l.split(/\r?\n/))) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    // Skip a leading options field ("from=...,no-pty ssh-ed25519 AAAA..."): start at the key type.
    const m = /(?:^|\s)((?:ssh-|ecdsa-|sk-)\S+)\s+([A-Za-z0-9+/]+={0,3})(?:\s|$)/.exec(t);
    if (!m) continue;
    const parsed = ssh2.utils.parseKey(`${m[1]} ${m[2]}`);
    if (parsed instanceof Error) continue;
    out.push({ type: parsed.type, blob: parsed.getPublicSSH(), parsed });
  }
  return out;
}

export async function startInstanceEndpoint(o: InstanceEndpointOptions): Promise<InstanceEndpoint> {
  if (!isIPv4(o.host) || !o.host.startsWith('127.')) {
    throw new Error(`sandbox SSH endpoint for ${o.instanceId}: refusing to listen on ${o.host} (only 127.0.0.0/8)`);
  }
  const home = join(o.rootDir, 'home', o.user);
  await mkdir(home, { recursive: true });
  const jail = await Jail.create(o.rootDir, o.user);
  const authorized = parseAuthorizedKeys(o.authorizedKeys);

  const sockets = new Set<Socket>();
  const clients = new Set<Connection>();
  const children = new Set<ChildProcess>();
  let closing = false;

  const ssh = new ssh2.Server({ hostKeys: [o.hostKey.privateKey] });
  ssh.on('connection', (client) => {
    if (closing) return client.end();
    clients.add(client);
    const forwards = new RemoteForwards(client);
    const mine = new Set<ChildProcess>();
    const track = (child: ChildProcess) => {
      children.add(child);
      mine.add(child);
      child.on('exit', () => {
        children.delete(child);
        mine.delete(child);
      });
    };

    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== o.user) return ctx.reject(['publickey']);
      const keys = o.extraKeys ? [...authorized, ...parseAuthorizedKeys(o.extraKeys(ctx.username))] : authorized;
      const key = keys.find((k) => k.blob.equals(ctx.key.data) && algoFits(k.type, ctx.key.algo));
      if (!key) return ctx.reject(['publickey']);
      // No signature: the client only asks whether this key would do (RFC 4252 §7).
      if (!ctx.signature || !ctx.blob) return ctx.accept();
      if (key.parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('session', (accept) => handleSession(accept(), { user: o.user, home, jail, track, extraEnv: o.sessionEnv }));
    const trackSocket = (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    };
    client.on('tcpip', (accept, reject, info) => {
      const peer = o.vpcPeer?.(info.destIP, info.destPort);
      if (peer?.inject) {
        const ch = accept();
        if (ch) peer.inject(ch);
        return;
      }
      if (peer?.host) return handleDirectTcpip(accept, reject, { ...info, destIP: peer.host }, trackSocket);
      handleDirectTcpip(accept, reject, info, trackSocket, o.host);
    });
    client.on('request', (accept, reject, name, info) => forwards.request(accept, reject, name, info as ssh2.TcpipBindInfo));
    client.on('error', () => {}); // a client vanishing mid-handshake is routine, not fatal
    client.on('close', () => {
      clients.delete(client);
      forwards.closeAll();
      for (const c of mine) killGroup(c, osc.signals.SIGHUP);
    });
  });
  ssh.on('error', () => {});

  // We own the listening sockets (and every accepted socket) so close() can cut them all off.
  const accept = (sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    if (closing) return sock.destroy();
    sock.setNoDelay(true); // as sshd: no 40 ms delayed-ACK stall per login round trip
    ssh.injectSocket(sock);
  };
  const servers: Server[] = [];
  const listen = (host: string, port: number) => new Promise<number>((resolve, reject) => {
    const net = createServer(accept);
    net.once('error', reject);
    net.listen({ host, port, exclusive: true, ipv6Only: host === '::1' }, () => {
      net.off('error', reject);
      servers.push(net);
      const addr = net.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
  const v4 = o.listenV4 !== false;
  let v6 = !!o.listenV6;
  let port = 0;
  // Both listeners share one port (the ec2term:ssh-port tag): a port free on one may be taken on the other.
  for (let attempt = 0; ; attempt++) {
    try {
      const want = attempt === 0 ? o.port : 0;
      if (v4) port = await listen(o.host, want);
      if (v6) {
        try { port = await listen('::1', v4 ? port : want); } catch (e) {
          // A machine without IPv6 loopback: the instance keeps its IPv4 side.
          const code = (e as NodeJS.ErrnoException).code;
          if (!v4 || (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT')) throw e;
          process.stderr.write(`sandbox: ${o.instanceId}: no IPv6 loopback here (${code}); its SSH is on IPv4 only\n`);
          v6 = false;
        }
      }
      break;
    } catch (e) {
      await Promise.all(servers.splice(0).map((x) => new Promise((r) => x.close(r))));
      if (attempt >= 4 || !(v4 && v6) && attempt >= 0 && o.port === 0) throw e;
    }
  }

  const inject = (stream: Duplex) => {
    if (closing) { stream.destroy(); return; }
    sockets.add(stream as Socket);
    stream.on('close', () => sockets.delete(stream as Socket));
    stream.on('error', () => stream.destroy());
    ssh.injectSocket(stream as Socket);
  };

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      const serverClosed = Promise.all(servers.map((net) => new Promise<void>((resolve) => net.close(() => resolve())))).then(() => {});
      for (const c of children) killGroup(c, osc.signals.SIGHUP);
      for (const c of clients) c.end();
      // Give clients a moment to see the disconnect, then cut what is left.
      await Promise.race([serverClosed, delay(250)]);
      for (const s of sockets) s.destroy();
      for (const c of children) killGroup(c, osc.signals.SIGKILL);
      await Promise.race([serverClosed, delay(1000)]);
    })());

  return { host: o.host, port, listensV4: v4, listensV6: v6, inject, close };
}

// RSA keys sign as rsa-sha2-256/512 but their blob says ssh-rsa.
function algoFits(keyType: string, algo: string): boolean {
  return algo === keyType || (keyType === 'ssh-rsa' && /^rsa-sha2-(256|512)$/.test(algo));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
