// ec2scp: check the local side (checkLocal, before any AWS call), resolve each instance named in the
// operands, connect once per [user@]instance, open SFTP, and hand both sides to the transfer engine
// (src/lib/transfer). Remote-to-remote copies stream through this machine (two connections), so the
// instances need not reach each other.
import { ConnectionError, ExitCode, UsageError } from '../../lib/errors.js';
import { expandHome } from '../../lib/config-files.js';
import { readIfExists } from '../../lib/fsutil.js';
import { noPrompt } from '../../lib/prompt.js';
import { connectionSettings } from '../../lib/ssh/settings.js';
import { bandwidthThrottle, limitBytesPerSecond } from '../../lib/transfer/limit.js';
import { withDefaults, type ConnectionPlan } from '../ssh/options.js';
import { resolveInstance } from '../../lib/resolve.js';
import type { SshSession } from '../../lib/ssh/index.js';
import type { TransferFs } from '../../lib/transfer/fs.js';
import type { CommandOptions, RunCommand } from '../types.js';
import { checkLocal, localPathsToCheck, planScp, type LocalFact, type Operand } from './plan.js';

const hostKey = (o: { host: string; user?: string }) => `${o.user ?? ''}@${o.host}`;

const REASONS: Record<string, string> = {
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** Looks at each local path checkLocal needs (stat, then access for files and folders). Never throws. */
async function localFacts(paths: string[]): Promise<Map<string, LocalFact>> {
  const { access, constants, stat } = await import('node:fs/promises');
  const facts = new Map<string, LocalFact>();
  await Promise.all(
    paths.map(async (p) => {
      let fact: LocalFact;
      try {
        const st = await stat(p);
        const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
        const mode = kind === 'dir' ? constants.R_OK | constants.X_OK : constants.R_OK;
        fact = { kind, readable: kind === 'other' || (await access(p, mode).then(() => true, () => false)) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        fact = code === 'ENOENT' ? { kind: 'missing' } : { kind: 'error', reason: REASONS[code] ?? (err as Error).message };
      }
      facts.set(p, fact);
    }),
  );
  return facts;
}

/** ec2scp's connection settings for one host: the flags, -o, and the -F file's block for that name. */
function settingsFor(options: CommandOptions, host: string, configText: string | undefined): ConnectionPlan {
  // scp's -l is a bandwidth limit and -A/-C/-J/-4/-6 mean what they mean for ssh; -l USER does not exist.
  const { l: _limit, ...flags } = options;
  return withDefaults(connectionSettings(flags, host, configText, undefined, 'ec2scp'));
}

export const run: RunCommand = async (ctx, args, options) => {
  const plan = planScp(args, options);
  let configText: string | undefined;
  if (options.F !== undefined && options.F !== 'none') {
    configText = await readIfExists(expandHome(String(options.F), ctx.io.env));
    if (configText === undefined) throw new UsageError(`-F ${options.F}: no such file`);
  }
  // Checked before any AWS call: a bad -o or -F value is exit 2 with nothing contacted.
  const perHost = new Map(plan.hosts.map((h) => [hostKey(h), settingsFor(options, h.host, configText)]));
  for (const note of [...plan.options.notes, ...[...perHost.values()][0]?.notes ?? []]) ctx.out.info(`${ctx.program}: ${note}`);
  // The local side first, like scp: a missing source or target folder is exit 2 with no AWS call and no
  // connection. Some bad sources among good ones are left to the transfer (copies the rest, exit 1).
  const facts = await localFacts(localPathsToCheck(plan));
  checkLocal(plan, (p) => facts.get(p) ?? { kind: 'missing' });
  const [{ connectToInstance, warmSsh2 }, { localFs }, { sftpPool, wantsWidth }, { transfer, TransferConnectionLost }, { ProgressBar }] = await Promise.all([
    import('../../lib/ssh/index.js'),
    import('../../lib/transfer/fs.js'),
    import('../../lib/transfer/pool.js'),
    import('../../lib/transfer/engine.js'),
    import('../../lib/transfer/progress.js'),
  ]);
  const { offerScpShare, scpShareSettings, sharedSftpFor } = await import('./shared.js');
  const share = await scpShareSettings(ctx, plan, options);
  // AWS only when some host has no shared connection to use (shared.ts).
  let awsAndEc2: Promise<[Awaited<ReturnType<typeof ctx.aws>>, Awaited<ReturnType<typeof ctx.ec2>>]> | undefined;
  const clients = () => (awsAndEc2 ??= Promise.all([ctx.aws(), ctx.ec2()]));
  warmSsh2();

  const sessions: SshSession[] = [];
  const remotes = new Map<string, TransferFs>();
  // A big copy opens more SFTP channels on each connection (pool.ts: one window each on a long link).
  const wideners: (() => void)[] = [];
  const local = localFs();
  const fsOf = (o: Operand): TransferFs => (o.kind === 'local' ? local : remotes.get(hostKey(o))!);
  const progress = ctx.io.stderrIsTTY && !ctx.global.quiet && !plan.options.quiet ? new ProgressBar(ctx.out.status, () => ctx.io.columns()) : undefined;
  const say = (line: string) => ctx.out.stderrLine(`${ctx.program}: ${line}`);

  // Ctrl-C / SIGTERM: the engine stops at the next chunk and removes its temporary files; if a server
  // stops answering, cut the connections after a grace period so pending requests fail instead of hanging.
  const onAbort = () => setTimeout(() => sessions.forEach((s) => void s.close().catch(() => undefined)), 2_000).unref();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const h of plan.hosts) {
      const viaMaster = share ? await sharedSftpFor(ctx, share, h) : undefined;
      if (viaMaster) {
        const pool = sftpPool(viaMaster.sftp, h.host);
        wideners.push(() => pool.widen(viaMaster.open));
        remotes.set(hostKey(h), pool);
        continue;
      }
      const [aws, ec2] = await clients();
      const c = perHost.get(hostKey(h))!;
      const instance = await resolveInstance(c.hostName ?? h.host, { ec2, prompt: ctx.prompt }, { purpose: 'copy files with' });
      const base = {
        aws,
        ec2,
        identitiesOnly: c.identitiesOnly,
        knownHostsFile: c.knownHostsFile ? expandHome(c.knownHostsFile, ctx.io.env) : undefined,
        hostKeyPolicy: c.hostKeyPolicy,
        timeoutMs: c.connectTimeoutMs,
        keepAliveMs: c.keepAliveMs,
        keepAliveCountMax: c.keepAliveCountMax,
        compression: c.compression,
        family: c.family,
        prompt: c.batch ? noPrompt('BatchMode=yes (-B)') : ctx.prompt,
        access: plan.access,
        out: ctx.out,
        env: ctx.io.env,
        signal: ctx.signal,
        clock: ctx.clock,
        program: ctx.program,
      };
      // -J: each hop is an instance of its own (its user, launch key and pinned host key).
      let via: SshSession | undefined;
      for (const word of c.jump) {
        const hop = await resolveInstance(word.slice(word.lastIndexOf('@') + 1), { ec2, prompt: ctx.prompt }, { purpose: 'jump through' });
        via = await connectToInstance(hop, { ...base, user: word.includes('@') ? word.slice(0, word.lastIndexOf('@')) : undefined, via });
        sessions.push(via);
      }
      const session = await connectToInstance(instance, {
        ...base,
        user: h.user ?? c.user,
        identityFile: c.identityFiles.length ? c.identityFiles.map((f) => expandHome(f, ctx.io.env)) : undefined,
        port: c.port,
        forwardAgent: c.forwardAgent,
        via,
      });
      sessions.push(session);
      if (share) {
        const { planTarget } = await import('../../lib/ssh/connect.js');
        const target = await planTarget(session.instance, { aws, ec2, user: session.user, identityFile: c.identityFiles.length ? c.identityFiles.map((f) => expandHome(f, ctx.io.env)) : undefined, port: c.port, env: ctx.io.env });
        await offerScpShare(ctx, share, h, session, target.identities);
      }
      let sftp;
      try {
        sftp = await session.sftp();
      } catch (err) {
        throw new ConnectionError(`${h.host}: cannot start SFTP (${(err as Error).message})`, {
          hint: 'the instance\'s sshd needs an sftp Subsystem (OpenSSH has one by default)',
          cause: err,
        });
      }
      const pool = sftpPool(sftp, h.host);
      wideners.push(() => pool.widen(() => session.sftp()));
      remotes.set(hostKey(h), pool);
    }

    let summary;
    try {
      summary = await transfer(
        plan.sources.map((s) => ({ fs: fsOf(s), path: s.path })),
        { fs: fsOf(plan.target), path: plan.target.path },
        {
          recursive: plan.options.recursive,
          preserve: plan.options.preserve,
          resume: plan.options.resume,
          parallel: plan.options.parallel,
          chunkSize: plan.options.chunkSize,
          inFlight: plan.options.requests && plan.options.requests * (plan.options.chunkSize ?? 256 * 1024),
          throttle: plan.options.limitKbits ? bandwidthThrottle(limitBytesPerSecond(plan.options.limitKbits)) : undefined,
          signal: ctx.signal,
          events: {
            planned: (files, bytes) => {
              progress?.start(files, bytes);
              if (wantsWidth(files, bytes)) wideners.forEach((w) => w());
            },
            fileStart: (job) => progress?.file(job.dst.display(job.dstPath)),
            bytes: (n) => progress?.add(n),
            fileDone: () => progress?.fileDone(),
            failed: (msg) => say(msg),
            notice: (msg) => {
              if (!ctx.global.quiet) say(msg);
            },
          },
        },
      );
    } catch (err) {
      progress?.stop(false);
      if (err instanceof TransferConnectionLost) throw new ConnectionError(err.message, { cause: err });
      throw err;
    }
    progress?.stop(summary.files > 0);
    const failures = summary.failed.length;
    return {
      exitCode: failures > 0 ? ExitCode.failure : ExitCode.ok,
      json: {
        files: summary.files,
        bytes: summary.bytes,
        resumedBytes: summary.resumedBytes,
        seconds: Math.round(summary.seconds * 1000) / 1000,
        bytesPerSecond: summary.seconds > 0 ? Math.round(summary.bytes / summary.seconds) : null,
        failed: summary.failed,
      },
      render: () => {},
    };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  }
};
