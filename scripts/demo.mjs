#!/usr/bin/env node
// The main job, end to end, on the embedded sandbox: launch, list, ssh, scp there and back,
// terminate. Prints each command as a user would type it, then runs the real bin. Needs no AWS
// account and talks only to 127.0.0.1. Exits non-zero if any step fails; always stops the sandbox.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The real GraphTerm for the sandbox's instances (Linux): fetched once into the user's cache from
 * Debian's archive and PyPI, no root. Without it the sandbox simulates the setup and says so.
 */
async function graphtermRuntime() {
  const { ensureRuntime } = await import('../dist/src/sandbox/graphterm/runtime.js');
  try {
    const rt = await ensureRuntime({ log: (l) => console.log(dim(`  ${l}`)) });
    console.log(dim(`  the real GraphTerm 0.57 (Python 2.7.18) is in ${rt.dir}`));
    return rt;
  } catch (e) {
    console.log(`  no GraphTerm runtime (${e.message}): the sandbox will simulate the instance's setup`);
    return undefined;
  }
}

/** Through `ec2ssh -L`, as a user would: what GraphTerm answers on the instance (and, with Chromium, a screenshot). */
async function showGraphTerm(name) {
  const { freePort } = await import('../dist/test/helpers/sshd.js');
  const { firstSocketMessage, runInBrowserTerminal, waitForHttp } = await import('../dist/test/helpers/graphterm.js');
  const port = await freePort();
  const args = ['-N', '-L', `${port}:localhost:8900`, `ubuntu@${name}`];
  console.log(`\n${bold(`$ ec2ssh ${args.join(' ')} &`)}`);
  const tunnel = spawn(process.execPath, [join(root, 'bin', 'ec2ssh'), ...args], { env, cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const url = `http://127.0.0.1:${port}`;
    const res = await waitForHttp(url, 10_000);
    const page = await res.text();
    const title = /<title>([^<]*)<\/title>/i.exec(page)?.[1]?.trim() ?? '(no title)';
    if (res.status !== 200 || !/graphterm/i.test(page)) throw new Error(`${url} answered ${res.status} without the GraphTerm page`);
    console.log(`  GraphTerm answered at ${url}/ (the instance's port 8900): HTTP ${res.status}, page "${title}"`);
    const hello = await firstSocketMessage(url);
    console.log(`  its websocket, asked without the code, answers: ${hello[0][0]}`);
    const { findChromium, openPage } = await import('../dist/test/helpers/browser.js');
    const chromium = findChromium();
    if (!chromium) { console.log(dim('  (install chromium for a screenshot of the login and a terminal)')); return; }
    // The code stays off the screen: read over SSH, typed into GraphTerm's own login form.
    const read = spawnSync(process.execPath, [join(root, 'bin', 'ec2ssh'), `ubuntu@${name}`, 'cat .graphterm/@*_gterm_auth.txt'], { env, cwd: work, encoding: 'utf8' });
    if (read.status !== 0) throw new Error(`reading the auth code over SSH failed (exit ${read.status ?? read.signal}): ${read.stderr.trim().split('\n').pop()}`);
    const code = read.stdout.split(/\s+/)[0].replace(/-/g, '');
    const browser = await openPage(chromium);
    try {
      await runInBrowserTerminal(browser, url, code, 'echo hello from GraphTerm: $((6*7))', 'GraphTerm: 42');
      const dir = join(root, 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'demo-graphterm.png'), await browser.screenshot());
      console.log(`  Chromium logged in with the code, ran echo in a GraphTerm terminal and saw its output: test-artifacts/demo-graphterm.png`);
    } finally { await browser.close(); }
  } finally {
    tunnel.kill('SIGTERM');
  }
}

/** Stops the demo's sandbox and removes its folder: on every way out, a signal included. */
function cleanUp() {
  spawnSync(process.execPath, [join(root, 'bin', 'ec2term'), 'sandbox', 'stop'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
// A stopped run (Ctrl-C, or a test's timeout) leaves nothing running either. The step in progress ends
// first: its spawnSync holds the signal until the child is gone.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    cleanUp();
    console.error(`\ndemo stopped by ${sig}; sandbox stopped, nothing left running.`);
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

let failed = false;
const started = Date.now();
try {
  console.log(bold('ec2term demo: the whole job on the embedded sandbox (no AWS account, nothing leaves 127.0.0.1)'));
  const runtime = process.platform === 'linux' ? await graphtermRuntime() : undefined;
  step('ec2term', ['sandbox', 'start']);
  step('ec2launch', ['--create-zone', 'lab.myterm.test', '--pylab']);
  step('ec2list', []);
  const status = step('ec2ssh', ['ubuntu@lab.myterm.test', 'cat SETUP_STATUS'], { capture: true });
  if (!/\S/.test(status)) throw new Error('SETUP_STATUS was empty');
  if (runtime) await showGraphTerm('lab.myterm.test');
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
  cleanUp();
}
console.log(`\n${bold(failed ? 'demo FAILED' : 'demo finished')} in ${((Date.now() - started) / 1000).toFixed(1)}s; sandbox stopped, nothing left running.`);
process.exit(failed ? 1 : 0);
