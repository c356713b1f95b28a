// The transfer engine against OpenSSH's real sshd (internal-sftp) on a loopback port, over a plain ssh2
// Client: round trips byte for byte, -p, remote globs, --resume, interruption, errors naming files.
// Skipped with a visible message where sshd is not installed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import type { Client, SFTPWrapper } from 'ssh2';
import { CancelledError } from '../../src/lib/errors.js';
import { transfer, type TransferOptions } from '../../src/lib/transfer/engine.js';
import { localFs, sftpFs, type TransferFs } from '../../src/lib/transfer/fs.js';
import { sha256File as sha, sha256Tree as tree } from '../helpers/files.js';
import { sshdUnavailable, startSshd, type Sshd } from '../helpers/sshd.js';

const skip = sshdUnavailable();
if (skip) console.log(`# SKIP scp transfer tests against OpenSSH sshd: ${skip}`);

let sshd: Sshd;
let client: Client;
let remote: TransferFs;
const local = localFs();
let n = 0;
const scratch = () => {
  const d = join(sshd.dir, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

before(async () => {
  if (skip) return;
  sshd = (await startSshd())!;
  client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.privateKey });
  });
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((e, s) => (e ? reject(e) : resolve(s))));
  remote = sftpFs(sftp, 'lab');
});

after(async () => {
  client?.end();
  await sshd?.stop();
});

function makeTree(root: string): void {
  mkdirSync(join(root, 'nested/deeper/deepest'), { recursive: true });
  mkdirSync(join(root, 'empty-dir'), { recursive: true });
  writeFileSync(join(root, 'big.bin'), randomBytes(5 * 1024 * 1024 + 123));
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, 'name with spaces.txt'), 'spaces\n');
  writeFileSync(join(root, 'nested/all-bytes.bin'), Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256)));
  writeFileSync(join(root, 'nested/deeper/deepest/leaf.txt'), 'leaf\r\n\0binary\n');
  for (let i = 0; i < 20; i++) writeFileSync(join(root, `nested/deeper/small-${i}.dat`), randomBytes(i * 1000));
}

const opts = (o: TransferOptions = {}): TransferOptions => o;

test('recursive upload then download gives identical files (sha256 of every file)', { skip }, async () => {
  const d = scratch();
  const src = join(d, 'src');
  makeTree(src);
  const up = await transfer([{ fs: local, path: src }], { fs: remote, path: join(d, 'remote') }, opts({ recursive: true }));
  assert.deepEqual(up.failed, []);
  assert.equal(up.files, 25);
  const down = await transfer([{ fs: remote, path: join(d, 'remote') }], { fs: local, path: join(d, 'back') }, opts({ recursive: true }));
  assert.deepEqual(down.failed, []);
  assert.deepEqual(tree(join(d, 'back')), tree(src));
  assert.ok(statSync(join(d, 'back/empty-dir')).isDirectory());
  // Into an existing folder, the source folder's name is kept (scp's rule).
  mkdirSync(join(d, 'into'));
  await transfer([{ fs: remote, path: `${join(d, 'remote')}/` }], { fs: local, path: join(d, 'into') }, opts({ recursive: true }));
  assert.deepEqual(tree(join(d, 'into/remote')), tree(src));
  // No temporary files left anywhere.
  assert.deepEqual(Object.keys(tree(d)).filter((p) => p.includes('.ec2scp-')), []);
});

test('several files into a folder; small chunks and one file at a time still exact', { skip }, async () => {
  const d = scratch();
  writeFileSync(join(d, 'a'), randomBytes(300_001));
  writeFileSync(join(d, 'b'), randomBytes(1));
  mkdirSync(join(d, 'out'));
  const s = await transfer([{ fs: local, path: join(d, 'a') }, { fs: local, path: join(d, 'b') }], { fs: remote, path: join(d, 'out') }, { chunkSize: 4096, parallel: 1 });
  assert.deepEqual(s.failed, []);
  assert.equal(s.bytes, 300_002);
  assert.equal(sha(join(d, 'out/a')), sha(join(d, 'a')));
  assert.equal(sha(join(d, 'out/b')), sha(join(d, 'b')));
});

test('an existing target file is replaced whole (rename over it)', { skip }, async () => {
  const d = scratch();
  writeFileSync(join(d, 'new'), 'short');
  writeFileSync(join(d, 'target'), 'a much longer old content that must not survive');
  const s = await transfer([{ fs: local, path: join(d, 'new') }], { fs: remote, path: join(d, 'target') });
  assert.deepEqual(s.failed, []);
  assert.equal(readFileSync(join(d, 'target'), 'utf8'), 'short');
});

