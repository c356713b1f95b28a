// The AWS CLI pointed at a test sandbox: the "third party" of the security tests (resources made and
// changed by another tool in the same account), and an independent reader of what ec2term made.
// A Python awscli (Debian's, the PyPI 1.x) runs in one long-lived interpreter per sandbox
// (awscli-driver.py: the CLI's own entry point per call), so a call costs the request, not Python's
// and botocore's start-up; any other `aws` is spawned per call.
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './run.js';
import type { TestSandbox } from './sandbox.js';

const run = promisify(execFile);
const DRIVER = join(ROOT, 'test/helpers/awscli-driver.py');

/** Debian's awscli first; any `aws` on PATH otherwise; undefined when neither is installed. */
export function findAws(): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  const w = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? w.stdout.trim() : undefined;
}

export type AwsCli = (...args: string[]) => Promise<any>;

/** What a failed call rejects with: execFile's shape (code, stdout, stderr), as the tests read it. */
export class AwsCliError extends Error {
  constructor(readonly args: string[], readonly code: number, readonly stdout: string, readonly stderr: string) {
    super(`aws ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
  }
}

/** The interpreter of a Python `aws` script (its #! line), or undefined for any other kind of `aws`. */
function pythonOf(bin: string): string | undefined {
  try {
    const first = readFileSync(bin, 'latin1').slice(0, 200).split('\n')[0]!;
    const m = /^#!\s*(\S*python[0-9.]*)\s*$/.exec(first);
    return m && existsSync(m[1]!) ? m[1] : undefined;
  } catch { return undefined; }
}

type Reply = { code: number; stdout: string; stderr: string };

/** One awscli-driver.py process: calls go one at a time, in order; idle, it keeps no test alive. */
function driver(python: string, env: NodeJS.ProcessEnv): (args: string[]) => Promise<Reply> {
  let child: ChildProcessWithoutNullStreams | undefined;
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  const idle = (on: boolean) => {
    if (!child) return;
    for (const h of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref(): void; unref(): void }[]) (on ? h.unref() : h.ref());
  };
  const start = () => {
    const c = spawn(python, [DRIVER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let errText = '';
    c.stderr.on('data', (b: Buffer) => { errText = (errText + b.toString()).slice(-4000); });
    createInterface({ input: c.stdout }).on('line', (line) => {
      waiting.shift()?.resolve(JSON.parse(line) as Reply);
      if (waiting.length === 0) idle(true);
    });
    c.on('close', (code) => {
      if (child === c) child = undefined;
      for (const w of waiting.splice(0)) w.reject(new Error(`awscli-driver exited ${code}: ${errText}`));
    });
    c.stdin.on('error', () => {});
    return c;
  };
  return (args) => new Promise<Reply>((resolve, reject) => {
    child ??= start();
    waiting.push({ resolve, reject });
    idle(false);
    child.stdin.write(JSON.stringify(args) + '\n');
  });
}

/**
 * `aws --endpoint-url SANDBOX --region us-east-1 --output json ARGS...`, parsed; rejects on a non-zero exit.
 * `extraEnv` overrides the environment (a wrong secret key, say).
 */
export function awsCli(sb: TestSandbox, bin = findAws()!, extraEnv: Record<string, string> = {}): AwsCli {
  const home = join(sb.dir, '..', 'awscli-home');
  mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '',
    ...extraEnv,
  };
  const python = process.env.EC2TERM_AWSCLI_SPAWN === '1' ? undefined : pythonOf(bin);
  const call = python ? driver(python, env) : async (args: string[]): Promise<Reply> => {
    try { return { code: 0, ...(await run(bin, args, { env, timeout: 60_000 })) }; }
    catch (e) { const x = e as { code?: number; stdout?: string; stderr?: string }; return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? String(e) }; }
  };
  return async (...args) => {
    const full = ['--endpoint-url', sb.url, '--region', 'us-east-1', '--output', 'json', ...args];
    const r = await call(full);
    if (r.code !== 0) throw new AwsCliError(args, r.code, r.stdout, r.stderr);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  };
}
