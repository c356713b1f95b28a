// A private sandbox for a bench: own state dir and HOME, the env for our bins and for awscli.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, ROOT, tempDir } from './bench.mjs';

const CLIENT = join(ROOT, 'dist/src/sandbox/client.js');

/**
 * The real GraphTerm runtime (npm run graphterm:runtime), installed into the user's cache when missing
 * (Debian's archive and PyPI, no root); undefined with the reason when this machine cannot have it.
 */
export async function graphtermRuntime() {
  const rt = await import(pathToFileURL(join(ROOT, 'dist/src/sandbox/graphterm/runtime.js')).href);
  const found = rt.findRuntime(process.env);
  if (found) return { runtime: found };
  try {
    return { runtime: await rt.ensureRuntime({ log: () => {} }) };
  } catch (e) {
    return { reason: `no GraphTerm runtime and npm run graphterm:runtime failed: ${e.message}` };
  }
}

export async function startBenchSandbox({ delays = 'zero', faults, graphterm } = {}) {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: run npm run build`);
  const client = await import(pathToFileURL(CLIENT).href);
  const root = tempDir('ec2term-bench-sbx-');
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const dir = join(root, 'state');
  const base = { EC2TERM_SANDBOX_DIR: dir, HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  const serverEnv = {
    ...process.env, ...base,
    EC2TERM_SANDBOX_DELAYS: typeof delays === 'string' ? delays : JSON.stringify(delays),
    EC2TERM_SANDBOX_FAULTS: faults ? JSON.stringify({ rules: faults }) : '',
    // The bench's HOME is a temporary folder: the runtime is the one in the real user's cache.
    ...(graphterm ? { EC2TERM_SANDBOX_GRAPHTERM: 'real', EC2TERM_GRAPHTERM_RUNTIME: graphterm.dir } : {}),
  };
  const info = await client.ensureSandbox(serverEnv);
  const admin = (method, path, body) => client.adminRequest(info, method, path, body);
  return {
    info,
    url: info.url,
    dir,
    home,
    /** For bin/ec2*: the sandbox through EC2TERM_SANDBOX=1 (as users run it). */
    env: cleanEnv({ ...base, EC2TERM_SANDBOX: '1', AWS_REGION: 'us-east-1' }),
    /** For awscli: the sandbox's endpoint and keys; pass awsArgs first. */
    awsEnv: cleanEnv({
      HOME: home, AWS_ACCESS_KEY_ID: info.accessKeyId, AWS_SECRET_ACCESS_KEY: info.secretAccessKey,
      AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    }),
    awsArgs: ['--endpoint-url', info.url, '--no-cli-pager'],
    admin,
    /** Adds `count` running instances (no SSH endpoints) in one admin call. */
    bulk: (count, region = 'us-east-1', namePrefix = 'bulk-') => admin('POST', '/_sandbox/bulk-instances', { count, region, namePrefix }),
    reset: () => admin('POST', '/_sandbox/reset'),
    setDelays: (d) => admin('POST', '/_sandbox/config', { delays: d }),
    setFaults: (rules) => admin('POST', '/_sandbox/faults', { rules }),
    clearFaults: () => admin('DELETE', '/_sandbox/faults'),
    async stop() {
      await client.stopSandbox(serverEnv).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}


/**
 * test/helpers/sshd-instance.ts's instanceOnSshd (compiled): a sandbox instance served by OpenSSH's sshd.
 * The sshd logs in as the user running the bench, whose shell is bash: bash sources ~/.bashrc for a
 * command run by sshd (SSH_CLIENT set, SHLVL < 2), and a developer's .bashrc can be slow (this machine's
 * root runs `pyenv init`: 135 ms in every session, the same for every tool). An instance's login user has
 * a .bashrc that returns at once for a non-interactive shell, so the sessions get SHLVL=1 (bash then skips
 * it) unless BENCH_REMOTE_RC=1 keeps the bench user's dotfiles in every measurement.
 */
export async function instanceOnSshd(sb, o = {}) {
  const { instanceOnSshd: make } = await import(pathToFileURL(join(ROOT, 'dist/test/helpers/sshd-instance.js')).href);
  const light = process.env.BENCH_REMOTE_RC === '1' ? [] : ['SetEnv SHLVL=1'];
  return make({ url: sb.url, dir: sb.dir, info: sb.info }, { ...o, sshdConfig: (dir) => [...light, ...(o.sshdConfig?.(dir) ?? [])] });
}
