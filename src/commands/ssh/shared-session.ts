// The run side of a shared connection, for the fast entry (fast.ts) and the CLI (shared.ts): the name
// cache knows the target and a master holding it answers, so the command runs through the master.
// Static imports only, all light (no commander, SDK or ssh2): on a reconnect every module here is needed,
// and one graph loads faster than a chain of dynamic imports.
import type { ReadStream } from 'node:tty';
import { runShared } from '../../lib/share/client.js';
import { dropName, readName } from '../../lib/share/names.js';
import { privateDirProblem, socketPath } from '../../lib/share/paths.js';
import { wantsPty, type PtyWish } from './session-words.js';

/** What the fast path needs of a run: its streams, environment, interruption and messages. */
export interface SharedIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
  detail(text: string): void;
  warn(text: string): void;
}

/**
 * The fast path: the name cache knows the target and a master holding it answers. Returns the exit
 * status, or undefined (then connect as usual) when there is no usable master; mismatches drop the entry.
 */
export async function trySharedSession(io: SharedIo, plan: { command?: string; pty: PtyWish; nullStdin: boolean }, s: { dir: string; nameKey: string }): Promise<{ code: number; signal?: string } | undefined> {
  const entry = await readName(s.dir, s.nameKey);
  if (!entry) return undefined;
  const problem = await privateDirProblem(s.dir).catch((err: Error) => err.message);
  if (problem) {
    io.warn(`not using shared connections: ${problem}`);
    return undefined;
  }
  const stdin = io.stdin as ReadStream;
  const pty = wantsPty(plan, Boolean(stdin.isTTY));
  const out = io.stdout as NodeJS.WriteStream;
  const raw = pty && stdin.isTTY && typeof stdin.setRawMode === 'function';
  const outcome = await runShared(socketPath(s.dir, entry.socketKey), entry.instanceId, {
    op: plan.command === undefined ? 'shell' : 'exec',
    command: plan.command,
    pty: pty ? { term: io.env.TERM || 'xterm-256color', rows: out.rows || 24, cols: out.columns || 80 } : undefined,
    stdin: plan.nullStdin ? undefined : stdin,
    stdout: io.stdout,
    stderr: io.stderr,
    signal: io.signal,
    onStarted: (resize) => {
      const restore = () => raw && stdin.isTTY && stdin.setRawMode(false);
      if (raw) stdin.setRawMode(true);
      const onWinch = () => resize(out.rows || 24, out.columns || 80);
      if (pty) process.on('SIGWINCH', onWinch);
      process.once('exit', restore);
      return () => {
        restore();
        process.off('exit', restore);
        process.off('SIGWINCH', onWinch);
      };
    },
  });
  if (outcome.kind === 'done') {
    io.detail(`ran over the shared connection to ${entry.instanceId}`);
    return outcome.status;
  }
  io.detail(outcome.kind === 'mismatch' ? `shared connection holds ${outcome.instanceId}, not ${entry.instanceId}: connecting directly` : `no shared connection (${outcome.why}): connecting directly`);
  if (outcome.kind === 'mismatch' || outcome.stale) await dropName(s.dir, s.nameKey);
  return undefined;
}
