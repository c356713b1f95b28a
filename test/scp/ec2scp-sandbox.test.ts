// ec2scp end to end: the real bin against the embedded sandbox (an instance made with the SDK, its key
// saved where ec2launch saves it). Round trips, binary content, -p, remote globs, errors, --resume,
// and a killed upload that leaves no file under the real name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, cleanEnv, runBin } from '../helpers/run.js';
import { sha256File, sha256Tree as tree } from '../helpers/files.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, REGION, type SandboxInstance } from '../helpers/fixture.js';

let sb: TestSandbox;
let inst: SandboxInstance;
let home: string; // the instance's /home/<user> on disk
let work: string;

before(async () => {
  sb = await startTestSandbox();
  inst = await launchInstance(sb, 'lab');
  const users = readdirSync(join(sb.dir, 'instances', REGION, inst.id, 'root', 'home'));
  home = join(sb.dir, 'instances', REGION, inst.id, 'root', 'home', users[0]!);
  work = mkdtempSync(join(tmpdir(), 'ec2scp-e2e-'));
});

after(async () => {
  await sb?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const scp = (args: string[], timeoutMs = 60_000) => runBin('ec2scp', ['--accept-new', ...args], { env: sb.env, cwd: work, timeoutMs });

test('ec2scp -r dir lab: then back gives identical files (binary, nested, sha256 each)', async () => {
  const src = join(work, 'dir');
  mkdirSync(join(src, 'a/b/c'), { recursive: true });
  writeFileSync(join(src, 'random.bin'), randomBytes(3 * 1024 * 1024 + 5));
  writeFileSync(join(src, 'a/all-bytes.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)));
  writeFileSync(join(src, 'a/b/c/leaf.txt'), 'leaf\n');
  writeFileSync(join(src, 'a/b/empty'), '');
  const up = await scp(['-r', 'dir', 'lab:']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout, '');
  assert.deepEqual(tree(join(home, 'dir')), tree(src));
  const down = await scp(['-r', '--json', 'lab:dir', 'back']);
  assert.equal(down.code, 0, down.stderr);
  const summary = JSON.parse(down.stdout);
  assert.equal(summary.files, 4);
  assert.equal(summary.bytes, 3 * 1024 * 1024 + 5 + 4096 + 5);
  assert.deepEqual(summary.failed, []);
  assert.deepEqual(tree(join(work, 'back')), tree(src));
});

test('-p keeps mode and mtime; remote globs; several sources into a folder', async () => {
  writeFileSync(join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(work, 'run.sh'), 0o750);
  const old = new Date('2021-06-07T08:09:10Z');
  utimesSync(join(work, 'run.sh'), old, old);
  const r = await scp(['-p', 'run.sh', 'lab:run.sh']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(join(home, 'run.sh')).mode & 0o777, 0o750);
  assert.equal(statSync(join(home, 'run.sh')).mtimeMs, old.getTime());

  mkdirSync(join(home, 'logs'));
  for (const f of ['a.log', 'b.log', 'c.txt']) writeFileSync(join(home, 'logs', f), `${f}\n`);
  mkdirSync(join(work, 'got'));
  const g = await scp(['lab:logs/*.log', 'lab:run.sh', 'got']);
  assert.equal(g.code, 0, g.stderr);
  assert.deepEqual(readdirSync(join(work, 'got')).sort(), ['a.log', 'b.log', 'run.sh']);
});

test('errors name the file and the cause; exit 1 after copying the rest; unknown instance exits 3; usage 2', async () => {
  writeFileSync(join(home, 'present.txt'), 'here\n');
  mkdirSync(join(work, 'errs'));
  const r = await scp(['lab:missing.txt', 'lab:present.txt', 'errs']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ec2scp: lab:missing\.txt: No such file or directory/);
  assert.equal(readFileSync(join(work, 'errs/present.txt'), 'utf8'), 'here\n');
  writeFileSync(join(work, 'x'), 'x\n');
  const nf = await scp(['x', 'nosuchbox:']);
  assert.equal(nf.code, 3, nf.stderr);
  assert.match(nf.stderr, /no instance matches "nosuchbox"/);
  const usage = await scp(['onlyone']);
  assert.equal(usage.code, 2);
  const local = await scp(['a', 'b']);
  assert.equal(local.code, 2);
  assert.match(local.stderr, /nothing remote/);
});

test('local sources are checked first, like scp: missing -> exit 2 before any AWS call; some missing -> the rest copied, exit 1', async () => {
  // Nothing to copy: exit 2 naming the file, before resolving (an unknown instance is not even looked up).
  for (const host of ['lab', 'nosuchbox']) {
    await sb.admin('DELETE', '/_sandbox/requests');
    const r = await scp(['no/such/file', `${host}:`]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'ec2scp: no/such/file: No such file or directory\n');
    const log = ((await sb.admin('GET', '/_sandbox/requests')) as { requests: unknown[] }).requests;
    assert.deepEqual(log, [], `${host}: no AWS request`);
  }
  mkdirSync(join(work, 'folder'), { recursive: true });
  const dir = await scp(['folder', 'lab:']);
  assert.equal(dir.code, 2);
  assert.match(dir.stderr, /folder: not a regular file/);
  // Several remote files into a local folder that does not exist: exit 2, nothing sent.
  const many = await scp(['lab:a', 'lab:b', 'not-there']);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /not-there: No such directory/);
  // Some sources there: copied, the others reported, exit 1 (scp's behaviour).
  writeFileSync(join(work, 'real.txt'), 'real\n');
  const some = await scp(['real.txt', 'gone.txt', 'lab:']);
  assert.equal(some.code, 1, some.stderr);
  assert.match(some.stderr, /ec2scp: gone\.txt: No such file or directory/);
  assert.equal(readFileSync(join(home, 'real.txt'), 'utf8'), 'real\n');
});

test('--resume completes a partial file', async () => {
  const data = randomBytes(40 * 1024 * 1024 + 99);
  writeFileSync(join(home, 'data.bin'), data);
  writeFileSync(join(work, 'data.bin'), data.subarray(0, 36_000_000));
  const r = await scp(['--resume', '--json', 'lab:data.bin', '.']);
  assert.equal(r.code, 0, r.stderr);
  // A killed parallel copy may have holes in its last in-flight window: resume starts before it.
  assert.equal(JSON.parse(r.stdout).resumedBytes, 36_000_000 - 17 * 1024 * 1024);
  assert.ok(readFileSync(join(work, 'data.bin')).equals(data));
});

test('a killed upload leaves no partial file under the real name', async () => {
  const big = join(work, 'huge.bin');
  writeFileSync(big, randomBytes(256 * 1024 * 1024));
  const child = spawn(process.execPath, [join(BIN, 'ec2scp'), '--accept-new', 'huge.bin', 'lab:'], { env: cleanEnv(sb.env), cwd: work, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  // Kill it once the temporary file on the instance has some data in it.
  const deadline = Date.now() + 60_000;
  let killed = false;
  while (Date.now() < deadline) {
    const part = readdirSync(home).find((f) => /^\.huge\.bin\.ec2scp-[0-9a-f]{4}\.part$/.test(f));
    if (part && statSync(join(home, part)).size > 96 * 1024 * 1024) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  assert.ok(killed, 'the upload finished before it could be interrupted');
  assert.equal(existsSync(join(home, 'huge.bin')), false);
  // And --resume finishes it from the leftover part.
  const r = await scp(['--resume', '--json', 'huge.bin', 'lab:'], 120_000);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).resumedBytes > 0);
  assert.equal(statSync(join(home, 'huge.bin')).size, statSync(big).size);
  assert.equal(
    sha256File(join(home, 'huge.bin')),
    sha256File(big),
  );
  assert.deepEqual(readdirSync(home).filter((f) => f.includes('huge.bin.ec2scp-')), []);
});
