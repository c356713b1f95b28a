// The shared connection's master: a detached process holding one authenticated SSH connection, serving
// remote commands to later ec2ssh runs over a unix socket (0600, in a 0700 folder), in the spirit of
// OpenSSH's ControlMaster/ControlPersist. It learns what to connect to on stdin (never argv: the config
// may carry key material), checks the host key against the fingerprint the first run verified, and exits
// once idle for `persistMs`, when the SSH connection drops, or when its socket file is removed.
// Node has no SO_PEERCRED: a client proves it is this user by reading the master's 0600 token file.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { ConnectionError } from '../errors.js';
import { noPrompt } from '../prompt.js';
import { connectSsh, exitStatusOf, type SshConnection } from '../ssh/connection.js';
import type { IdentityCandidate } from '../ssh/keys.js';
import { encodeData, encodeFrame, FRAME, FrameReader, type Hello } from './frames.js';
import { privateDirProblem, tokenPath } from './paths.js';
import { dirname } from 'node:path';

export interface MasterConfig {
  socket: string;
  persistMs: number;
  host: string;
  port: number;
  user: string;
  identities: IdentityCandidate[];
  /** SHA256 fingerprint of the host key the first run verified: any other key is refused. */
  fingerprint: string;
  hostKeyAlgorithms?: string[];
  keepAliveMs?: number;
  /** What the master reports about itself to clients (compared with their name cache). */
  instanceId: string;
}

/** Reads the config, connects, serves; resolves when the master is done (the process then exits). */
export async function runMaster(cfg: MasterConfig): Promise<void> {
  const problem = await privateDirProblem(dirname(cfg.socket));
  if (problem) throw new Error(problem);
  const { sha256Fingerprint } = await import('../console-fingerprints.js');
  const conn = await connectSsh({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    identities: cfg.identities,
    hostKeyAlgorithms: cfg.hostKeyAlgorithms,
    keepAliveMs: cfg.keepAliveMs ?? 15_000,
    prompt: noPrompt('a shared connection has no terminal'),
    verifyHostKey(blob) {
      if (sha256Fingerprint(blob) !== cfg.fingerprint) throw new ConnectionError('the host key differs from the one verified');
    },
  });
  // Another master got there first (two runs at once): leave it be.
  if (await answers(cfg.socket)) {
    await conn.close();
    return;
  }
  const token = randomBytes(32).toString('hex');
  await fsp.writeFile(tokenPath(cfg.socket), token, { mode: 0o600 });
  await fsp.rm(cfg.socket, { force: true }); // a stale socket of a master that died (the caller checked none answers)
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = createServer((sock) => {
    active++;
    if (idle) clearTimeout(idle);
    sock.once('close', () => {
      active--;
      armIdle();
    });
    serve(sock, conn, token, cfg);
  });
  const stop = () => {
    clearInterval(watch);
    if (idle) clearTimeout(idle);
    server.close();
    void fsp.rm(cfg.socket, { force: true }).catch(() => undefined);
    void fsp.rm(tokenPath(cfg.socket), { force: true }).catch(() => undefined);
    conn.close().finally(done);
  };
  const armIdle = () => {
    if (active > 0) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(stop, cfg.persistMs);
  };
  const oldUmask = process.umask(0o177);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.socket, () => resolve());
  }).finally(() => process.umask(oldUmask));
  await fsp.chmod(cfg.socket, 0o600);
  const { ino } = await fsp.stat(cfg.socket);
  // Gone or replaced socket (its folder removed, a newer master): this one is no longer reachable.
  const watch = setInterval(() => {
    fsp.stat(cfg.socket).then((st) => st.ino !== ino && stop(), () => stop());
  }, 5_000);
  watch.unref();
  conn.closed.then(stop);
  armIdle();
  process.send?.('ready');
  await finished;
}

