// -f: go to the background once logged in. Node cannot fork, so ec2ssh starts itself again, detached,
// with the same arguments and EC2TERM_SSH_BACKGROUND=1; the copy logs in (and starts its forwards),
// then says "ready" on a pipe (fd 3) and the first one exits 0. If the copy fails first, its error is
// already on stderr (shared) and the first one exits with its status. stdin is /dev/null (-f implies -n).
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { CommandContext } from '../types.js';

const FLAG = 'EC2TERM_SSH_BACKGROUND';

export function backgroundChild(env: NodeJS.ProcessEnv): boolean {
  return env[FLAG] === '1';
}

/** In the background copy: tell the waiting parent that the login (and forwards) succeeded. */
export function backgroundReady(ctx: CommandContext): void {
  ctx.out.detail(`in the background (pid ${process.pid})`);
  try {
    writeSync(3, 'ready\n');
    closeSync(3);
  } catch {
    // Not started by goToBackground (no fd 3): nothing to tell.
  }
}

/** In the first process: start the background copy and wait until it is ready (0) or gone (its status). */
export function goToBackground(ctx: CommandContext): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...ctx.io.env, [FLAG]: '1' },
  });
  return new Promise((resolve) => {
    let ready = false;
    child.stdio[3]!.on('data', () => {
      if (ready) return;
      ready = true;
      child.unref();
      (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
      resolve(0);
    });
    child.stdio[3]!.on('error', () => {});
    child.once('error', (err) => {
      ctx.out.warn(`-f: cannot start the background process: ${err.message}`);
      resolve(255);
    });
    child.once('exit', (code, signal) => {
      if (!ready) resolve(code ?? (signal ? 128 + 15 : 255));
    });
  });
}
