// The SSH handshake on ssh2: reach the server (TCP, an endpoint's tunnel or -J), check its host key,
// then either log in (connectSsh) or stop at the key (probeHostKey). The first of ready, error, close,
// deadline or abort settles it. Keys are offered by auth-methods.ts, failures worded by handshake-errors.ts.
import type { ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import type { Duplex } from 'node:stream';
import { CancelledError, ConnectionError, Ec2termError } from '../errors.js';
import { AuthMethods, type AuthMethod } from './auth-methods.js';
import { makeConnection } from './channels.js';
import type { SshConnection, SshConnectOptions } from './connection.js';
import { classifySshError, closedError, connectTimeoutError, type Ssh2Error } from './handshake-errors.js';
import { tunnelThrough, wrongFamily } from './tunnel.js';

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

/** What the host key check found: its fingerprint once seen, then ok or the error refusing it. */
interface HostKeyVerdict {
  fingerprint?: string;
  ok?: boolean;
  error?: unknown;
}

/** Log in (resolves with the connection), or probe: stop once the host key checks out (resolves with its fingerprint). */
export function handshake(o: SshConnectOptions, probeOnly: false): Promise<SshConnection>;
export function handshake(o: SshConnectOptions, probeOnly: true): Promise<string>;
export async function handshake(o: SshConnectOptions, probeOnly: boolean): Promise<SshConnection | string> {
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
    let authStarted = false;
    const hostKey: HostKeyVerdict = {};

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
    const deadline = new Deadline(timeoutMs, () => settle(connectTimeoutError(o.host, o.port, timeoutMs)));
    const onAbort = () => settle(new CancelledError('interrupted while connecting'));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const auth = new AuthMethods(o.user, o.identities, { env: o.env ?? process.env, prompt: o.prompt, warn, onPrompt: (asking) => (asking ? deadline.pause() : deadline.start()) }, detail);

    // An error or close once the host key was judged: a refused key is the error; a probe that saw a good key is done.
    const settledByHostKey = (): boolean => {
      if (hostKey.error) settle(hostKey.error);
      else if (probeOnly && hostKey.ok) settle(undefined, hostKey.fingerprint!);
      else return false;
      return true;
    };

    // As OpenSSH does: without TCP_NODELAY, a message written in two pieces (NEWKEYS then the next
    // request) waits for the peer's delayed ACK, 40 ms on Linux, on each round trip of the login.
    client.on('connect', () => client.setNoDelay(true));
    client.on('ready', () => settle(undefined, makeConnection(client, o, hostKey.fingerprint)));
    client.on('error', (err: Ssh2Error) => {
      if (settled || settledByHostKey()) return;
      settle(classifySshError(err, { host: o.host, port: o.port, where, refused: auth.refused, skipped: auth.skipped }));
    });
    client.on('close', () => {
      if (settled || settledByHostKey()) return;
      settle(closedError(o.host, o.port, authStarted));
    });

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      hostKey.fingerprint = sha256Fingerprint(key);
      Promise.resolve()
        .then(() => o.verifyHostKey(key))
        .then(
          () => {
            hostKey.ok = true;
            detail(`host key ${hostKey.fingerprint} verified`);
            if (probeOnly) {
              settle(undefined, hostKey.fingerprint!);
              verify(false);
              client.end();
            } else verify(true);
          },
          (err) => {
            hostKey.error = err instanceof Ec2termError ? err : new ConnectionError(`host key check failed: ${(err as Error)?.message ?? err}`);
            verify(false);
            settle(hostKey.error);
          },
        );
    };
    const authHandler = (methodsLeft: string[] | null, _partial: boolean | null, callback: (next: AuthMethod | false) => void) => {
      // The handshake (and host key check) is done: the connect deadline only covers reaching the server.
      if (!authStarted) {
        authStarted = true;
        deadline.stop();
      }
      auth.next(methodsLeft).then(callback, (err) => {
        settle(err);
        callback(false);
      });
    };

    deadline.start();
    const familyProblem = wrongFamily(o.host, o.family);
    if (familyProblem) return settle(new ConnectionError(`cannot connect to ${o.host} port ${o.port}: ${familyProblem}`));
    const sockReady: Promise<Duplex | undefined> = o.openSock ? o.openSock() : o.via ? tunnelThrough(o.via, o.host, o.port) : Promise.resolve(undefined);
    sockReady.then((sock) => {
      if (!settled) client.connect(connectConfig(o, sock, { hostVerifier, authHandler }));
    }, (err) => settle(err));
  });
}

/** ssh2's settings for one attempt; the handshake's own callbacks come in `hooks`. */
function connectConfig(o: SshConnectOptions, sock: Duplex | undefined, hooks: Pick<ConnectConfig, 'hostVerifier'> & { authHandler: unknown }): ConnectConfig {
  return {
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
      serverHostKey: (o.hostKeyAlgorithms ?? ALL_HOST_KEY_ALGOS) as ServerHostKeyAlgorithm[],
      compress: o.compression ? ['zlib@openssh.com', 'zlib', 'none'] : ['none', 'zlib@openssh.com', 'zlib'],
    },
    ...hooks,
  } as ConnectConfig;
}

/**
 * DEBUG=ec2term:ssh: ssh2's protocol trace on stderr, each line with milliseconds since start (how the
 * 40 ms delayed-ACK stalls were found). Message names and algorithms only: ssh2 logs no key material.
 */
function protocolTrace(env: NodeJS.ProcessEnv): ((line: string) => void) | undefined {
  if (!/(^|,)\s*ec2term:(ssh|\*)\s*(,|$)/.test(env.DEBUG ?? '')) return undefined;
  return (line) => process.stderr.write(`debug ssh ${performance.now().toFixed(1)} ms: ${line}\n`);
}
