// ec2ssh: resolve the target (through -J jump hosts), connect with a verified host key, then a shell, a
// command, forwards (-L -R -D), a stdio forward (-W, --stdio), or one of the print modes (--print,
// --ssh-config, --forget-host-key). -f goes to the background once logged in.
import { existsSync } from 'node:fs';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, NotFoundError, UsageError } from '../../lib/errors.js';
import { expandHome } from '../../lib/config-files.js';
import { readIfExists } from '../../lib/fsutil.js';
import { LOOKS_LIKE_INSTANCE_ID } from '../../lib/ids.js';
import { label, LIVE_STATES, type InstanceInfo } from '../../lib/instances.js';
import { keyFileCandidates, knownHostsPath } from '../../lib/paths.js';
import { noPrompt } from '../../lib/prompt.js';
import { resolveInstance } from '../../lib/resolve.js';
import type { AwsContext } from '../../lib/aws.js';
import { connectToInstance, pinHostKey, planTarget, type ConnectOptions, type SshSession } from '../../lib/ssh/connect.js';
import { warmSsh2 } from '../../lib/ssh/connection.js';
import { startLocalForward, startRemoteForward, type ActiveForward } from '../../lib/ssh/forward.js';
import { startDynamicForward } from '../../lib/ssh/socks.js';
import { KnownHosts } from '../../lib/ssh/knownhosts.js';
import { hostAlias, opensshArgs, opensshCommand, type OpenSshTarget } from '../../lib/ssh/openssh.js';
import type { CommandContext, CommandResult, RunCommand } from '../types.js';
import { backgroundChild, backgroundReady, goToBackground } from './background.js';
import { planSsh, wantsPty, GRAPHTERM_PORT, type SshPlan } from './options.js';
import { offerShare, settingsFor, sharedIoOf, trySharedSession, type ShareSettings } from './shared.js';

/** -F FILE: its text (none for `-F none`); a missing file is a usage error, as in OpenSSH. */
async function configText(ctx: CommandContext, file: unknown): Promise<string | undefined> {
  if (file === undefined || file === 'none') return undefined;
  const path = expandHome(String(file), ctx.io.env);
  const text = await readIfExists(path);
  if (text === undefined) throw new UsageError(`-F ${path}: no such file`);
  return text;
}

export const run: RunCommand = async (ctx, args, options) => {
  const plan = planSsh(args, options, await configText(ctx, options.F));
  if (plan.logLevel === 'quiet') (ctx.out as { quiet: boolean }).quiet = true;
  if (plan.logLevel === 'verbose') (ctx.out as { verbose: boolean }).verbose = true;
  for (const note of plan.notes) ctx.out.info(`${ctx.program}: ${note}`);
  plan.identityFiles = plan.identityFiles.map((f) => expandHome(f, ctx.io.env));
  if (plan.knownHostsFile) plan.knownHostsFile = expandHome(plan.knownHostsFile, ctx.io.env);
  const missing = plan.identityFiles.find((f) => !existsSync(f));
  if (missing) throw new UsageError(`-i ${missing}: no such file`);
  // A session's stdout is the remote command's: JSON there would mix with it (`| jq` breaks).
  const sessionOwnsStdout = plan.mode === 'stdio' || (plan.mode === 'connect' && !plan.noCommand) || plan.stdioForward !== undefined;
  if ((ctx.global.output !== 'table' || ctx.global.query !== undefined) && sessionOwnsStdout) {
    const flag = ctx.global.query !== undefined ? '--query' : ctx.global.json ? '--json' : `--output ${ctx.global.output}`;
    throw new UsageError(`${flag} cannot share stdout with the remote command: drop it (ec2ssh exits with the command's status), or use --print --json for the command line as JSON`);
  }
  // A reconnect through a shared connection needs no AWS call and no handshake (shared.ts).
  const share = plan.mode === 'connect' ? await settingsFor(ctx, plan, options) : undefined;
  if (share) {
    const status = await trySharedSession(sharedIoOf(ctx), plan, share);
    if (status) return { exitCode: status.code };
  }
  if (plan.background && !backgroundChild(ctx.io.env)) return { exitCode: await goToBackground(ctx) };
  const aws = await ctx.aws();
  const ec2 = await ctx.ec2();
  switch (plan.mode) {
    case 'ssh-config':
      return (await import('./ssh-config.js')).sshConfig(ctx, plan, aws, ec2, options);
    case 'forget':
      return forget(ctx, plan, ec2);
    case 'print':
      return print(ctx, plan, aws, ec2);
    case 'stdio':
      return (await import('./stdio.js')).stdioProxy(ctx, plan, aws, ec2);
    default:
      return connect(ctx, plan, aws, ec2, share);
  }
};

