// SSH "session" channels: exec and shell, with or without a pseudo-terminal, and the sftp subsystem.
// Commands run on the host with `bash` (this is a sandbox for the user's own machine, not a security
// boundary); only the working directory, HOME and USER make it look like the instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osc } from 'node:os';
import type { Writable } from 'node:stream';
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import { serveSftp } from './sftp.js';
import { spawnPty, type PtyProcess } from './pty.js';
import type { Jail } from './jail.js';

export interface SessionContext {
  user: string;
  /** Host path of the user's home directory inside the instance root. */
  home: string;
  jail: Jail;
  /** Registers a running child so the endpoint can end it on close. */
  track(child: ChildProcess): void;
  /** Set by the sandbox for an instance that boots the real GraphTerm (its commands on PATH). */
  extraEnv?: () => Record<string, string> | undefined;
}

// Client env requests we refuse: they would change how the host's loader or bash itself behaves.
const REFUSED_ENV = /^(LD_|DYLD_)|^(BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4|IFS|PATH|HOME|USER|LOGNAME)$/;

export function handleSession(session: Session, ctx: SessionContext): void {
  const clientEnv: Record<string, string> = {};
  let ptyInfo: PseudoTtyInfo | null = null;
  let running: { child: ChildProcess; pty: PtyProcess | null } | null = null;

  session.on('env', (accept, reject, info) => {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(info.key) && !REFUSED_ENV.test(info.key)) {
      clientEnv[info.key] = info.val;
      accept?.();
    } else reject?.();
  });
  session.on('pty', (accept, _reject, info) => {
    ptyInfo = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (ptyInfo) ptyInfo = { ...ptyInfo, rows: info.rows, cols: info.cols };
    running?.pty?.resize(info.rows, info.cols);
    accept?.();
  });
  session.on('signal', (accept, reject, info: { name: string }) => {
    const signo = (osc.signals as Record<string, number>)[`SIG${info.name}`];
    if (!running || !signo) return reject?.();
    if (running.pty) running.pty.signal(signo);
    else killGroup(running.child, signo);
    accept?.();
  });
  session.on('auth-agent', (_accept, reject) => reject?.());
  session.on('x11', (_accept, reject) => reject?.());
  session.on('subsystem', (_accept, reject) => reject?.());

  const start = (channel: ServerChannel, argv: string[]) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      ...clientEnv,
      ...ctx.extraEnv?.(),
      HOME: ctx.home,
      USER: ctx.user,
      LOGNAME: ctx.user,
      SHELL: '/bin/bash',
    };
    if (ptyInfo) {
      env.TERM = ptyInfo.term || 'xterm';
      const pty = spawnPty(argv, { rows: ptyInfo.rows, cols: ptyInfo.cols, cwd: ctx.home, env });
      running = { child: pty.child, pty };
    } else {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: ctx.home, env, stdio: 'pipe', detached: true });
      running = { child, pty: null };
    }
    const { child } = running;
    ctx.track(child);
    child.stdin?.on('error', () => {}); // EPIPE when the command exits before reading all input
    child.stdout!.pipe(channel, { end: false });
    child.stderr?.pipe(channel.stderr, { end: false });
    // Channel EOF ends the command's stdin (a pty helper simply stops reading it).
    channel.pipe(child.stdin!);

    let finished = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null, message?: string) => {
      if (finished) return;
      finished = true;
      if (message) channel.stderr.write(message);
      // Exit status must follow all output: wait until both streams have handed their data to ssh2.
      await Promise.all([flush(channel), flush(channel.stderr)]);
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
      else channel.exit(code ?? 255);
      channel.end();
    };
    child.on('error', (err) => void finish(127, null, `sandbox: cannot run ${argv[0]}: ${err.message}\n`));
    child.on('close', (code, signal) => void finish(code, signal));
    // Client went away first: end the command the way sshd does, with a hangup.
    channel.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, osc.signals.SIGHUP);
    });
  };

  session.on('exec', (accept, _reject, info) => start(accept(), ['bash', '-c', info.command]));
  session.on('shell', (accept) => start(accept(), ptyInfo ? ['bash', '-i'] : ['bash']));
  session.on('sftp', (accept) => serveSftp(accept(), { jail: ctx.jail, user: ctx.user }));
}

/** Signals a child's whole process group (children are spawned detached, each leading its own group). */
export function killGroup(child: ChildProcess, signo: number): void {
  try {
    if (child.pid) process.kill(-child.pid, signo);
  } catch {
    try {
      child.kill(signo);
    } catch {
      /* already gone */
    }
  }
}

function flush(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    // A zero-length write completes only after every earlier write has been passed on.
    stream.write(Buffer.alloc(0), () => resolve());
  });
}
