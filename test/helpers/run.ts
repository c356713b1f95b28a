// Spawns the real built bins the way a user runs them, and collects what they print.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Raw stdout bytes, for binary-safety checks. */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
  cwd?: string;
}

/** A fresh, empty HOME so a test never reads the developer's ~/.aws, ~/.boto or ~/.ssh. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'ec2term-home-'));
}

/** An environment with no AWS settings from the outside, metadata probing off, and a temp HOME. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(AWS_|BOTO_|EC2TERM_|SSH_AUTH_SOCK$|DEBUG$|NO_COLOR$|FORCE_COLOR$)/.test(k)) continue;
    env[k] = v;
  }
  // No shared SSH connections unless a test asks (EC2TERM_SHARE=1): a master would outlive the test.
  Object.assign(env, { HOME: tempHome(), AWS_EC2_METADATA_DISABLED: 'true', XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', XDG_CACHE_HOME: '', XDG_RUNTIME_DIR: '', EC2TERM_SHARE: '0' });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** The path of bin/<program>, for tests that spawn it themselves (a long-running ec2ssh -L). */
export function binPath(program: string): string {
  return join(BIN, program);
}

/** Runs bin/<program> with args; resolves with exit code and output (never rejects on exit codes). */
export function runBin(program: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(BIN, program), ...args], {
      env: cleanEnv(opts.env),
      cwd: opts.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => {}); // the program may exit before reading stdin
    child.stdin.end(opts.input ?? '');
  });
}
