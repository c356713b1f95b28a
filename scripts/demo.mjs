#!/usr/bin/env node
// The main job, end to end, on the embedded sandbox: launch, list, ssh, scp there and back,
// terminate. Prints each command as a user would type it, then runs the real bin. Needs no AWS
// account and talks only to 127.0.0.1. Exits non-zero if any step fails; always stops the sandbox.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ec2term-demo-'));
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\u001b[1m${s}\u001b[22m` : s);
const dim = (s) => (color ? `\u001b[2m${s}\u001b[22m` : s);

// A private sandbox for the demo (its own state folder, keys and known hosts), so it neither sees
// nor changes a sandbox you use yourself, and leaves nothing behind.
const env = {
  ...process.env,
  EC2TERM_SANDBOX: '1',
  EC2TERM_SANDBOX_DIR: join(work, 'sandbox'),
  EC2TERM_KNOWN_HOSTS: join(work, 'known_hosts'),
  AWS_EC2_METADATA_DISABLED: 'true',
  EC2TERM_SANDBOX_DELAYS: process.env.EC2TERM_SANDBOX_DELAYS ?? 'realistic',
};
for (const k of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION']) delete env[k];

const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

function step(program, args, { capture = false } = {}) {
  console.log(`\n${bold(`$ ${[program, ...args].map(quote).join(' ')}`)}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', program), ...args], {
    env,
    cwd: work,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (capture && r.stdout) process.stdout.write(r.stdout);
  console.log(dim(`  (${program} exited ${r.status} after ${((Date.now() - started) / 1000).toFixed(1)}s)`));
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed with exit status ${r.status ?? r.signal}`);
  return r.stdout ?? '';
}

let failed = false;
const started = Date.now();
try {
  console.log(bold('ec2term demo: the whole job on the embedded sandbox (no AWS account, nothing leaves 127.0.0.1)'));
  step('ec2term', ['sandbox', 'start']);
  step('ec2launch', ['--create-zone', 'lab.myterm.test', '--pylab']);
  step('ec2list', []);
  const status = step('ec2ssh', ['ubuntu@lab.myterm.test', 'cat SETUP_STATUS'], { capture: true });
  if (!/\S/.test(status)) throw new Error('SETUP_STATUS was empty');
  const payload = `results from the ec2term demo, ${new Date().toISOString()}\n`;
  writeFileSync(join(work, 'results.txt'), payload);
  step('ec2scp', ['results.txt', 'ubuntu@lab.myterm.test:']);
  step('ec2scp', ['ubuntu@lab.myterm.test:results.txt', 'results-back.txt']);
  if (readFileSync(join(work, 'results-back.txt'), 'utf8') !== payload) throw new Error('the file came back different');
  console.log(dim('  results-back.txt is identical to results.txt'));
  step('ec2list', ['--terminate', 'lab.myterm.test', '--yes']);
} catch (err) {
  failed = true;
  console.error(`\ndemo: ${err.message}`);
} finally {
  spawnSync(process.execPath, [join(root, 'bin', 'ec2term'), 'sandbox', 'stop'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
console.log(`\n${bold(failed ? 'demo FAILED' : 'demo finished')} in ${((Date.now() - started) / 1000).toFixed(1)}s; sandbox stopped, nothing left running.`);
process.exit(failed ? 1 : 0);
