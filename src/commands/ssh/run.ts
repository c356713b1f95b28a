// ec2ssh: resolve the target, connect with a verified host key, then a shell, a command, forwards,
// or one of the print modes (--print, --ssh-config, --forget-host-key).
import { existsSync } from 'node:fs';
import type { Ec2 } from '../../lib/ec2.js';
import { CancelledError, NotFoundError, UsageError } from '../../lib/errors.js';
import { expandHome } from '../../lib/config-files.js';
import { LOOKS_LIKE_INSTANCE_ID } from '../../lib/ids.js';
import { label, LIVE_STATES, reachableAddress, type InstanceInfo } from '../../lib/instances.js';
import { keyFileCandidates, knownHostsPath } from '../../lib/paths.js';
import { noPrompt } from '../../lib/prompt.js';
import { resolveInstance, matchesPattern } from '../../lib/resolve.js';
import type { AwsContext } from '../../lib/aws.js';
import { connectToInstance, pinHostKey, planTarget, usersForImages, type ConnectOptions } from '../../lib/ssh/connect.js';
import { warmSsh2 } from '../../lib/ssh/connection.js';
import { startLocalForward, startRemoteForward, type ActiveForward } from '../../lib/ssh/forward.js';
import { KnownHosts } from '../../lib/ssh/knownhosts.js';
import { hostAlias, opensshArgs, opensshCommand, sshConfigBlock, type OpenSshTarget } from '../../lib/ssh/openssh.js';
import { sshConfigComment } from '../../lib/untrusted.js';
import type { CommandContext, CommandResult, RunCommand } from '../types.js';
import { planSsh, wantsPty, GRAPHTERM_PORT, type SshPlan } from './options.js';
import { offerShare, settingsFor, sharedIoOf, trySharedSession, type ShareSettings } from './shared.js';

export const run: RunCommand = async (ctx, args, options) => {
  const plan = planSsh(args, options);
  plan.identityFiles = plan.identityFiles.map((f) => expandHome(f, ctx.io.env));
  const missing = plan.identityFiles.find((f) => !existsSync(f));
  if (missing) throw new UsageError(`-i ${missing}: no such file`);
  // A session's stdout is the remote command's: JSON there would mix with it (`| jq` breaks).
  if ((ctx.global.output !== 'table' || ctx.global.query !== undefined) && plan.mode === 'connect' && !plan.noCommand) {
    const flag = ctx.global.query !== undefined ? '--query' : ctx.global.json ? '--json' : `--output ${ctx.global.output}`;
    throw new UsageError(`${flag} cannot share stdout with the remote command: drop it (ec2ssh exits with the command's status), or use --print --json for the command line as JSON`);
  }
  // A reconnect through a shared connection needs no AWS call and no handshake (shared.ts).
  const share = plan.mode === 'connect' ? await settingsFor(ctx, plan, options) : undefined;
  if (share) {
    const status = await trySharedSession(sharedIoOf(ctx), plan, share);
    if (status) return { exitCode: status.code };
  }
  const aws = await ctx.aws();
  const ec2 = await ctx.ec2();
  switch (plan.mode) {
    case 'ssh-config':
      return sshConfig(ctx, plan, aws, ec2);
    case 'forget':
      return forget(ctx, plan, ec2);
    case 'print':
      return print(ctx, plan, aws, ec2);
    default:
      return connect(ctx, plan, aws, ec2, share);
  }
};

function connectOptions(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): ConnectOptions {
  return {
    aws,
    ec2,
    user: plan.user,
    identityFile: plan.identityFiles.length ? plan.identityFiles : undefined,
    port: plan.port,
    hostKeyPolicy: plan.hostKeyPolicy,
    timeoutMs: plan.connectTimeoutMs,
    keepAliveMs: plan.keepAliveMs,
    signal: ctx.signal,
    prompt: plan.batch ? noPrompt('BatchMode=yes') : ctx.prompt,
    out: ctx.out,
    env: ctx.io.env,
    clock: ctx.clock,
    program: ctx.program,
  };
}

function resolve(ctx: CommandContext, plan: SshPlan, ec2: Ec2, purpose: string): Promise<InstanceInfo> {
  return resolveInstance(plan.target!, { ec2, prompt: ctx.prompt }, { purpose });
}

/** The key file an OpenSSH command should name: -i, else the launch key's file if it exists. */
function identityFileFor(ctx: CommandContext, plan: SshPlan, aws: AwsContext, i: InstanceInfo): string | undefined {
  if (plan.identityFiles.length) return plan.identityFiles[0];
  if (!i.keyName) return undefined;
  return keyFileCandidates(ctx.io.env, { keyName: i.keyName, region: i.region, keyDir: aws.local?.keyDir }).find((p) => existsSync(p));
}

