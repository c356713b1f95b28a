// ec2scp: resolve each instance named in the operands, connect once per [user@]instance, open SFTP,
// and hand both sides to the transfer engine (src/lib/transfer). Remote-to-remote copies stream
// through this machine (two connections), so the instances need not reach each other.
import { ConnectionError, ExitCode, UsageError } from '../../lib/errors.js';
import { sdkEc2 } from '../../lib/ec2.js';
import { resolveInstance } from '../../lib/resolve.js';
import type { SshSession } from '../../lib/ssh/index.js';
import type { TransferFs } from '../../lib/transfer/fs.js';
import type { RunCommand } from '../types.js';
import { planScp, type Operand } from './plan.js';

const hostKey = (o: { host: string; user?: string }) => `${o.user ?? ''}@${o.host}`;

/** The -i key and the local target's folder must exist before any AWS call (UsageError, exit 2). */
async function checkLocalSide(plan: ReturnType<typeof planScp>): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const { dirname, resolve } = await import('node:path');
  const missing = async (p: string, f: (p: string) => Promise<unknown>) => f(p).then(() => false, () => true);
  const id = plan.options.identityFile;
  if (id !== undefined && !id.startsWith('~') && (await missing(id, stat))) throw new UsageError(`-i ${id}: no such key file`);
  if (plan.target.kind === 'local') {
    const folder = plan.target.path.endsWith('/') ? resolve(plan.target.path) : dirname(resolve(plan.target.path));
    if (await missing(folder, stat)) throw new UsageError(`${plan.target.path}: the local folder ${folder} does not exist`);
  }
}

export const run: RunCommand = async (ctx, args, options) => {
  const plan = planScp(args, options);
  const [{ connectToInstance }, { localFs, sftpFs }, { transfer, TransferConnectionLost }, { ProgressBar }] = await Promise.all([
    import('../../lib/ssh/index.js'),
    import('../../lib/transfer/fs.js'),
    import('../../lib/transfer/engine.js'),
    import('../../lib/transfer/progress.js'),
  ]);
  await checkLocalSide(plan);
  const aws = await ctx.aws();
  const ec2 = await sdkEc2(aws, aws.region, ctx.signal);

  const sessions: SshSession[] = [];
  const remotes = new Map<string, TransferFs>();
  const local = localFs();
  const fsOf = (o: Operand): TransferFs => (o.kind === 'local' ? local : remotes.get(hostKey(o))!);
  const progress = ctx.io.stderrIsTTY && !ctx.global.quiet && !plan.options.quiet ? new ProgressBar(ctx.io.stderr, () => ctx.io.columns()) : undefined;
  const say = (line: string) => {
    progress?.clear();
    ctx.io.stderr.write(`${ctx.program}: ${line}\n`);
  };

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
