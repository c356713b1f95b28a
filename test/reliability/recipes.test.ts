// The README's first command (the demo) and the CI recipe, run as users run them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, cleanEnv, ROOT, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the demo runs the whole job on a private sandbox, then stops it', { timeout: 300_000 }, () => {
  // A fresh HOME: the demo fetches the GraphTerm runtime as a new user's would (a slow network takes a while).
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { env: cleanEnv(), encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const typed of ['$ ec2launch --create-zone lab.myterm.test --pylab', '$ ec2list', "$ ec2ssh ubuntu@lab.myterm.test 'cat SETUP_STATUS'", '$ ec2scp results.txt ubuntu@lab.myterm.test:', '$ ec2list --terminate lab.myterm.test --yes']) {
    assert.ok(r.stdout.includes(typed), `the demo shows ${typed}`);
  }
  assert.match(r.stdout, /demo finished/);
  const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
  assert.ok(pid > 0);
  assert.equal(alive(pid), false, 'the sandbox is stopped');
});

let sb: TestSandbox;
before(async () => {
  sb = await startTestSandbox({ delays: 'fast' });
});
after(() => sb?.stop());

const recipeEnv = () => ({ ...sb.env, PATH: `${BIN}:${process.env.PATH}` });

async function liveInstances(name: string): Promise<string[]> {
  const r = await runBin('ec2list', ['--json', name], { env: sb.env });
  const rows = JSON.parse(r.stdout || '[]') as { id: string; state: string; name?: string }[];
  return rows.filter((i) => i.name === name && !['shutting-down', 'terminated'].includes(i.state)).map((i) => i.id);
}

function recipe(args: string[]) {
  return spawn('bash', [join(ROOT, 'examples', 'ci-smoke.sh'), ...args], { env: cleanEnv(recipeEnv()), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

function finished(child: ReturnType<typeof recipe>): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

test('ci-smoke.sh: a passing check exits 0 and leaves no instance', { timeout: 120_000 }, async () => {
  const r = await finished(recipe(['smoke-pass']));
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(await liveInstances('smoke-pass'), []);
});

test('ci-smoke.sh: a failing check passes its status on and still removes the instance', { timeout: 120_000 }, async () => {
  const r = await finished(recipe(['smoke-fail', 'exit', '7']));
  assert.equal(r.code, 7, r.out);
  assert.deepEqual(await liveInstances('smoke-fail'), []);
});

test('ci-smoke.sh: killed midway (SIGTERM to the job), the instance is gone', { timeout: 120_000 }, async () => {
  const child = recipe(['smoke-killed', 'sleep', '60']);
  const done = finished(child);
  // The recipe says when the instance is up and its check begins: cancel the job right then.
  await new Promise<void>((resolve) => {
    let said = '';
    const listen = (b: Buffer) => { said += b; if (/ci-smoke: launched .*checking:/.test(said)) { child.stderr!.off('data', listen); resolve(); } };
    child.stderr!.on('data', listen);
    child.on('close', () => resolve());
  });
  process.kill(-child.pid!, 'SIGTERM'); // as a CI runner cancels a job: the whole process group
  const r = await done;
  assert.notEqual(r.code, 0);
  assert.deepEqual(await liveInstances('smoke-killed'), []);
});
