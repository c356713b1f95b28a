// The few words of an ec2ssh command line that the fast entry (fast.ts) reads as well as the CLI:
// [user@]TARGET and whether the session wants a PTY. Light on purpose (errors and untrusted only; no
// commander, no access or forward parsing): the fast entry loads it on every reconnect.
import { UsageError } from '../../lib/errors.js';
import { loginUserProblem } from '../../lib/untrusted.js';

export type PtyWish = 'auto' | 'force' | 'never';

/** Pure: splits "user@target" at the last '@'. */
export function splitUserTarget(word: string): { user?: string; target: string } {
  const at = word.lastIndexOf('@');
  if (at < 0) return { target: word };
  const user = word.slice(0, at);
  const target = word.slice(at + 1);
  if (!user || !target) throw new UsageError(`bad target "${word}": expected [user@]NAME`);
  if (loginUserProblem(user)) throw new UsageError(`bad user name ${JSON.stringify(user)} in ${JSON.stringify(word)}: ${loginUserProblem(user)}`);
  return { user, target };
}

/** Pure: allocate a PTY? Login shells get one when stdin is a terminal; commands only with -t. */
export function wantsPty(plan: { pty: PtyWish; command?: string }, stdinIsTTY: boolean): boolean {
  if (plan.pty === 'force') return true;
  if (plan.pty === 'never') return false;
  return plan.command === undefined && stdinIsTTY;
}
