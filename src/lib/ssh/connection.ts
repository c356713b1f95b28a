// The low-level SSH connection on ssh2: one host, one user, a list of identities, a host key check.
// No AWS here: tests use it against a plain sshd; connectToInstance (connect.ts) builds on it.
import type { ClientChannel, Client, PseudoTtyOptions, SFTPWrapper, X11Options } from 'ssh2';
import { constants as osc } from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import { tunnelThrough, wrongFamily } from './tunnel.js';
import { CancelledError, ConnectionError, Ec2termError } from '../errors.js';
import type { Prompt } from '../prompt.js';
import { loadKeyFile, parsePrivateKey, type IdentityCandidate, type LoadDeps } from './keys.js';

export interface SshConnectOptions {
  host: string;
  port: number;
  user: string;
  /** Tried in order; see identityPlan(). */
  identities: IdentityCandidate[];
  /** Checks the server's host key blob; throw (a ConnectionError) to refuse it. Required: no unverified hosts. */
  verifyHostKey(keyBlob: Buffer): Promise<void> | void;
  /** Host key algorithms to ask for, preferred first (e.g. the pinned key's type). */
  hostKeyAlgorithms?: string[];
  /** TCP connect + handshake deadline (ms); default 20 s. Paused while asking for a passphrase. */
  timeoutMs?: number;
  /** Keep-alive interval (ms); default 15 s; 0 turns it off. After 3 unanswered the connection is dropped. */
  keepAliveMs?: number;
  keepAliveCountMax?: number;
  signal?: AbortSignal;
  prompt?: Prompt;
  env?: NodeJS.ProcessEnv;
  /** Warnings for the user (stderr); default none. */
  warn?: (text: string) => void;
  /** --verbose detail; default none. */
  detail?: (text: string) => void;
  /** How to name the host in messages (default user@host:port). */
  label?: string;
  /** A stream to run SSH over instead of a TCP connection to host:port (an endpoint's tunnel), opened per attempt. */
  openSock?: () => Promise<Duplex>;
  /** -J: reach host:port through this connection (direct-tcpip) instead of a TCP connection from here. */
  via?: SshConnection;
  /** -C: offer zlib compression first. */
  compression?: boolean;
  /** -4 / -6: the address family for host names (a literal of the other family is refused). */
  family?: 4 | 6;
  /** -A: the agent socket to forward to sessions (SSH_AUTH_SOCK). */
  agentForward?: string;
}

export interface ExitStatus {
  /** The remote exit status; for a signal, 128 + its number (as ssh reports it). */
  code: number;
  /** "SIGTERM" when the remote command was killed by a signal. */
  signal?: string;
}

export interface ExecResult extends ExitStatus {
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecOptions {
  /** Data for the command's stdin; the channel gets EOF after it. Default: EOF at once. */
  stdin?: Buffer | string | Readable;
  /** Allocate a PTY (true: 80x24 xterm; or full options). */
  pty?: boolean | PseudoTtyOptions;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** An authenticated SSH connection. */
export interface SshConnection {
  client: Client;
  user: string;
  host: string;
  port: number;
  /** SHA256 fingerprint of the host key that was verified. */
  hostKeyFingerprint?: string;
  /** Runs a command and collects its output (for small outputs: setup markers, probes). */
  exec(command: string, o?: ExecOptions): Promise<ExecResult>;
  /** Starts a command and hands back its channel (stream it yourself; see waitForExit). */
  execChannel(command: string, o?: { pty?: boolean | PseudoTtyOptions; env?: Record<string, string>; x11?: X11Options }): Promise<ClientChannel>;
  /** Starts a login shell (with a PTY unless `pty` is false). */
  shellChannel(o?: { pty?: false | PseudoTtyOptions; env?: Record<string, string>; x11?: X11Options }): Promise<ClientChannel>;
  sftp(): Promise<SFTPWrapper>;
  /** Resolves when the connection is gone (closed by either side, or lost). */
  readonly closed: Promise<void>;
  /** Ends the connection; resolves when it is closed. */
  close(): Promise<void>;
}

/** Pure: the exit status ssh reports: the code, or 128 + signal number. */
export function exitStatusOf(code: number | null | undefined, signal?: string | null): ExitStatus {
  if (typeof code === 'number') return { code };
  if (signal) {
    const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
    const n = (osc.signals as Record<string, number>)[name];
    return { code: 128 + (n ?? 0), signal: name };
  }
  return { code: 255 };
}

/**
 * Resolves with the channel's exit status once it closes; rejects if it closed without one (connection
 * lost). ssh2 emits 'exit' the moment exit-status arrives, which can be before a caller that awaited the
 * channel has attached its listener (a fast command's reply lands in the same read as the channel's
 * confirmation); its 'close' repeats the status as child_process does, so that is the one relied on.
 */
export function waitForExit(channel: ClientChannel): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    let status: ExitStatus | undefined;
    channel.on('exit', (code: number | null, signal?: string) => {
      status = exitStatusOf(code, signal);
    });
    channel.on('close', (code?: number | null, signal?: string) => {
      if (!status && (typeof code === 'number' || signal)) status = exitStatusOf(code, signal);
      if (status) resolve(status);
      else reject(new ConnectionError('the connection closed before the remote command reported its exit status'));
    });
  });
}

