// ec2scp over a shared connection (src/lib/share): when the name cache and a live master know `[user@]NAME`
// (left by an earlier ec2ssh or ec2scp), its SFTP channels go through the master: no DescribeInstances,
// no handshake. Otherwise the run connects directly and offers its connection to a new master.
// Off with --no-share or EC2TERM_SHARE=0.
import type { SFTPWrapper } from 'ssh2';
import type { SshSession } from '../../lib/ssh/connect.js';
import type { IdentityCandidate } from '../../lib/ssh/keys.js';
import type { CommandContext, CommandOptions } from '../types.js';
import type { ScpPlan } from './plan.js';

export interface ScpShare {
  dir: string;
  scope: string[];
  persistMs: number;
  /** The name cache key for one `[user@]NAME`. */
  nameKey(h: { host: string; user?: string }): string;
}

export async function scpShareSettings(ctx: CommandContext, plan: ScpPlan, options: CommandOptions): Promise<ScpShare | undefined> {
  const [{ nameKeyFor, shareOffInEnv, shareScope }, { shareDir }, { expandHome }, { DEFAULT_PERSIST_MS }] = await Promise.all([
    import('../../lib/share/key.js'),
    import('../../lib/share/paths.js'),
    import('../../lib/config-files.js'),
    import('../../lib/share/defaults.js'),
  ]);
  if (options.share === false || shareOffInEnv(ctx.io.env)) return undefined;
  const scope = shareScope(ctx.global, ctx.io.env);
  const identityFiles = plan.options.identityFile ? [expandHome(plan.options.identityFile, ctx.io.env)] : [];
  return {
    dir: shareDir(ctx.io.env),
    scope,
    persistMs: DEFAULT_PERSIST_MS,
    nameKey: (h) => nameKeyFor(scope, { target: h.host, user: h.user, port: plan.options.port, identityFiles }),
  };
}

/** A first SFTP channel through a live master for `h`, and how to open more; undefined when there is none. */
export async function sharedSftpFor(ctx: CommandContext, s: ScpShare, h: { host: string; user?: string }): Promise<{ sftp: SFTPWrapper; open: () => Promise<SFTPWrapper> } | undefined> {
  const [{ readName, dropName }, { privateDirProblem, socketPath }, { sharedSftp }] = await Promise.all([
    import('../../lib/share/names.js'),
    import('../../lib/share/paths.js'),
    import('../../lib/share/sftp.js'),
  ]);
  const key = s.nameKey(h);
  const entry = await readName(s.dir, key);
  if (!entry || (await privateDirProblem(s.dir).catch(() => 'unusable'))) return undefined;
  const socket = socketPath(s.dir, entry.socketKey);
  const sftp = await sharedSftp(socket, entry.instanceId);
  if (!sftp) {
    ctx.out.detail(`no shared connection for ${h.host}: connecting directly`);
    await dropName(s.dir, key);
    return undefined;
  }
  ctx.out.detail(`copying over the shared connection to ${entry.instanceId}`);
  const open = async () => {
    const more = await sharedSftp(socket, entry.instanceId);
    if (!more) throw new Error('the shared connection refused another SFTP channel');
    return more;
  };
  return { sftp, open };
}

export async function offerScpShare(ctx: CommandContext, s: ScpShare, h: { host: string; user?: string }, session: SshSession, identities: IdentityCandidate[]): Promise<void> {
  const { offerConnection } = await import('../../lib/share/offer.js');
  await offerConnection({ dir: s.dir, scope: s.scope, persistMs: s.persistMs, nameKey: s.nameKey(h) }, session, identities, (t) => ctx.out.detail(t));
}