export function connectOptions(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): ConnectOptions {
  return {
    aws,
    ec2,
    user: plan.user,
    identityFile: plan.identityFiles.length ? plan.identityFiles : undefined,
    identitiesOnly: plan.identitiesOnly,
    knownHostsFile: plan.knownHostsFile,
    port: plan.port,
    access: plan.access,
    hostKeyPolicy: plan.hostKeyPolicy,
    timeoutMs: plan.connectTimeoutMs,
    keepAliveMs: plan.keepAliveMs,
    keepAliveCountMax: plan.keepAliveCountMax,
    compression: plan.compression,
    family: plan.family,
    forwardAgent: plan.forwardAgent,
    signal: ctx.signal,
    prompt: plan.batch ? noPrompt('BatchMode=yes') : ctx.prompt,
    out: ctx.out,
    env: ctx.io.env,
    clock: ctx.clock,
    program: ctx.program,
  };
}

export function resolveTarget(ctx: CommandContext, word: string, ec2: Ec2, purpose: string): Promise<InstanceInfo> {
  return resolveInstance(word, { ec2, prompt: ctx.prompt }, { purpose });
}

/**
 * -J hop[,hop...]: logs in to each jump host in turn (each its own instance: its own user, launch key
 * and pinned host key; the settings shared are the host key policy, pin file, timeouts and family).
 * Returns the connections, last one first to use; closing them is the caller's.
 */
export async function connectJumps(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): Promise<SshSession[]> {
  const hops: SshSession[] = [];
  try {
    for (const word of plan.jump) {
      const at = word.lastIndexOf('@');
      const user = at > 0 ? word.slice(0, at) : undefined;
      const name = word.slice(at + 1).replace(/:(\d+)$/, '');
      const port = /:(\d+)$/.exec(word)?.[1];
      const hop = await resolveTarget(ctx, name, ec2, 'jump through');
      const base = connectOptions(ctx, plan, aws, ec2);
      hops.push(
        await connectToInstance(hop, {
          ...base,
          user,
          port: port ? Number(port) : undefined,
          identityFile: undefined,
          forwardAgent: false,
          via: hops[hops.length - 1],
        }),
      );
    }
    return hops;
  } catch (err) {
    await Promise.all(hops.map((h) => h.close().catch(() => {})));
    throw err;
  }
}

/** The key file an OpenSSH command should name: -i, else the launch key's file if it exists. */
export function identityFileFor(ctx: CommandContext, plan: Pick<SshPlan, 'identityFiles'>, aws: AwsContext, i: InstanceInfo): string | undefined {
  if (plan.identityFiles.length) return plan.identityFiles[0];
  if (!i.keyName) return undefined;
  return keyFileCandidates(ctx.io.env, { keyName: i.keyName, region: i.region, keyDir: aws.local?.keyDir }).find((p) => existsSync(p));
}

async function startForwards(ctx: CommandContext, plan: SshPlan, session: SshSession, forwards: ActiveForward[]): Promise<void> {
  const warn = (t: string) => ctx.out.warn(t);
  for (const f of plan.localForwards) {
    if (plan.tunnel && f.bindPort === GRAPHTERM_PORT && f.hostPort === GRAPHTERM_PORT) {
      // --tunnel: 8900 here if free, else any free port.
      const fwd = await startLocalForward(session, f, warn).catch(() => startLocalForward(session, { ...f, bindPort: 0 }, warn));
      forwards.push(fwd);
      ctx.out.line(`http://localhost:${fwd.port}/`);
      ctx.out.info(`ec2ssh: GraphTerm on ${label(session.instance)} is forwarded to http://localhost:${fwd.port}/ (Ctrl-C to stop)`);
    } else {
      forwards.push(await startLocalForward(session, f, warn));
    }
  }
  for (const f of plan.remoteForwards) {
    const fwd = await startRemoteForward(session, f, warn);
    if (f.bindPort === 0) ctx.out.info(`Allocated port ${fwd.port} for remote forward to ${f.host}:${f.hostPort}`);
    forwards.push(fwd);
  }
  for (const d of plan.dynamicForwards) {
    const fwd = await startDynamicForward(session, d, warn);
    if (d.bindPort === 0) ctx.out.info(`Allocated port ${fwd.port} for dynamic forward (SOCKS)`);
    forwards.push(fwd);
  }
}