test('-p keeps modes and times both ways; without -p times are new', { skip }, async () => {
  const d = scratch();
  mkdirSync(join(d, 'src/sub'), { recursive: true });
  writeFileSync(join(d, 'src/script.sh'), '#!/bin/sh\n');
  writeFileSync(join(d, 'src/sub/ro.txt'), 'read only\n');
  chmodSync(join(d, 'src/script.sh'), 0o751);
  chmodSync(join(d, 'src/sub/ro.txt'), 0o444);
  const old = new Date('2020-01-02T03:04:05Z');
  utimesSync(join(d, 'src/script.sh'), old, old);
  utimesSync(join(d, 'src/sub/ro.txt'), old, old);
  utimesSync(join(d, 'src/sub'), old, old);
  await transfer([{ fs: local, path: join(d, 'src') }], { fs: remote, path: join(d, 'up') }, { recursive: true, preserve: true });
  const back = await transfer([{ fs: remote, path: join(d, 'up') }], { fs: local, path: join(d, 'back') }, { recursive: true, preserve: true });
  assert.deepEqual(back.failed, []);
  for (const where of ['up', 'back']) {
    const sh = statSync(join(d, where, 'script.sh'));
    assert.equal(sh.mode & 0o7777, 0o751, where);
    assert.equal(sh.mtimeMs, old.getTime(), where);
    const ro = statSync(join(d, where, 'sub/ro.txt'));
    assert.equal(ro.mode & 0o7777, 0o444, where);
    assert.equal(ro.mtimeMs, old.getTime(), where);
    assert.equal(statSync(join(d, where, 'sub')).mtimeMs, old.getTime(), `${where}/sub`);
  }
  await transfer([{ fs: local, path: join(d, 'src/script.sh') }], { fs: remote, path: join(d, 'plain.sh') });
  assert.notEqual(statSync(join(d, 'plain.sh')).mtimeMs, old.getTime());
  assert.equal(statSync(join(d, 'plain.sh')).mode & 0o111, 0o111 & 0o751 & ~process.umask());
});

test('remote globs expand over readdir: *, ?, [...], in folders too', { skip }, async () => {
  const d = scratch();
  mkdirSync(join(d, 'logs/2024'), { recursive: true });
  mkdirSync(join(d, 'logs/2025'), { recursive: true });
  for (const f of ['a.log', 'b.log', 'c.txt', '.hidden.log', 'x1.log', 'x22.log']) writeFileSync(join(d, 'logs', f), f);
  writeFileSync(join(d, 'logs/2024/y.log'), 'y24');
  writeFileSync(join(d, 'logs/2025/z.log'), 'z25');
  const run = async (pattern: string, recursive = false) => {
    const out = scratch();
    const s = await transfer([{ fs: remote, path: join(d, pattern) }], { fs: local, path: out }, { recursive });
    return { s, files: readdirSync(out).sort() };
  };
  assert.deepEqual((await run('logs/*.log')).files, ['a.log', 'b.log', 'x1.log', 'x22.log']);
  assert.deepEqual((await run('logs/x?.log')).files, ['x1.log']);
  assert.deepEqual((await run('logs/[ab].*')).files, ['a.log', 'b.log']);
  assert.deepEqual((await run('logs/20*/*.log')).files, ['y.log', 'z.log']);
  const none = await run('logs/*.nothing');
  assert.deepEqual(none.files, []);
  assert.match(none.s.failed[0]!, /^lab:.*logs\/\*\.nothing: No such file or directory \(no match\)$/);
});

test('errors name the file and the cause; the other files are still copied', { skip }, async () => {
  const d = scratch();
  writeFileSync(join(d, 'ok.txt'), 'fine');
  mkdirSync(join(d, 'adir'));
  mkdirSync(join(d, 'out'));
  const s = await transfer(
    [{ fs: remote, path: join(d, 'missing.txt') }, { fs: remote, path: join(d, 'adir') }, { fs: remote, path: join(d, 'ok.txt') }],
    { fs: local, path: join(d, 'out') },
  );
  assert.equal(s.files, 1);
  assert.equal(readFileSync(join(d, 'out/ok.txt'), 'utf8'), 'fine');
  assert.deepEqual(s.failed, [`lab:${join(d, 'missing.txt')}: No such file or directory`, `lab:${join(d, 'adir')}: not a regular file (a folder: use -r to copy it)`]);
  // Several sources need an existing folder.
  const many = await transfer([{ fs: local, path: join(d, 'ok.txt') }, { fs: local, path: join(d, 'ok.txt') }], { fs: remote, path: join(d, 'nope') });
  assert.match(many.failed[0]!, /^lab:.*\/nope: No such directory/);
  // A folder the server may not write to (a file in the way of a path component).
  const bad = await transfer([{ fs: local, path: join(d, 'ok.txt') }], { fs: remote, path: join(d, 'ok.txt/inside') });
  assert.equal(bad.failed.length, 1);
  assert.match(bad.failed[0]!, new RegExp(`^lab:${join(d, 'ok.txt')}/\\.inside\\.ec2scp-[0-9a-f]{4}\\.part: (No such file|Failure)`));
});