/** Does something accept connections on this socket? */
export function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function tokenOk(given: unknown, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

/** One client: a hello, then a remote command's streams both ways, then its exit status. */
function serve(sock: Socket, conn: SshConnection, token: string, cfg: MasterConfig): void {
  const reader = new FrameReader();
  let channel: ClientChannel | undefined;
  let hello: Hello | undefined;
  const pending: { type: number; payload: Buffer }[] = [];
  const send = (type: number, payload?: Buffer | string) => !sock.destroyed && sock.write(encodeFrame(type, payload));
  const fail = (message: string) => {
    send(FRAME.error, message);
    sock.end();
  };
  const onFrame = (type: number, payload: Buffer) => {
    if (!hello) {
      try {
        hello = JSON.parse(payload.toString()) as Hello;
      } catch {
        return fail('bad hello');
      }
      if (type !== FRAME.hello || !tokenOk(hello.token, token)) return fail('not authorised');
      if (hello.op === 'ping') {
        send(FRAME.started, JSON.stringify({ instanceId: cfg.instanceId, host: cfg.host, port: cfg.port, user: cfg.user, fingerprint: cfg.fingerprint }));
        return void sock.end();
      }
      if (hello.op === 'sftp') return void startSftp();
      return void start(hello);
    }
    if (!channel) return void pending.push({ type, payload: Buffer.from(payload) });
    if (type === FRAME.stdin) {
      if (!channel.write(payload)) {
        sock.pause();
        channel.once('drain', () => sock.resume());
      }
    } else if (type === FRAME.stdinEnd) channel.end();
    else if (type === FRAME.resize) {
      const { rows, cols } = JSON.parse(payload.toString()) as { rows: number; cols: number };
      channel.setWindow(rows, cols, 0, 0);
    }
  };
  const start = async (h: Hello) => {
    try {
      const pty = h.pty ? { term: h.pty.term, rows: h.pty.rows, cols: h.pty.cols, width: 0, height: 0 } : false;
      channel = h.op === 'shell' ? await conn.shellChannel({ pty, env: h.env }) : await conn.execChannel(h.command ?? '', { pty, env: h.env });
    } catch (err) {
      return fail((err as Error).message);
    }
    const ch = channel;
    let status: { code: number; signal?: string } | undefined;
    ch.on('exit', (code: number | null, signal?: string) => (status = exitStatusOf(code, signal)));
    const out = (type: number) => (b: Buffer) => {
      for (const f of encodeData(type, b)) {
        if (!sock.write(f)) {
          ch.pause();
          sock.once('drain', () => ch.resume());
        }
      }
    };
    ch.on('data', out(FRAME.stdout));
    ch.stderr.on('data', out(FRAME.stderr));
    ch.on('close', (code?: number | null, signal?: string) => {
      if (!status && (typeof code === 'number' || signal)) status = exitStatusOf(code, signal);
      if (status) send(FRAME.exit, JSON.stringify(status));
      else send(FRAME.error, 'the connection closed before the remote command reported its exit status');
      sock.end();
    });
    send(FRAME.started, JSON.stringify({ instanceId: cfg.instanceId }));
    for (const f of pending.splice(0)) onFrame(f.type, f.payload);
  };
  // The SFTP subsystem as raw bytes: ec2scp's SFTP client speaks to the server through this socket.
  let raw: ClientChannel | undefined;
  const startSftp = async () => {
    let ch: ClientChannel;
    try {
      ch = await new Promise<ClientChannel>((resolve, reject) => conn.client.subsys('sftp', (err: Error | undefined, c: ClientChannel) => (err ? reject(err) : resolve(c))));
    } catch (err) {
      return fail((err as Error).message);
    }
    const ident = (conn.client as unknown as { _protocol?: { _remoteIdentRaw?: string } })._protocol?._remoteIdentRaw ?? '';
    send(FRAME.started, JSON.stringify({ instanceId: cfg.instanceId, serverIdent: ident }));
    raw = ch;
    ch.on('data', (b: Buffer) => {
      if (!sock.write(b)) {
        ch.pause();
        sock.once('drain', () => ch.resume());
      }
    });
    ch.on('close', () => sock.end());
  };
  sock.on('data', (b: Buffer) => {
    if (raw) {
      if (!raw.write(b)) {
        sock.pause();
        raw.once('drain', () => sock.resume());
      }
      return;
    }
    try {
      for (const f of reader.push(b)) onFrame(f.type, f.payload);
    } catch {
      sock.destroy();
    }
  });
  // The client went away (Ctrl-C, killed): its remote command goes too.
  sock.on('close', () => (channel ?? raw)?.close());
  sock.on('error', () => (channel ?? raw)?.close());
}