async function connect(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2, share?: ShareSettings): Promise<CommandResult> {
  warmSsh2();
  const instance = await resolveTarget(ctx, plan.target!, ec2, 'log in to');
  const hops = await connectJumps(ctx, plan, aws, ec2);
  let offered: Promise<unknown> | undefined;
  const forwards: ActiveForward[] = [];
  let session: SshSession | undefined;
  try {
    session = await connectToInstance(instance, { ...connectOptions(ctx, plan, aws, ec2), via: hops[hops.length - 1] });
    const opened = session;
    offered = share
      ? planTarget(opened.instance, { ...connectOptions(ctx, plan, aws, ec2), user: opened.user }).then((t) => offerShare(ctx, share, opened, t.identities), () => undefined)
      : undefined;
    await startForwards(ctx, plan, session, forwards);
    if (plan.stdioForward) {
      const { stdioForward } = await import('./stdio.js');
      return { exitCode: await stdioForward(ctx, session, plan.stdioForward.host, plan.stdioForward.port) };
    }
    if (backgroundChild(ctx.io.env)) backgroundReady(ctx);
    if (plan.noCommand) {
      const open = session;
      await new Promise<void>((resolveWait, reject) => {
        if (ctx.signal.aborted) return reject(new CancelledError('interrupted'));
        ctx.signal.addEventListener('abort', () => reject(new CancelledError('forwarding stopped')), { once: true });
        open.closed.then(() => resolveWait());
      });
      return { exitCode: 0 };
    }
    const { runSession } = await import('./session.js');
    const stdinIsTTY = Boolean((ctx.io.stdin as NodeJS.ReadStream).isTTY);
    if (plan.pty === 'force' && !stdinIsTTY) ctx.out.detail('allocating a PTY although stdin is not a terminal (-t)');
    const pty = wantsPty(plan, stdinIsTTY);
    const status = await runSession(session, {
      command: plan.command,
      pty,
      nullStdin: plan.nullStdin,
      io: ctx.io,
      signal: ctx.signal,
      // As ssh: escapes work in a session with a PTY, unless -e none.
      escapeChar: pty ? plan.escapeChar : null,
      forwards,
      x11: plan.x11,
      warn: (t) => ctx.out.warn(t),
    });
    return { exitCode: status.code, json: { instance: instance.id, exitCode: status.code, signal: status.signal } };
  } finally {
    await offered;
    await Promise.all(forwards.map((f) => f.close().catch(() => {})));
    const closing = [session, ...hops.reverse()].filter((s): s is SshSession => s !== undefined).map((s) => s.close());
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }
}

async function print(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): Promise<CommandResult> {
  const instance = await resolveTarget(ctx, plan.target!, ec2, 'print the ssh command for');
  const hops = await connectJumps(ctx, plan, aws, ec2);
  try {
    const pinned = await pinHostKey(instance, { ...connectOptions(ctx, plan, aws, ec2), via: hops[hops.length - 1] });
    const route = pinned.target.access.route;
    if (route.kind === 'eice') {
      ctx.out.warn(`${label(instance)} is reached through EC2 Instance Connect Endpoint ${route.endpoint.id}: OpenSSH needs it as a ProxyCommand (aws ec2-instance-connect open-tunnel --instance-id ${instance.id}); the command below goes to its private address`);
    }
    if (pinned.target.access.instanceConnect) {
      ctx.out.warn(`no key of ours for ${label(instance)}: push one first with aws ec2-instance-connect send-ssh-public-key (valid 60 s), or use ec2ssh itself`);
    }
    const t: OpenSshTarget = {
      instanceId: instance.id,
      alias: hostAlias(instance.name, instance.id),
      host: pinned.target.host,
      port: pinned.target.port,
      user: pinned.target.user,
      identityFile: identityFileFor(ctx, plan, aws, pinned.target.instance),
      knownHostsFile: pinned.target.knownHosts.path,
    };
    const command = opensshCommand(t, plan.command);
    const argv = [...opensshArgs(t), ...(plan.command ? [plan.command] : [])];
    return {
      json: { instance: instance.id, command, argv, hostKeyFingerprint: pinned.fingerprint },
      render: (out) => out.line(command),
    };
  } finally {
    await Promise.all(hops.map((h) => h.close().catch(() => {})));
  }
}

async function forget(ctx: CommandContext, plan: SshPlan, ec2: Ec2): Promise<CommandResult> {
  const knownHosts = new KnownHosts(plan.knownHostsFile ?? knownHostsPath(ctx.io.env));
  let id = plan.target!;
  let what = id;
  try {
    const i = await resolveInstance(plan.target!, { ec2, prompt: ctx.prompt }, { purpose: 'forget the host key of', states: [...LIVE_STATES, 'terminated'] });
    id = i.id;
    what = label(i);
  } catch (err) {
    // A terminated or long-gone instance can still be forgotten by its id.
    if (!(err instanceof NotFoundError) || !LOOKS_LIKE_INSTANCE_ID.test(id)) throw err;
  }
  const removed = await knownHosts.forget(id);
  ctx.out.info(
    removed > 0
      ? `ec2ssh: forgot ${removed} pinned host key${removed === 1 ? '' : 's'} of ${what} (${knownHosts.path}); the next connection verifies it against the console output again`
      : `ec2ssh: no host key was pinned for ${what} (${knownHosts.path})`,
  );
  return { json: { instance: id, removed } };
}

