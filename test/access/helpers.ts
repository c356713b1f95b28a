// Shared by the access tests: awscli against a sandbox, OpenSSH logins, waiting on instances.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { awsCli, findAws, type AwsCli } from '../helpers/awscli.js';
import type { TestSandbox } from '../helpers/sandbox.js';
import { SSH, sshAvailable } from '../helpers/sshd.js';

export { findAws };

/** awscli 1.x from PyPI (has the Instance Connect Endpoint API that Debian's 2.9 lacks): .ci/run installs it. */
export function findAwsV1(): string | undefined {
  const p = process.env.EC2TERM_AWSCLI_V1 ?? '/opt/ec2term/awscli-v1/bin/aws';
  return existsSync(p) ? p : undefined;
}

export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function instanceOf(aws: AwsCli, id: string): Promise<any> {
  return (await aws('ec2', 'describe-instances', '--instance-ids', id)).Reservations[0].Instances[0];
}

export async function running(aws: AwsCli, id: string): Promise<any> {
  return until(async () => { const i = await instanceOf(aws, id); return i.State.Name === 'running' && i; }, `${id} running`);
}

export const portOf = (i: any): string | undefined => i.Tags?.find((t: { Key: string }) => t.Key === 'ec2term:ssh-port')?.Value;

/** OpenSSH `ssh -i KEY -p PORT ubuntu@HOST true` (host keys not checked: these tests are about reaching). */
export function sshLogin(host: string, port: string, keyFile: string, extra: string[] = []): { status: number | null; stderr: string } {
  const r = spawnSync(SSH, ['-i', keyFile, '-p', port, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10', ...extra, `ubuntu@${host}`, 'echo reached'], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

export const sshMissing = (): string | false => (sshAvailable() ? false : 'OpenSSH client not installed');

export function awsFor(sb: TestSandbox, bin?: string): AwsCli { return awsCli(sb, bin); }

/** The failure's stderr of an awscli call expected to fail. */
export async function awsError(aws: AwsCli, ...args: string[]): Promise<string> {
  try { await aws(...args); } catch (e) { return String((e as { stderr?: string }).stderr); }
  throw new Error(`expected aws ${args.join(' ')} to fail`);
}