const ALL_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Pure: host key algorithms for key types (ssh-rsa blobs sign as rsa-sha2-*), preferred first, then the rest. */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const first: string[] = [];
  for (const t of keyTypes) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : ALL_HOST_KEY_ALGOS.includes(t) ? [t] : [];
    for (const a of algos) if (!first.includes(a)) first.push(a);
  }
  return [...first, ...ALL_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

/** A deadline that can be paused (while a person types a passphrase). */
class Deadline {
  private timer?: NodeJS.Timeout;
  private left: number;
  private started = 0;
  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.left = ms;
  }
  start(): void {
    if (this.left <= 0 || this.timer) return;
    this.started = Date.now();
    this.timer = setTimeout(this.onExpire, this.left);
  }
  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.left -= Date.now() - this.started;
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.left = 0;
  }
}

interface Attempt {
  label: string;
}

type AuthMethod = { type: 'publickey'; username: string; key: import('ssh2').ParsedKey } | { type: 'agent'; username: string; agent: string };

/**
 * Connects and authenticates. Fails with ConnectionError (exit 255) naming the cause: refused or
 * unreachable port, timeout, host key refused, or "permission denied" listing each key the server refused
 * and each key skipped (and why).
 */
export async function connectSsh(o: SshConnectOptions): Promise<SshConnection> {
  return handshake(o, false) as Promise<SshConnection>;
}

/**
 * Connects only far enough to see and check the host key (no login). Used to pin a key before printing
 * an OpenSSH command. Resolves with the key's fingerprint.
 */
export async function probeHostKey(o: Omit<SshConnectOptions, 'identities' | 'user'> & { user?: string }): Promise<string> {
  return handshake({ ...o, user: o.user ?? 'ec2term-probe', identities: [] }, true) as Promise<string>;
}

/**
 * Starts loading ssh2 (about 40 ms of compiling) without waiting, so it overlaps the instance look-up's
 * round trips; the connect then finds it loaded. Failures surface at the real import.
 */
export function warmSsh2(): void {
  import('ssh2').catch(() => {});
}