test('--resume appends the rest of a partial .part upload or a shorter download, after checking the overlap', { skip }, async () => {
  const d = scratch();
  const data = randomBytes(3 * 1024 * 1024 + 7);
  writeFileSync(join(d, 'src.bin'), data);
  // A leftover from an interrupted upload.
  writeFileSync(join(d, '.dst.bin.ec2scp-1a2b.part'), data.subarray(0, 1_000_000));
  const up = await transfer([{ fs: local, path: join(d, 'src.bin') }], { fs: remote, path: join(d, 'dst.bin') }, { resume: true, resumeBackoff: 0 });
  assert.deepEqual(up.failed, []);
  assert.equal(up.resumedBytes, 1_000_000);
  assert.equal(up.bytes, data.length - 1_000_000);
  assert.ok(readFileSync(join(d, 'dst.bin')).equals(data));
  assert.equal(existsSync(join(d, '.dst.bin.ec2scp-1a2b.part')), false);
  // A shorter file under the real name (e.g. from an interrupted scp) is continued in place.
  writeFileSync(join(d, 'down.bin'), data.subarray(0, 2_000_000));
  const down = await transfer([{ fs: remote, path: join(d, 'src.bin') }], { fs: local, path: join(d, 'down.bin') }, { resume: true, resumeBackoff: 0 });
  assert.equal(down.resumedBytes, 2_000_000);
  assert.ok(readFileSync(join(d, 'down.bin')).equals(data));
  // A partial file whose content differs is not trusted: copied from the start.
  const wrong = Buffer.from(data.subarray(0, 500_000));
  wrong[499_999] ^= 0xff;
  writeFileSync(join(d, 'diff.bin'), wrong);
  const notices: string[] = [];
  const again = await transfer([{ fs: local, path: join(d, 'src.bin') }], { fs: remote, path: join(d, 'diff.bin') }, { resume: true, resumeBackoff: 0, events: { notice: (m) => notices.push(m) } });
  assert.equal(again.resumedBytes, 0);
  assert.ok(readFileSync(join(d, 'diff.bin')).equals(data));
  assert.match(notices.join('\n'), /diff\.bin: differs from .*src\.bin; copying from the start/);
  // Already complete: nothing to send.
  const done = await transfer([{ fs: local, path: join(d, 'src.bin') }], { fs: remote, path: join(d, 'dst.bin') }, { resume: true, resumeBackoff: 0 });
  assert.equal(done.bytes, 0);
  assert.equal(done.resumedBytes, data.length);
});

test('an interrupted copy leaves nothing under the real name; with --resume the .part stays and finishes later', { skip }, async () => {
  const d = scratch();
  const data = randomBytes(32 * 1024 * 1024);
  writeFileSync(join(d, 'big.bin'), data);
  const interrupt = async (o: TransferOptions, to: string) => {
    const ac = new AbortController();
    let seen = 0;
    const p = transfer([{ fs: local, path: join(d, 'big.bin') }], { fs: remote, path: to }, {
      ...o,
      chunkSize: 32 * 1024,
      inFlight: 256 * 1024,
      signal: ac.signal,
      events: { bytes: (k) => (seen += k) >= 4 * 1024 * 1024 && ac.abort(new CancelledError('interrupted by test')) },
    });
    await assert.rejects(p, CancelledError);
  };
  await interrupt({}, join(d, 'plain.bin'));
  assert.equal(existsSync(join(d, 'plain.bin')), false);
  assert.deepEqual(readdirSync(d).filter((f) => f.includes('plain.bin')), [], 'temporary file removed');

  await interrupt({ resume: true, resumeBackoff: 0 }, join(d, 'resumable.bin'));
  assert.equal(existsSync(join(d, 'resumable.bin')), false);
  const parts = readdirSync(d).filter((f) => /^\.resumable\.bin\.ec2scp-[0-9a-f]{4}\.part$/.test(f));
  assert.equal(parts.length, 1);
  const partSize = statSync(join(d, parts[0]!)).size;
  assert.ok(partSize > 0 && partSize < data.length);
  const s = await transfer([{ fs: local, path: join(d, 'big.bin') }], { fs: remote, path: join(d, 'resumable.bin') }, { resume: true, resumeBackoff: 0 });
  assert.deepEqual(s.failed, []);
  assert.ok(s.resumedBytes > 0);
  assert.ok(readFileSync(join(d, 'resumable.bin')).equals(data));
});
