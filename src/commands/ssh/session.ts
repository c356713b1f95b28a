// Running the remote side with this process's terminal and streams: a login shell or a command, with or
// without a PTY; bytes pass through untouched (but for escape sequences after a newline, escapes.ts);
// the exit status comes back exactly; raw mode is always restored.
import type { ClientChannel, PseudoTtyOptions, X11Options } from 'ssh2';
import type { ReadStream } from 'node:tty';
import { CancelledError } from '../../lib/errors.js';
import type { Io } from '../../lib/io.js';
import { waitForExit, type ExitStatus, type SshConnection } from '../../lib/ssh/connection.js';
import type { ActiveForward } from '../../lib/ssh/forward.js';
import { EscapeFilter, escapeHelp, showEscapeChar, type EscapeAction } from './escapes.js';

export interface SessionOptions {
  command?: string;
  pty: boolean;
  nullStdin: boolean;
  io: Io;
  signal?: AbortSignal;
  /** The escape character, or null for none (-e none; sessions without a PTY). */
  escapeChar?: string | null;
  /** Listed by ~#. */
  forwards?: ActiveForward[];
  x11?: 'none' | 'untrusted' | 'trusted';
  warn?: (text: string) => void;
}

function terminalSize(io: Io): { rows: number; cols: number } {
  const out = io.stdout as NodeJS.WriteStream;
  const err = io.stderr as NodeJS.WriteStream;
  return { rows: out.rows || err.rows || 24, cols: out.columns || err.columns || 80 };
}

/** Waits until a readable side has delivered everything (its 'end'), or it is closed. */
function drained(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 2_000);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}

/** -X / -Y: asks for X11 forwarding with a made-up cookie and carries the channels to DISPLAY. */
async function x11Setup(conn: SshConnection, o: SessionOptions): Promise<X11Options | undefined> {
  if (!o.x11 || o.x11 === 'none') return undefined;
  const { parseDisplay, realCookie, fakeCookie, carryX11, X11_PROTOCOL } = await import('../../lib/ssh/x11.js');
  const display = o.io.env.DISPLAY;
  const target = parseDisplay(display);
  if (!target) {
    o.warn?.('X11 forwarding requested but DISPLAY not set');
    return undefined;
  }
  const fake = fakeCookie();
  const real = realCookie(display!, o.io.env);
  if (!real) o.warn?.('No xauth data; using no authentication data for X11 forwarding.');
  conn.client.on('x11', (_info, accept) => carryX11(accept(), target, fake, real, (t) => o.warn?.(t)));
  return { single: false, screen: target.screen, protocol: X11_PROTOCOL, cookie: fake.toString('hex') } as X11Options;
}

/** Runs the session; resolves with the remote exit status (128+n for signal n), 255 after `~.`. */
export async function runSession(conn: SshConnection, o: SessionOptions): Promise<ExitStatus> {
  const { io } = o;
  const stdin = io.stdin as ReadStream;
  const ptyOpts: PseudoTtyOptions | undefined = o.pty ? { term: io.env.TERM || 'xterm-256color', ...terminalSize(io), width: 0, height: 0 } : undefined;
  const x11 = await x11Setup(conn, o);
  const channel: ClientChannel =
    o.command === undefined ? await conn.shellChannel({ pty: ptyOpts ?? false, x11 }) : await conn.execChannel(o.command, { pty: ptyOpts ?? false, x11 });

  let disconnected = false;
  const exit = waitForExit(channel).catch((err) => {
    if (disconnected) return { code: 255 } as ExitStatus;
    throw err;
  });
  channel.pipe(io.stdout, { end: false });
  channel.stderr.pipe(io.stderr, { end: false });

  // Raw mode only when we own a terminal and asked for a PTY: the remote side does the line editing.
  const raw = Boolean(o.pty && stdin.isTTY && typeof stdin.setRawMode === 'function');
  const setRaw = (on: boolean) => {
    if (raw && stdin.isTTY) {
      try {
        stdin.setRawMode(on);
      } catch {
        // the terminal is gone
      }
    }
  };
  const restore = () => setRaw(false);
  const onWinch = () => {
    const { rows, cols } = terminalSize(io);
    channel.setWindow(rows, cols, 0, 0);
  };
  const onAbort = () => channel.close();
  const onCont = () => setRaw(true);
  const say = (lines: string[]) => io.stderr.write(lines.map((l) => `${l}\r\n`).join(''));

  const act = (action: EscapeAction) => {
    const e = showEscapeChar(o.escapeChar!);
    switch (action) {
      case 'disconnect':
        disconnected = true;
        say([`${e}.`, `Connection to ${conn.host} closed.`]);
        channel.close();
        conn.client.end();
        break;
      case 'help':
        say([`${e}?`, ...escapeHelp(o.escapeChar!)]);
        break;
      case 'list-forwards':
        say([`${e}#`, 'The following forwards are open:', ...(o.forwards ?? []).map((f) => `  ${f.spec.bindAddress ?? '127.0.0.1'}:${f.port} -> ${f.spec.host}${f.spec.hostPort ? `:${f.spec.hostPort}` : ''}`)]);
        break;
      case 'suspend':
        if (!stdin.isTTY) break;
        say([`${e}^Z [suspend ec2ssh]`]);
        restore();
        process.kill(process.pid, 'SIGTSTP');
        break;
      case 'rekey':
        say([`${e}R`]);
        (conn.client as unknown as { _protocol?: { rekey(): void } })._protocol?.rekey();
        break;
      default:
        say([`${e}${action === 'break' ? 'B' : action === 'command-line' ? 'C' : '&'}: not supported by ec2ssh`]);
    }
  };

  process.once('exit', restore);
  process.on('SIGCONT', onCont);
  if (o.pty) process.on('SIGWINCH', onWinch);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const filter = o.escapeChar ? new EscapeFilter(o.escapeChar) : undefined;
  const onInput = (chunk: Buffer) => {
    for (const part of filter!.feed(chunk)) {
      if ('data' in part) channel.write(part.data);
      else act(part.action);
    }
  };
  try {
    setRaw(true);
    if (o.nullStdin) channel.end();
    else if (filter) {
      stdin.on('data', onInput);
      stdin.once('end', () => channel.end());
      stdin.once('error', () => channel.end());
    } else {
      stdin.pipe(channel);
      stdin.once('error', () => channel.end());
    }
    let status: ExitStatus;
    try {
      status = await exit;
    } catch (err) {
      if (o.signal?.aborted) throw new CancelledError('interrupted');
      throw err;
    }
    if (!disconnected) await Promise.all([drained(channel), drained(channel.stderr)]);
    return status;
  } finally {
    stdin.off('data', onInput);
    stdin.unpipe(channel);
    stdin.pause();
    restore();
    process.off('exit', restore);
    process.off('SIGCONT', onCont);
    process.off('SIGWINCH', onWinch);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
