// ec2ssh over a shared connection (src/lib/share): a reconnect within the persist time runs its command
// through the master the first run left behind, with no name look-up and no SSH handshake. A run that
// connected directly offers its connection's details to a new master for the runs after it.
// Off with --no-share or EC2TERM_SHARE=0; forwards (-L/-R/-N/--tunnel) always connect directly.
import { UsageError } from '../../lib/errors.js';
import { nameKeyFor, shareOffInEnv, shareScope } from '../../lib/share/key.js';
import type { SshSession } from '../../lib/ssh/connect.js';
import type { IdentityCandidate } from '../../lib/ssh/keys.js';
import type { CommandContext, CommandOptions } from '../types.js';
import { DEFAULT_PERSIST_MS } from '../../lib/share/defaults.js';
import type { SshPlan } from './options.js';

export { DEFAULT_PERSIST_MS };

export interface ShareSettings {
  dir: string;
  /** The name cache's key for what the user typed, in this AWS scope. */
  nameKey: string;
  /** The AWS scope (local target, region, profile, endpoint): part of every key. */
  scope: string[];
  persistMs: number;
}

/** Pure: --share-persist SECONDS -> ms (0 = do not share). */
export function parsePersist(value: unknown): number {
  if (value === undefined) return DEFAULT_PERSIST_MS;
  const s = String(value).trim();
  if (!/^\d+$/.test(s) || Number(s) > 7 * 24 * 3600) throw new UsageError(`bad --share-persist "${s}": expected whole seconds (0 turns sharing off)`);
  return Number(s) * 1000;
}

/** Pure: may this run use or start a shared connection, and under which keys? undefined when not. */
export function shareSettings(
  plan: SshPlan,
  options: CommandOptions,
  global: { region?: string; profile?: string; endpointUrl?: string; local: boolean },
  env: NodeJS.ProcessEnv,
  dir: string,
): ShareSettings | undefined {
  const persistMs = parsePersist(options.sharePersist);
  if (options.share === false || shareOffInEnv(env) || persistMs === 0) return undefined;
  if (plan.mode !== 'connect' || plan.noCommand || plan.tunnel || plan.localForwards.length || plan.remoteForwards.length || !plan.target) return undefined;
  // What a master's plain session cannot give: forwards of other kinds, X11, the agent, -f.
  if (plan.dynamicForwards.length || plan.stdioForward || plan.background || plan.x11 !== 'none' || plan.forwardAgent) return undefined;
  const scope = shareScope(global, env);
  return { dir, nameKey: nameKeyFor(scope, { ...plan, target: plan.target }), scope, persistMs };
}

export async function settingsFor(ctx: CommandContext, plan: SshPlan, options: CommandOptions): Promise<ShareSettings | undefined> {
  const { shareDir } = await import('../../lib/share/paths.js');
  return shareSettings(plan, options, ctx.global, ctx.io.env, shareDir(ctx.io.env));
}

export { trySharedSession, type SharedIo } from './shared-session.js';
import type { SharedIo } from './shared-session.js';

export const sharedIoOf = (ctx: CommandContext): SharedIo => ({
  ...ctx.io,
  signal: ctx.signal,
  detail: (t) => ctx.out.detail(t),
  warn: (t) => ctx.out.warn(t),
});

/** After a direct connect: remember the name and start a master for the runs after this one (offer.ts). */
export async function offerShare(ctx: CommandContext, s: ShareSettings, session: SshSession, identities: IdentityCandidate[]): Promise<void> {
  const { offerConnection } = await import('../../lib/share/offer.js');
  await offerConnection(s, session, identities, (t) => ctx.out.detail(t));
}
