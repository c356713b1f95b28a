// ec2scp: check the local side (checkLocal, before any AWS call), resolve each instance named in the
// operands, connect once per [user@]instance, open SFTP, and hand both sides to the transfer engine
// (src/lib/transfer). Remote-to-remote copies stream through this machine (two connections), so the
// instances need not reach each other.
import { ConnectionError, ExitCode } from '../../lib/errors.js';
import { resolveInstance } from '../../lib/resolve.js';
import type { SshSession } from '../../lib/ssh/index.js';
import type { TransferFs } from '../../lib/transfer/fs.js';
import type { RunCommand } from '../types.js';
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

export const run: RunCommand = async (ctx, args, options) => {
  const plan = planScp(args, options);
  // The local side first, like scp: a missing source or target folder is exit 2 with no AWS call and no
  // connection. Some bad sources among good ones are left to the transfer (copies the rest, exit 1).
  const facts = await localFacts(localPathsToCheck(plan));
  checkLocal(plan, (p) => facts.get(p) ?? { kind: 'missing' });
  const [{ connectToInstance, warmSsh2 }, { localFs, sftpFs }, { transfer, TransferConnectionLost }, { ProgressBar }] = await Promise.all([
    import('../../lib/ssh/index.js'),
    import('../../lib/transfer/fs.js'),
    import('../../lib/transfer/engine.js'),
    import('../../lib/transfer/progress.js'),
  ]);
  const aws = await ctx.aws();
  const ec2 = await ctx.ec2();
  warmSsh2();

  const sessions: SshSession[] = [];
  const remotes = new Map<string, TransferFs>();
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
      const instance = await resolveInstance(h.host, { ec2, prompt: ctx.prompt }, { purpose: 'copy files with' });
      const session = await connectToInstance(instance, {
        aws,
        ec2,
        user: h.user,
        identityFile: plan.options.identityFile,
        port: plan.options.port,
        hostKeyPolicy: options.acceptNew ? 'accept-new' : 'verify',
        prompt: ctx.prompt,
        out: ctx.out,
        env: ctx.io.env,
        signal: ctx.signal,
        clock: ctx.clock,
        program: ctx.program,
      });
      sessions.push(session);
      let sftp;
      try {
        sftp = await session.sftp();
      } catch (err) {
        throw new ConnectionError(`${h.host}: cannot start SFTP (${(err as Error).message})`, {
          hint: 'the instance\'s sshd needs an sftp Subsystem (OpenSSH has one by default)',
          cause: err,
        });
      }
      remotes.set(hostKey(h), sftpFs(sftp, h.host));
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
          signal: ctx.signal,
          events: {
            planned: (files, bytes) => progress?.start(files, bytes),
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
