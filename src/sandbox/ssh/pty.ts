// Real pseudo-terminals without a native Node addon. Preferred: a small python3 helper around pty.fork()
// that relays bytes, applies window changes sent on a side pipe (fd 3) with TIOCSWINSZ (the kernel then
// sends SIGWINCH), forwards signals, and exits with the child's status or signal. Fallback when python3
// is missing: util-linux `script`, sizing the terminal with `stty` inside it (window changes then reach
// the terminal through `stty -F <pty>`). Either way: no native addon.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../lib/shellquote.js';

const PY_HELPER = String.raw`
import os, sys, pty, fcntl, termios, struct, signal, select, errno
rows, cols = int(sys.argv[1]), int(sys.argv[2])
argv = sys.argv[3:]
pid, master = pty.fork()
if pid == 0:
    try:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    except Exception:
        pass
    os.execvp(argv[0], argv)
def fwd(sig, _frame):
    try: os.kill(pid, sig)
    except OSError: pass
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, fwd)
ctl, ctl_buf, out_buf = 3, b'', b''
stdin_open, ctl_open = True, True
try:
    os.fstat(3)
except OSError:
    ctl_open = False
while True:
    r = [master] + ([0] if stdin_open and len(out_buf) < 1 << 20 else []) + ([ctl] if ctl_open else [])
    w = [master] if out_buf else []
    try:
        rr, ww, _ = select.select(r, w, [])
    except InterruptedError:
        continue
    if master in ww:
        n = os.write(master, out_buf[:65536]); out_buf = out_buf[n:]
    if 0 in rr:
        d = os.read(0, 65536)
        if d: out_buf += d
        else: stdin_open = False
    if ctl_open and ctl in rr:
        d = os.read(ctl, 4096)
        if not d: ctl_open = False
        ctl_buf += d
        while b'\n' in ctl_buf:
            line, ctl_buf = ctl_buf.split(b'\n', 1)
            f = line.split()
            if len(f) == 3 and f[0] == b'W':
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', int(f[1]), int(f[2]), 0, 0))
            elif len(f) == 2 and f[0] == b'S':
                fwd(int(f[1]), None)
    if master in rr:
        try:
            d = os.read(master, 65536)
        except OSError as e:
            if e.errno != errno.EIO: raise
            d = b''
        if not d: break
        v = memoryview(d)
        while v:
            n = os.write(1, v); v = v[n:]
_, st = os.waitpid(pid, 0)
if os.WIFSIGNALED(st):
    sig = os.WTERMSIG(st)
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 1)
`;

let pythonPath: string | null | undefined;
function python(): string | null {
  if (pythonPath === undefined) {
    pythonPath = null;
    for (const cand of ['python3', 'python']) {
      const r = spawnSync(cand, ['-c', 'import pty, termios, fcntl; print("ok")'], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0 && r.stdout.trim() === 'ok') {
        pythonPath = cand;
        break;
      }
    }
  }
  return pythonPath;
}

export interface PtyProcess {
  child: ChildProcess;
  resize(rows: number, cols: number): void;
  /** Deliver a signal (number) to the program running on the terminal. */
  signal(signo: number): void;
}

export interface PtySpawnOptions {
  rows: number;
  cols: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Runs argv on a new pseudo-terminal; the child's stdin/stdout are the terminal's input and output. */
export function spawnPty(argv: string[], o: PtySpawnOptions): PtyProcess {
  const rows = clamp(o.rows, 24);
  const cols = clamp(o.cols, 80);
  // EC2TERM_SANDBOX_PTY=script forces the fallback (tests use it to cover the path python3 hosts skip).
  const py = process.env.EC2TERM_SANDBOX_PTY === 'script' ? null : python();
  if (py) {
    const child = spawn(py, ['-c', PY_HELPER, String(rows), String(cols), ...argv], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
      detached: true,
    });
    const ctl = child.stdio[3] as NodeJS.WritableStream | null;
    ctl?.on('error', () => {});
    const send = (line: string) => {
      if (ctl && child.exitCode === null && child.signalCode === null) ctl.write(line);
    };
    return {
      child,
      resize: (r, c) => send(`W ${clamp(r, rows)} ${clamp(c, cols)}\n`),
      signal: (n) => send(`S ${n}\n`),
    };
  }
  // util-linux script: -q quiet, -f flush, -e return the child's status, -c command; log to /dev/null.
  // The inner shell records its terminal's name in a temp file so window changes can reach it by stty -F.
  const ttyFile = join(tmpdir(), `ec2term-pty-${process.pid}-${randomBytes(6).toString('hex')}`);
  const quoted = argv.map(shellQuote).join(' ');
  const inner = `stty rows ${rows} cols ${cols} 2>/dev/null; tty > ${shellQuote(ttyFile)} 2>/dev/null; exec ${quoted}`;
  const child = spawn('script', ['-qfec', inner, '/dev/null'], {
    cwd: o.cwd,
    env: { ...o.env, SHELL: '/bin/sh' },
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  child.on('exit', () => void rm(ttyFile, { force: true }));
  return {
    child,
    resize: (r, c) => {
      readFile(ttyFile, 'utf8')
        .then((dev) => {
          dev = dev.trim();
          if (!dev.startsWith('/dev/')) return;
          spawn('stty', ['-F', dev, 'rows', String(clamp(r, rows)), 'cols', String(clamp(c, cols))], { stdio: 'ignore' }).on('error', () => {});
        })
        .catch(() => {});
    },
    signal: (n) => {
      try {
        if (child.pid) process.kill(-child.pid, n);
      } catch {
        /* already gone */
      }
    },
  };
}

function clamp(n: number, dflt: number): number {
  return Number.isInteger(n) && n > 0 && n < 10000 ? n : dflt;
}
