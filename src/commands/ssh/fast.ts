// ec2ssh's fast entry for a reconnect (called from src/main.ts before the CLI loads): `ec2ssh
// [user@]TARGET [command...]` with no options, when the name cache and a shared connection's master know
// the target, runs the command through the master without loading commander, the AWS SDK or ssh2.
// Anything else (options, no cache entry, no master) answers undefined and the normal CLI takes over.
import { shareOffInEnv, nameKeyFor, shareScope } from '../../lib/share/key.js';
import { shareDir } from '../../lib/share/paths.js';
import { forTerminal } from '../../lib/untrusted.js';
import { splitUserTarget } from './session-words.js';
import { trySharedSession } from './shared-session.js';

/** Resolves with the exit code when the run went through a shared connection, else undefined. */
export async function fastShared(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (!first || first.startsWith('-') || shareOffInEnv(env)) return undefined;
  let split;
  try {
    split = splitUserTarget(first);
  } catch {
    return undefined; // the CLI reports it
  }
  // A reader that went away (`| head -1`) ends the run quietly with 0, as in the CLI (closedPipeStatus).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw err;
  });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const status = await trySharedSession(
      {
        env,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        signal: controller.signal,
        detail: () => {},
        warn: (t) => process.stderr.write(`ec2ssh: warning: ${forTerminal(t)}\n`),
      },
      { command: rest.length ? rest.join(' ') : undefined, pty: 'auto', nullStdin: false },
      { dir: shareDir(env), nameKey: nameKeyFor(shareScope({}, env), { target: split.target, user: split.user, identityFiles: [] }) },
    );
    return status?.code;
  } catch (err) {
    if (controller.signal.aborted) return 130;
    process.stderr.write(`ec2ssh: ${forTerminal((err as Error).message)}\n`);
    return 255;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
