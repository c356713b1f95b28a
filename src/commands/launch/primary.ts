// The --connect-to primary, reached over SSH (host key verified) for a secondary host's key and for the
// primary's host list; one connection for the whole launch, opened on first use.
import { Ec2termError } from '../../lib/errors.js';
import { WRAPPER_PATH } from '../../lib/graphterm/wrapper.js';
import type { LaunchPlan } from './plan.js';
import type { LaunchDeps, Preflight } from './preflight.js';

/** The start script over SSH: found on PATH after its folder (so a local target's instance copy is found too). */
export const WRAPPER_COMMAND = `PATH=${WRAPPER_PATH.slice(0, WRAPPER_PATH.lastIndexOf('/'))}:$PATH ${WRAPPER_PATH.slice(WRAPPER_PATH.lastIndexOf('/') + 1)}`;

type Session = { exec: (cmd: string, o?: { signal?: AbortSignal }) => Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>; close: () => Promise<void> };

export class PrimaryConnection {
  private session?: Promise<Session>;
  constructor(
    private readonly plan: LaunchPlan,
    private readonly pre: Preflight,
    private readonly deps: LaunchDeps,
  ) {}

  /** Runs a wrapper command on the --connect-to primary; its stdout. */
  async run(command: string): Promise<string> {
    const { ctx, ec2, aws } = this.deps;
    const { plan } = this;
    const primary = this.pre.primary;
    if (!primary) throw new Ec2termError(`--connect-to ${plan.connectTo}: no ec2term instance of that name, so its host key cannot be asked for`, 1, { hint: 'give the Name (or id) of a server launched by ec2launch with --accept-hosts' });
    if (!this.session) {
      const { connectToInstance } = await import('../../lib/ssh/index.js');
      this.session = connectToInstance(primary, {
        // The primary's own key pair (found from its keyName), not necessarily this launch's.
        aws, ec2, user: plan.user, hostKeyPolicy: 'verify', retryMs: plan.timeouts.ssh,
        consoleWaitMs: plan.timeouts.ssh, pendingWaitMs: plan.timeouts.running, signal: ctx.signal, prompt: ctx.prompt, out: ctx.out, env: ctx.io.env, clock: ctx.clock,
      });
    }
    const session = await this.session;
    const r = await session.exec(command, { signal: ctx.signal });
    if (r.code !== 0) throw new Ec2termError(`on ${plan.connectTo}: ${command.replace(/^PATH=\S+ /, '').split(' ').slice(0, 2).join(' ')} failed: ${r.stderr.toString('utf8').trim().slice(0, 300) || `exit ${r.code}`}`);
    return r.stdout.toString('utf8');
  }

  /** Closes the connection, if one was opened. */
  async close(): Promise<void> {
    if (this.session) await (await this.session.catch(() => undefined))?.close().catch(() => {});
  }
}