async function connect(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2, share?: ShareSettings): Promise<CommandResult> {
  warmSsh2();
  const instance = await resolve(ctx, plan, ec2, 'log in to');
  const session = await connectToInstance(instance, connectOptions(ctx, plan, aws, ec2));
  const offered = share
    ? planTarget(session.instance, { ...connectOptions(ctx, plan, aws, ec2), user: session.user }).then((t) => offerShare(ctx, share, session, t.identities), () => undefined)
    : undefined;
  const forwards: ActiveForward[] = [];
  const warn = (t: string) => ctx.out.warn(t);
  try {
    for (const f of plan.localForwards) {
      if (plan.tunnel && f.bindPort === GRAPHTERM_PORT && f.hostPort === GRAPHTERM_PORT) {
        // --tunnel: 8900 here if free, else any free port.
        const fwd = await startLocalForward(session, f, warn).catch(() => startLocalForward(session, { ...f, bindPort: 0 }, warn));
        forwards.push(fwd);
        ctx.out.line(`http://localhost:${fwd.port}/`);
        ctx.out.info(`ec2ssh: GraphTerm on ${label(instance)} is forwarded to http://localhost:${fwd.port}/ (Ctrl-C to stop)`);
      } else {
        forwards.push(await startLocalForward(session, f, warn));
      }
    }
    for (const f of plan.remoteForwards) {
      const fwd = await startRemoteForward(session, f, warn);
      if (f.bindPort === 0) ctx.out.info(`Allocated port ${fwd.port} for remote forward to ${f.host}:${f.hostPort}`);
      forwards.push(fwd);
    }
    if (plan.noCommand) {
      await new Promise<void>((resolveWait, reject) => {
        if (ctx.signal.aborted) return reject(new CancelledError('interrupted'));
        ctx.signal.addEventListener('abort', () => reject(new CancelledError('forwarding stopped')), { once: true });
        session.closed.then(() => resolveWait());
      });
      return { exitCode: 0 };
    }
    const { runSession } = await import('./session.js');
    const stdinIsTTY = Boolean((ctx.io.stdin as NodeJS.ReadStream).isTTY);
    if (plan.pty === 'force' && !stdinIsTTY) ctx.out.detail('allocating a PTY although stdin is not a terminal (-t)');
    const status = await runSession(session, {
      command: plan.command,
      pty: wantsPty(plan, stdinIsTTY),
      nullStdin: plan.nullStdin,
      io: ctx.io,
      signal: ctx.signal,
    });
    return { exitCode: status.code, json: { instance: instance.id, exitCode: status.code, signal: status.signal } };
  } finally {
    await offered;
    await Promise.all(forwards.map((f) => f.close().catch(() => {})));
    await Promise.race([session.close(), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }
}

async function print(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): Promise<CommandResult> {
  const instance = await resolve(ctx, plan, ec2, 'print the ssh command for');
  const pinned = await pinHostKey(instance, connectOptions(ctx, plan, aws, ec2));
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
}

async function sshConfig(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): Promise<CommandResult> {
  let instances: InstanceInfo[];
  if (plan.targets.length === 0) {
    instances = (await ec2.describeInstances({ states: LIVE_STATES })).sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
  } else {
    instances = [];
    for (const target of plan.targets) {
      const hasWildcard = /[*?]/.test(target);
      if (hasWildcard) {
        const all = await ec2.describeInstances({ states: LIVE_STATES });
        const hits = all.filter((i) => matchesPattern(i, target));
        if (hits.length === 0) throw new NotFoundError(`no instance matches "${target}"`);
        instances.push(...hits);
      } else instances.push(await resolveInstance(target, { ec2, prompt: ctx.prompt }, { purpose: 'write a Host block for' }));
    }
  }
  const users = await usersForImages(ec2, instances.filter((i) => !i.user && !plan.user).map((i) => i.imageId ?? ''));
  const knownHosts = new KnownHosts(knownHostsPath(ctx.io.env));
  const entries = await knownHosts.entries();
  const blocks: string[] = [];
  const json: unknown[] = [];
  const seenAliases = new Set<string>();
  for (const i of instances) {
    const host = reachableAddress(i);
    let alias = hostAlias(i.name, i.id);
    if (seenAliases.has(alias)) alias = i.id;
    seenAliases.add(alias);
    if (i.name && alias === i.id && hostAlias(i.name, 'none') === 'none') {
      ctx.out.warn(`${i.id}: its Name tag cannot be a Host alias (control or bidi characters, or another instance's id); its block is named ${i.id}`);
    }
    if (!host) {
      blocks.push(sshConfigComment(`ec2term: ${label(i)} is ${i.state} and has no address; run ec2ssh --ssh-config again once it is running`));
      continue;
    }
    const t: OpenSshTarget = {
      instanceId: i.id,
      alias,
      host,
      port: plan.port ?? i.sshPort,
      user: plan.user ?? i.user ?? users.get(i.imageId ?? '') ?? 'ubuntu',
      identityFile: identityFileFor(ctx, plan, aws, i),
      knownHostsFile: knownHosts.path,
    };
    const pinned = entries.some((e) => e.hosts.includes(i.id));
    const notes = [`${label(i)}, ${i.state}${i.dnsRecord ? `, ${i.dnsRecord}` : ''}`];
    if (!pinned) notes.push(`host key not pinned yet: run \`ec2ssh --print ${alias}\` once to verify and pin it`);
    const block = sshConfigBlock(t, notes);
    if (block.problem !== undefined) {
      // Written raw, such a value would become a directive of its own (ProxyCommand runs code).
      ctx.out.warn(`left out ${label(i)}: ${block.problem}`);
      continue;
    }
    blocks.push(block.text);
    json.push({ ...t, pinned });
  }
  return {
    json,
    render: (out) => {
      if (blocks.length === 0) out.info('ec2ssh: no live instances');
      // out.line keeps one line per call: the blocks' lines go one by one.
      for (const l of blocks.join('\n\n').split('\n')) out.line(l);
    },
  };
}

async function forget(ctx: CommandContext, plan: SshPlan, ec2: Ec2): Promise<CommandResult> {
  const knownHosts = new KnownHosts(knownHostsPath(ctx.io.env));
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
