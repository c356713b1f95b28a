// The sandbox boots the real GraphTerm 0.57 with the start script ec2launch's user-data carries: a launch
// waits for a real server, ec2ssh -L reaches it, a browser logs in with the delivered code, and a
// secondary host launched with --connect-to joins the server's host list.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { findChromium, openPage } from '../helpers/browser.js';
import { firstSocketMessage, graphtermRuntime, keepScreenshot, runInBrowserTerminal, socketLogin, waitForHttp } from '../helpers/graphterm.js';
import { freePort } from '../helpers/sshd.js';
import { binPath, cleanEnv, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox | undefined;
before(async () => { sb = await startTestSandbox({ graphterm: 'real' }); });
after(async () => { await sb?.stop(); });

type Launched = { authCode: string; instances: { publicIp: string; setupStatus: string }[] };
let launched: Promise<Launched> | undefined;
/** The server "lab", launched by whichever test needs it first: each test also runs alone, in any order. */
const launchLab = (): Promise<Launched> => (launched ??= (async () => {
  const r = await runBin('ec2launch', ['--yes', '--json', '--show-secrets', '--accept-hosts', 'lab'], { env: sb!.env, timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Launched;
})());

test('ec2launch waits for the real gtermserver, which answers on the instance with the delivered code', async (t) => {
  if (!graphtermRuntime(t)) return;
  const out = await launchLab();
  const code = out.authCode;
  assert.match(out.instances[0]!.setupStatus, /^ok: gtermserver answering/);
  const base = `http://${out.instances[0]!.publicIp}:8900`;
  const page = await fetch(base);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /GraphTerm/);
  assert.equal(((await firstSocketMessage(base)) as [string][])[0]![0], 'authenticate');
  assert.equal((await socketLogin(base, 'wrongwrongwrong1'))[0]![0], 'authenticate', 'a wrong code is refused');
  assert.equal((await socketLogin(base, code))[0]![0], 'redirect', 'the delivered code opens a terminal');
});

test('ec2ssh -L PORT:localhost:8900 reaches it and a browser runs a command in a GraphTerm terminal', async (t) => {
  if (!graphtermRuntime(t)) return;
  const code = (await launchLab()).authCode;
  const port = await freePort();
  const tunnel = spawn(process.execPath, [binPath('ec2ssh'), '-N', '-L', `${port}:localhost:8900`, 'lab'], { env: cleanEnv(sb!.env), stdio: 'ignore' });
  t.after(() => tunnel.kill('SIGTERM'));
  const base = `http://127.0.0.1:${port}`;
  const res = await waitForHttp(base);
  assert.equal(res.status, 200, 'GraphTerm through the tunnel');
  const chromium = findChromium();
  if (!chromium) {
    if (process.env.CI) throw new Error('chromium is missing in CI');
    return t.skip('no chromium');
  }
  const browser = await openPage(chromium);
  t.after(() => browser.close());
  await runInBrowserTerminal(browser, base, code, 'echo sandbox-graphterm-$((6*7)) $USER', 'sandbox-graphterm-42 ubuntu');
  keepScreenshot('graphterm-sandbox.png', await browser.screenshot());
});

test('a secondary host launched with --connect-to joins the server and shows in its host list', async (t) => {
  if (!graphtermRuntime(t)) return;
  await launchLab();
  const r = await runBin('ec2launch', ['--yes', '--json', '--connect-to', 'lab', 'node1'], { env: sb!.env, timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stderr);
  const hosts = await runBin('ec2ssh', ['lab', 'ec2term-graphterm hosts'], { env: sb!.env });
  assert.equal(hosts.code, 0, hosts.stderr);
  assert.match(hosts.stdout, /^node1$/m);
});

test('servers without --accept-hosts come up side by side: each host port stays on its own instance', async (t) => {
  if (!graphtermRuntime(t)) return;
  // GraphTerm's host port listens on "localhost" unless told otherwise; on one machine every sandbox
  // instance would share it, and only the first server would ever start.
  const runs = await Promise.all(['solo1', 'solo2'].map((name) => runBin('ec2launch', ['--yes', '--json', name], { env: sb!.env, timeoutMs: 150_000 })));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.match((JSON.parse(r.stdout) as { instances: { setupStatus: string }[] }).instances[0]!.setupStatus, /^ok: gtermserver answering/);
  }
});
