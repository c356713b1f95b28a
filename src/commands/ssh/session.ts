// Running the remote side with this process's terminal and streams: a login shell or a command, with or
// without a PTY; bytes pass through untouched; the exit status comes back exactly; raw mode is always
// restored.
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { ReadStream } from 'node:tty';
import { CancelledError } from '../../lib/errors.js';
import type { Io } from '../../lib/io.js';
import { waitForExit, type ExitStatus, type SshConnection } from '../../lib/ssh/connection.js';

export interface SessionOptions {
  command?: string;
  pty: boolean;
  nullStdin: boolean;
  io: Io;
  signal?: AbortSignal;
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

/** Runs the session; resolves with the remote exit status (128+n for signal n). */
export async function runSession(conn: SshConnection, o: SessionOptions): Promise<ExitStatus> {
  const { io } = o;
  const stdin = io.stdin as ReadStream;
  const ptyOpts: PseudoTtyOptions | undefined = o.pty ? { term: io.env.TERM || 'xterm-256color', ...terminalSize(io), width: 0, height: 0 } : undefined;
  const channel: ClientChannel =
    o.command === undefined ? await conn.shellChannel({ pty: ptyOpts ?? false }) : await conn.execChannel(o.command, { pty: ptyOpts ?? false });

  const exit = waitForExit(channel);
  channel.pipe(io.stdout, { end: false });
  channel.stderr.pipe(io.stderr, { end: false });

  // Raw mode only when we own a terminal and asked for a PTY: the remote side does the line editing.
  const raw = Boolean(o.pty && stdin.isTTY && typeof stdin.setRawMode === 'function');
  const restore = () => {
    if (raw && stdin.isTTY) {
      try {
        stdin.setRawMode(false);
      } catch {
        // the terminal is gone
      }
    }
  };
  const onWinch = () => {
    const { rows, cols } = terminalSize(io);
    channel.setWindow(rows, cols, 0, 0);
  };
  const onAbort = () => channel.close();

  process.once('exit', restore);
  if (o.pty) process.on('SIGWINCH', onWinch);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (raw) stdin.setRawMode(true);
    if (o.nullStdin) channel.end();
    else {
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
    await Promise.all([drained(channel), drained(channel.stderr)]);
    return status;
  } finally {
    stdin.unpipe(channel);
    stdin.pause();
    restore();
    process.off('exit', restore);
    process.off('SIGWINCH', onWinch);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
