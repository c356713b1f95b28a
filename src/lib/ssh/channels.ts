// An authenticated ssh2 Client as an SshConnection: exec, shell and SFTP channels, exit statuses.
import type { ClientChannel, Client, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { constants as osc } from 'node:os';
import { CancelledError, ConnectionError } from '../errors.js';
import type { ExitStatus, SshConnection, SshConnectOptions } from './connection.js';

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

export function makeConnection(client: Client, o: SshConnectOptions, hostKeyFingerprint: string | undefined): SshConnection {
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
