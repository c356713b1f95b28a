// ec2scp end to end against a hostile instance: sandbox instance "lab" is answered by the hostile SFTP
// server (test/helpers/hostile-sftp.ts) holding lab's own host key (as a compromised instance would), on
// lab's address; "web" is an honest sandbox instance. Downloads and remote-to-remote copies from lab:
// what the user sees (one line per refusal, escapes shown, exit status) and that nothing outside the
// target changed (sha256).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { runBin } from '../helpers/run.js';
import { sha256File, sha256Tree } from '../helpers/files.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, REGION, tagInstance, type SandboxInstance } from '../helpers/fixture.js';
import { dir, file, startHostileSftp, type HostileSftp } from '../helpers/hostile-sftp.js';

let sb: TestSandbox;
let lab: SandboxInstance;
let web: SandboxInstance;
let hostile: HostileSftp;
let work: string;
let bashrc: string; // the user's ~/.bashrc on this machine
let webHome: string; // web's /home/<user> on disk
let webBashrc: string;

/** lab's host key as the sandbox keeps it, so the hostile server passes ec2scp's host key check. */
async function hostKeyOf(id: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const w = JSON.parse(readFileSync(join(sb.dir, 'state.json'), 'utf8'));
    const key = w.regions?.[REGION]?.instances?.[id]?.hostKey?.privateKey;
    if (key) return key;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no host key for ${id} in the sandbox state`);
}

before(async () => {
  sb = await startTestSandbox();
  lab = await launchInstance(sb, 'lab');
  web = await launchInstance(sb, 'web');
  work = mkdtempSync(join(tmpdir(), 'ec2scp-hostile-e2e-'));
  mkdirSync(sb.env.HOME!, { recursive: true });
  bashrc = join(sb.env.HOME!, '.bashrc');
  writeFileSync(bashrc, 'the user\'s own .bashrc\n');
  const users = readdirSync(join(sb.dir, 'instances', REGION, web.id, 'root', 'home'));
  webHome = join(sb.dir, 'instances', REGION, web.id, 'root', 'home', users[0]!);
  webBashrc = join(webHome, '.bashrc');
  writeFileSync(webBashrc, 'web\'s own .bashrc\n');

  const traversal = relative(join(work, 'out', 'd'), bashrc);
  hostile = await startHostileSftp({
    host: lab.publicIp,
    hostKey: await hostKeyOf(lab.id),
    tree: {
      d: dir('ok.txt', traversal),
      'd/ok.txt': file('fine\n'),
      r: dir('ok.txt', '../.bashrc'), // from web:r/ to web's ~/.bashrc
      'r/ok.txt': file('fine\n'),
      e: dir('ok.txt', '\x1b]0;pwned\x07', 'new\nline'),
      'e/ok.txt': file('fine\n'),
      g: dir('a.log', '../x.log'),
      'g/a.log': file('a\n'),
      good: dir('a.txt', 'sub'),
      'good/a.txt': file('a\n'),
      'good/sub': dir('b.txt'),
      'good/sub/b.txt': file('b\n'),
    },
  });
  // ec2scp reaches lab through its ec2term:ssh-port tag: now the hostile server's port.
  await tagInstance(sb, lab.id, { 'ec2term:ssh-port': String(hostile.port) });
});

after(async () => {
  await hostile?.close();
  await sb?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const scp = (args: string[]) => runBin('ec2scp', ['-q', ...args], { env: sb.env, cwd: work });
const unchanged = () => {
  assert.equal(readFileSync(bashrc, 'utf8'), 'the user\'s own .bashrc\n');
  assert.equal(readFileSync(webBashrc, 'utf8'), 'web\'s own .bashrc\n');
};

test('a benign tree from the hostile server still downloads (exit 0)', async () => {
  const r = await scp(['-r', 'lab:good', 'good']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(sha256Tree(join(work, 'good'))).sort(), ['a.txt', 'sub/b.txt']);
});

test('CVE-2019-6111 class: a traversal name in a listing is refused in one line, exit 1, nothing copied', async () => {
  mkdirSync(join(work, 'out'));
  const before = sha256File(bashrc);
  const r = await scp(['-r', 'lab:d', 'out']);
  assert.equal(r.code, 1, r.stderr);
  const shown = relative(join(work, 'out', 'd'), bashrc);
  assert.equal(r.stderr, `ec2scp: lab:d: refused file name "${shown}" from the server (contains "/"; no real folder lists one); copy stopped, nothing copied\n`);
  assert.equal(sha256File(bashrc), before);
  assert.deepEqual(sha256Tree(join(work, 'out')), {}, 'not even ok.txt');
  unchanged();
});

test('remote to remote: the same refusal; web\'s files outside the target are unchanged', async () => {
  const before = sha256File(webBashrc);
  const r = await scp(['-r', 'lab:r', 'web:']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, 'ec2scp: lab:r: refused file name "../.bashrc" from the server (contains "/"; no real folder lists one); copy stopped, nothing copied\n');
  assert.equal(sha256File(webBashrc), before);
  assert.deepEqual(sha256Tree(join(webHome, 'r')), {}, 'nothing written on web');
  unchanged();
});

test('a remote wildcard whose listing lies: refused, exit 1', async () => {
  mkdirSync(join(work, 'logs'));
  const r = await scp(['lab:g/*.log', 'logs']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, 'ec2scp: lab:g: refused file name "../x.log" from the server (contains "/"; no real folder lists one); copy stopped, nothing copied\n');
  assert.deepEqual(readdirSync(join(work, 'logs')), []);
});

test('names with escape sequences and newlines: refused one by one, shown escaped (no raw control bytes), the rest copied, exit 1', async () => {
  mkdirSync(join(work, 'esc'));
  const r = await scp(['-r', 'lab:e', 'esc']);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f\x7f]/, 'no control character but the line ends');
  assert.deepEqual(r.stderr.split('\n').sort(), [
    '',
    'ec2scp: lab:e/\\x1b]0;pwned\\x07: refused file name from the server (contains control characters); not copied',
    'ec2scp: lab:e/new\\x0aline: refused file name from the server (contains control characters); not copied',
  ]);
  assert.deepEqual(Object.keys(sha256Tree(join(work, 'esc'))), ['e/ok.txt']);
});
