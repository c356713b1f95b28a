// How a bin's process ends: quietly when its reader went away, and only once its output is written.
import { ExitCode } from '../lib/errors.js';
import { forTerminal } from '../lib/untrusted.js';

/**
 * A reader that went away (`ec2ssh lab 'seq 1 1000000' | head -1`, `ec2list --watch | head`) ends the
 * command quietly, as OpenSSH and coreutils end: ec2ssh with 0 (what ssh exits with), the others with
 * 141 (128 + SIGPIPE, what the shell reports for a coreutils command whose reader left).
 */
export function closedPipeStatus(program: string): number {
  return program === 'ec2ssh' ? 0 : 128 + 13;
}

/** Is this the error a write to a reader that went away gives (synchronously or later, from the stream)? */
export function isClosedPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

export function quietOnClosedPipe(program: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (isClosedPipe(err)) process.exit(closedPipeStatus(program));
    // Any other failure to write the output (a full disk, EIO): one line, never a stack trace.
    try {
      process.stderr.write(`${program}: cannot write the output: ${forTerminal(err.message)}\n`);
    } finally {
      process.exit(ExitCode.failure);
    }
  });
  // With stderr gone there is no one to tell: carry on (stdout may still be read).
  process.stderr.on('error', () => undefined);
}

export function exitAfterFlush(code: number): void {
  // Open keep-alive sockets or ssh handles must not hold the process: exit once output is written.
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