async function handshake(o: SshConnectOptions, probeOnly: boolean): Promise<SshConnection | string> {
  const ssh2 = (await import('ssh2')).default;
  const { sha256Fingerprint } = await import('../console-fingerprints.js');
  if (o.signal?.aborted) throw new CancelledError('interrupted before connecting');
  const client = new ssh2.Client();
  const where = o.label ?? `${o.user}@${o.host}${o.port === 22 ? '' : `:${o.port}`}`;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const warn = o.warn ?? (() => {});
  const detail = o.detail ?? (() => {});

  return new Promise((resolve, reject) => {
    let settled = false;
    let hostKeyError: unknown;
    let hostKeyFingerprint: string | undefined;
    let hostKeyOk = false;
    let current: Attempt | undefined;
    const refused: string[] = [];
    const skipped: string[] = [];
    let index = 0;
    let authStarted = false;

    const settle = (err: unknown, value?: SshConnection | string) => {
      if (settled) return;
      settled = true;
      deadline.stop();
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        client.end();
        reject(err);
      } else resolve(value!);
    };
    const deadline = new Deadline(timeoutMs, () => {
      settle(new ConnectionError(`timed out after ${Math.round(timeoutMs / 1000)}s connecting to ${o.host} port ${o.port}`, {
        hint: 'check that the instance is running and its security group allows SSH from here; --connect-timeout SECONDS to wait longer',
      }));
    });
    const onAbort = () => settle(new CancelledError('interrupted while connecting'));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const loadDeps: LoadDeps = {
      env: o.env ?? process.env,
      prompt: o.prompt,
      warn,
      onPrompt: (asking) => (asking ? deadline.pause() : deadline.start()),
    };

    const nextMethod = async (methodsLeft: string[] | null): Promise<AuthMethod | false> => {
      if (current) {
        refused.push(current.label);
        detail(`server refused ${current.label}`);
        current = undefined;
      }
      if (methodsLeft && !methodsLeft.includes('publickey')) return false;
      while (index < o.identities.length) {
        const id = o.identities[index++]!;
        if (id.kind === 'agent') {
          current = { label: `the keys in ssh-agent (${id.socket})` };
          detail(`offering ${current.label}`);
          return { type: 'agent', username: o.user, agent: id.socket };
        }
        const loaded = id.kind === 'file' ? await loadKeyFile(id.path, loadDeps) : await parsePrivateKey(id.key, id.label, loadDeps, id.passphrase);
        if ('skip' in loaded) {
          if (!(loaded as { missing?: boolean }).missing || (id.kind === 'file' && id.explicit)) skipped.push(loaded.skip);
          detail(`skipped ${loaded.skip}`);
          continue;
        }
        current = { label: `${loaded.ok.label} (${loaded.ok.fingerprint})` };
        detail(`offering ${current.label}`);
        return { type: 'publickey', username: o.user, key: loaded.ok.key };
      }
      return false;
    };

    // As OpenSSH does: without TCP_NODELAY, a message written in two pieces (NEWKEYS then the next
    // request) waits for the peer's delayed ACK, 40 ms on Linux, on each round trip of the login.
    client.on('connect', () => client.setNoDelay(true));
    client.on('ready', () => {
      const conn = makeConnection(client, o, hostKeyFingerprint);
      settle(undefined, conn);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      if (hostKeyError) return settle(hostKeyError);
      if (probeOnly && hostKeyOk) return settle(undefined, hostKeyFingerprint!);
      const level = err.level;
      if (level === 'client-authentication') {
        const tried = refused.length ? `the server refused ${refused.join(', ')}` : 'no key could be offered';
        const skip = skipped.length ? `; skipped ${skipped.join('; ')}` : '';
        return settle(
          new ConnectionError(`permission denied (publickey) for ${where}: ${tried}${skip}`, {
            hint: 'pass the right key with -i FILE, or the right login user with -l USER (ubuntu, ec2-user, admin)',
          }),
        );
      }
      if (level === 'client-socket' || err.code) {
        const code = err.code ?? '';
        const why =
          code === 'ECONNREFUSED'
            ? 'connection refused'
            : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
              ? 'host name not found'
              : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
                ? 'no route to host'
                : code === 'ECONNRESET'
                  ? 'connection reset'
                  : err.message;
        return settle(new ConnectionError(`cannot connect to ${o.host} port ${o.port}: ${why}`, { cause: err, hint: connectHint(code) }));
      }
      if (level === 'client-timeout') return settle(new ConnectionError(`timed out talking to ${o.host} port ${o.port}`, { cause: err }));
      settle(new ConnectionError(`SSH to ${where} failed: ${err.message}`, { cause: err }));
    });
    client.on('close', () => {
      if (settled) return;
      if (hostKeyError) return settle(hostKeyError);
      if (probeOnly && hostKeyOk) return settle(undefined, hostKeyFingerprint!);
      settle(new ConnectionError(`${o.host} port ${o.port} closed the connection${authStarted ? ' during login' : ' before the SSH handshake finished'}`));
    });

    deadline.start();
    const familyProblem = wrongFamily(o.host, o.family);
    if (familyProblem) return settle(new ConnectionError(`cannot connect to ${o.host} port ${o.port}: ${familyProblem}`));
    const sockReady: Promise<Duplex | undefined> = o.openSock ? o.openSock() : o.via ? tunnelThrough(o.via, o.host, o.port) : Promise.resolve(undefined);
    sockReady.then((sock) => { if (!settled) client.connect({
      ...(sock ? { sock } : {}),
      ...(o.family === 4 ? { forceIPv4: true } : o.family === 6 ? { forceIPv6: true } : {}),
      ...(o.agentForward ? { agent: o.agentForward, agentForward: true } : {}),
      host: o.host,
      port: o.port,
      username: o.user,
      readyTimeout: 0,
      debug: protocolTrace(o.env ?? process.env),
      keepaliveInterval: o.keepAliveMs ?? 15_000,
      keepaliveCountMax: o.keepAliveCountMax ?? 3,
      algorithms: {
        serverHostKey: (o.hostKeyAlgorithms ?? ALL_HOST_KEY_ALGOS) as import('ssh2').ServerHostKeyAlgorithm[],
        compress: o.compression ? ['zlib@openssh.com', 'zlib', 'none'] : ['none', 'zlib@openssh.com', 'zlib'],
      },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        hostKeyFingerprint = sha256Fingerprint(key);
        Promise.resolve()
          .then(() => o.verifyHostKey(key))
          .then(
            () => {
              hostKeyOk = true;
              detail(`host key ${hostKeyFingerprint} verified`);
              if (probeOnly) {
                settle(undefined, hostKeyFingerprint!);
                verify(false);
                client.end();
              } else verify(true);
            },
            (err) => {
              hostKeyError = err instanceof Ec2termError ? err : new ConnectionError(`host key check failed: ${(err as Error)?.message ?? err}`);
              verify(false);
              settle(hostKeyError);
            },
          );
      },
      authHandler: (methodsLeft: string[] | null, _partial: boolean | null, callback: (next: AuthMethod | false) => void) => {
        // The handshake (and host key check) is done: the connect deadline only covers reaching the server.
        if (!authStarted) {
          authStarted = true;
          deadline.stop();
        }
        nextMethod(methodsLeft).then(callback, (err) => {
          settle(err);
          callback(false);
        });
      },
    } as import('ssh2').ConnectConfig); }, (err) => settle(err));
  });
}

