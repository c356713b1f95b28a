// The real GraphTerm 0.57 in a real browser: headless Chromium opens the server, types the code into
// GraphTerm's own login form, runs a command in the terminal and sees its output (screenshot kept).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findChromium, openPage } from '../helpers/browser.js';
import { firstSocketMessage, graphtermRuntime, keepScreenshot, runInBrowserTerminal, socketLogin, waitForHttp } from '../helpers/graphterm.js';
import { freePort } from '../helpers/sshd.js';

test('a real browser logs in to the real GraphTerm with the code from its file and runs a command', async (t) => {
  const rt = graphtermRuntime(t);
  if (!rt) return;
  const chromium = findChromium();
  if (!chromium) {
    if (process.env.CI) throw new Error('chromium is missing in CI (.ci/run installs it)');
    return t.skip('no chromium (apt-get install chromium)');
  }
  const home = mkdtempSync(join(tmpdir(), 'ec2term-gt-home-'));
  const passwd = join(home, '.passwd');
  writeFileSync(passwd, `gtuser:x:${process.getuid!()}:${process.getgid!()}:gtuser:${home}:/bin/bash\n`);
  writeFileSync(join(home, '.group'), `gtuser:x:${process.getgid!()}:\n`);
  const port = await freePort();
  const server = spawn(join(rt.bin, 'gtermserver'), [`--host=127.0.0.1`, `--port=${port}`, '--auth_type=singleuser', '--external_host=127.0.0.1'], {
    env: { PATH: `${rt.bin}:/usr/bin:/bin`, HOME: home, USER: 'gtuser', LOGNAME: 'gtuser', LANG: 'C.UTF-8', LD_PRELOAD: rt.nssWrapper, NSS_WRAPPER_PASSWD: passwd, NSS_WRAPPER_GROUP: join(home, '.group') },
    stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  server.stdout!.on('data', (d) => { output += d; });
  server.stderr!.on('data', (d) => { output += d; });
  t.after(async () => {
    const exited = new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
    try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* gone */ }
    await exited;
    // GraphTerm's terminals may still be writing in its home for a moment.
    rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  const url = `http://127.0.0.1:${port}`;
  const codeFile = join(home, '.graphterm', '@127.0.0.1_gterm_auth.txt');
  // GraphTerm writes its code file before it serves.
  await waitForHttp(url).catch((e: Error) => assert.fail(`${e.message}: ${output}`));
  assert.ok(existsSync(codeFile), `gtermserver wrote no code file: ${output}`);
  const code = readFileSync(codeFile, 'utf8').split(/\s+/)[0]!.replace(/-/g, '');

  const page = await (await fetch(url)).text();
  assert.match(page, /GraphTerm/);
  const hello = await firstSocketMessage(url) as [string, { need_code: string }][];
  assert.equal(hello[0]![0], 'authenticate', 'without credentials the websocket asks to authenticate');
  assert.equal((await socketLogin(url, 'ffffeeeeddddcccc'))[0]![0], 'authenticate', 'a wrong code is refused');
  assert.notEqual((await socketLogin(url, code))[0]![0], 'authenticate', 'the right code is accepted');

  const browser = await openPage(chromium);
  t.after(() => browser.close());
  await runInBrowserTerminal(browser, url, code, 'echo graphterm-says-$((6*7))', 'graphterm-says-42');
  const shot = keepScreenshot('graphterm-browser.png', await browser.screenshot());
  assert.ok(readFileSync(shot).length > 1000);
});
