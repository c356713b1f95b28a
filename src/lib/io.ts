// The process's streams and environment, behind one small interface so tests can swap them.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Is a person at the keyboard? (stdin and stderr are terminals) */
  interactive: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width for tables (COLUMNS or the tty's width, else 120). */
  columns(): number;
}

export function processIo(): Io {
  const { stdin, stdout, stderr, env } = process;
  return {
    stdin,
    stdout,
    stderr,
    env,
    interactive: Boolean(stdin.isTTY && stderr.isTTY),
    stdoutIsTTY: Boolean(stdout.isTTY),
    stderrIsTTY: Boolean(stderr.isTTY),
    columns() {
      const fromEnv = Number(env.COLUMNS);
      if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
      return stdout.columns || stderr.columns || 120;
    },
  };
}