/**
 * DEBUG=ec2term:ssh: ssh2's protocol trace on stderr, each line with milliseconds since start (how the
 * 40 ms delayed-ACK stalls were found). Message names and algorithms only: ssh2 logs no key material.
 */
function protocolTrace(env: NodeJS.ProcessEnv): ((line: string) => void) | undefined {
  if (!/(^|,)\s*ec2term:(ssh|\*)\s*(,|$)/.test(env.DEBUG ?? '')) return undefined;
  return (line) => process.stderr.write(`debug ssh ${performance.now().toFixed(1)} ms: ${line}\n`);
}

function connectHint(code: string): string | undefined {
  if (code === 'ECONNREFUSED') return 'sshd may still be starting (try again in a few seconds), or the port is wrong (-p PORT)';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return "check the instance's security group allows SSH (port 22) from your address";
  return undefined;
}

function makeConnection(client: Client, o: SshConnectOptions, hostKeyFingerprint: string | undefined): SshConnection {
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  client.on('close', () => resolveClosed());
  client.on('error', (err: Error) => (o.detail ?? (() => {}))(`connection error: ${err.message}`));

  const open = <T>(what: string, fn: (cb: (err: Error | undefined, value: T) => void) => unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      try {
        fn((err, value) => (err ? reject(new ConnectionError(`${what} failed: ${err.message}`, { cause: err })) : resolve(value)));
      } catch (err) {
        reject(new ConnectionError(`${what} failed: ${(err as Error).message}`, { cause: err }));
      }
    });

  const ptyOptions = (pty: boolean | PseudoTtyOptions | undefined): PseudoTtyOptions | undefined =>
    pty === true ? { term: 'xterm-256color', rows: 24, cols: 80 } : pty || undefined;

  const conn: SshConnection = {
    client,
    user: o.user,
    host: o.host,
    port: o.port,
    hostKeyFingerprint,
    closed,
    execChannel(command, eo = {}) {
      const pty = ptyOptions(eo.pty);
      return open<ClientChannel>('starting the remote command', (cb) => client.exec(command, { pty: pty ?? false, env: eo.env, ...(eo.x11 ? { x11: eo.x11 } : {}) }, cb));
    },
    shellChannel(so = {}) {
      const pty = so.pty === false ? false : (so.pty ?? ptyOptions(true)!);
      return open<ClientChannel>('starting the remote shell', (cb) => client.shell(pty, { env: so.env, ...(so.x11 ? { x11: so.x11 } : {}) }, cb));
    },
    sftp() {
      return open<SFTPWrapper>('starting SFTP', (cb) => client.sftp(cb));
    },
    async exec(command, eo = {}) {
      const channel = await conn.execChannel(command, { pty: eo.pty, env: eo.env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      channel.on('data', (b: Buffer) => out.push(b));
      channel.stderr.on('data', (b: Buffer) => err.push(b));
      const done = waitForExit(channel);
      const onAbort = () => channel.close();
      eo.signal?.addEventListener('abort', onAbort, { once: true });
      if (eo.stdin === undefined) channel.end();
      else if (typeof eo.stdin === 'string' || Buffer.isBuffer(eo.stdin)) channel.end(eo.stdin);
      else eo.stdin.pipe(channel);
      try {
        const status = await done;
        return { ...status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
      } finally {
        eo.signal?.removeEventListener('abort', onAbort);
        if (eo.signal?.aborted) throw new CancelledError('interrupted while the remote command ran');
      }
    },
    close() {
      client.end();
      return closed;
    },
  };
  return conn;
}
