// Carrying bytes between this process's stdin/stdout and a connection: `-W host:port` (a direct-tcpip
// channel from the instance, e.g. for another ssh's ProxyCommand) and `--stdio NAME` (the instance's
// own SSH port, looked up now, for `ProxyCommand ec2ssh --stdio ID` in ~/.ssh/config: the outer ssh
// then does the SSH itself and checks the host key against ec2term's pins via HostKeyAlias).
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AwsContext } from '../../lib/aws.js';
import type { Ec2 } from '../../lib/ec2.js';
import { ConnectionError } from '../../lib/errors.js';
import { tunnelThrough, wrongFamily } from '../../lib/ssh/tunnel.js';
import { pinHostKey } from '../../lib/ssh/connect.js';
import type { SshSession } from '../../lib/ssh/connect.js';
import type { CommandContext, CommandResult } from '../types.js';
import type { SshPlan } from './options.js';
import { connectJumps, connectOptions, resolveTarget } from './run.js';

/** Pipes stdin -> stream and stream -> stdout until both directions end. Resolves 0, or 255 on an error. */
export function pipeStdio(ctx: CommandContext, stream: Duplex): Promise<number> {
  return new Promise((resolve) => {
    let failed = false;
    ctx.io.stdin.pipe(stream);
    stream.pipe(ctx.io.stdout, { end: false });
    const done = () => {
      ctx.io.stdin.unpipe(stream);
      (ctx.io.stdin as NodeJS.ReadStream).pause?.();
      resolve(failed ? 255 : 0);
    };
    stream.once('error', (err: Error) => {
      failed = true;
      ctx.out.warn(`${ctx.program}: ${err.message}`);
      done();
    });
    stream.once('close', done);
    stream.once('end', done);
    ctx.signal.addEventListener('abort', () => stream.destroy(), { once: true });
  });
}

/** -W host:port over an authenticated session. */
export async function stdioForward(ctx: CommandContext, session: SshSession, host: string, port: number): Promise<number> {
  const stream = await tunnelThrough(session, host, port).catch((err) => {
    throw new ConnectionError(`-W ${host}:${port}: ${(err as Error).message.replace(/^the jump host \S+ /, 'the instance ')}`);
  });
  return pipeStdio(ctx, stream);
}

/** --stdio NAME: verify (and pin, on first contact) the host key, then carry the raw SSH port. */
export async function stdioProxy(ctx: CommandContext, plan: SshPlan, aws: AwsContext, ec2: Ec2): Promise<CommandResult> {
  const instance = await resolveTarget(ctx, plan.target!, ec2, 'connect to');
  const hops = await connectJumps(ctx, plan, aws, ec2);
  const via = hops[hops.length - 1];
  try {
    // The outer ssh checks the key against the pin: pin it first if this is the first contact.
    const { target } = await pinHostKey(instance, { ...connectOptions(ctx, plan, aws, ec2), via });
    let stream: Duplex;
    if (via) stream = await tunnelThrough(via, target.host, target.port);
    else {
      const problem = wrongFamily(target.host, plan.family);
      if (problem) throw new ConnectionError(`cannot connect to ${target.host}: ${problem}`);
      stream = await new Promise<Duplex>((resolve, reject) => {
        const sock = netConnect({ host: target.host, port: target.port, family: plan.family, timeout: plan.connectTimeoutMs });
        sock.setNoDelay(true);
        sock.once('connect', () => {
          sock.setTimeout(0);
          resolve(sock);
        });
        sock.once('timeout', () => sock.destroy(new Error('timed out')));
        sock.once('error', (err) => reject(new ConnectionError(`cannot connect to ${target.host} port ${target.port}: ${err.message}`)));
      });
    }
    ctx.out.detail(`carrying ${target.host} port ${target.port} on stdin/stdout`);
    return { exitCode: await pipeStdio(ctx, stream) };
  } finally {
    await Promise.all(hops.map((h) => h.close().catch(() => {})));
  }
}
