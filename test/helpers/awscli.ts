// The AWS CLI pointed at a test sandbox: the "third party" of the security tests (resources made and
// changed by another tool in the same account), and an independent reader of what ec2term made.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestSandbox } from './sandbox.js';

const run = promisify(execFile);

/** Debian's awscli first; any `aws` on PATH otherwise; undefined when neither is installed. */
export function findAws(): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  const w = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? w.stdout.trim() : undefined;
}

export type AwsCli = (...args: string[]) => Promise<any>;

/** `aws --endpoint-url SANDBOX --region us-east-1 --output json ARGS...`, parsed; rejects on a non-zero exit. */
export function awsCli(sb: TestSandbox, bin = findAws()!): AwsCli {
  const home = join(sb.dir, '..', 'awscli-home');
  mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
  };
  return async (...args) => {
    const { stdout } = await run(bin, ['--endpoint-url', sb.url, '--region', 'us-east-1', '--output', 'json', ...args], { env, timeout: 60_000 });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };
}
