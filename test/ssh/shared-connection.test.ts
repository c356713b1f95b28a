// Shared connections (src/lib/share, src/commands/ssh/shared.ts): the wire format and keys as tables, then
// the real ec2ssh bin against OpenSSH's sshd: a first run leaves a master, later runs go through it with
// no EC2 call and no handshake, exit status and streams intact; the socket is private; a stale or wrong
// cache entry falls back to a direct connection; --no-share leaves nothing behind.
import assert from 'node:assert/strict';
import { instanceOnSshd } from '../helpers/sshd-instance.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { planSsh } from '../../src/commands/ssh/options.js';
import { DEFAULT_PERSIST_MS, parsePersist, shareSettings } from '../../src/commands/ssh/shared.js';
import { encodeData, encodeFrame, FRAME, FrameError, FrameReader, MAX_FRAME } from '../../src/lib/share/frames.js';
import { nameKeyFor, shareScope } from '../../src/lib/share/key.js';
import { usableEntry } from '../../src/lib/share/names.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type SandboxInstance } from '../helpers/fixture.js';
import { sshdAvailable, type Sshd } from '../helpers/sshd.js';

test('frames survive any split of the byte stream; an oversized frame is refused', () => {
  const frames = [encodeFrame(FRAME.hello, '{"v":1}'), ...encodeData(FRAME.stdout, randomBytes(MAX_FRAME + 10)), encodeFrame(FRAME.stdinEnd)];
  const bytes = Buffer.concat(frames);
  for (const step of [997, 4096, 65_536, bytes.length]) {
    const r = new FrameReader();
    const got = [];
    for (let i = 0; i < bytes.length; i += step) got.push(...r.push(bytes.subarray(i, i + step)));
    assert.deepEqual(got.map((f) => f.type), [FRAME.hello, FRAME.stdout, FRAME.stdout, FRAME.stdinEnd]);
    assert.equal(got[1]!.payload.length + got[2]!.payload.length, MAX_FRAME + 10);
  }
  const small = Buffer.concat([encodeFrame(FRAME.stdin, 'abc'), encodeFrame(FRAME.resize, '{"rows":1,"cols":2}')]);
  const one = new FrameReader();
  const bytewise = [];
  for (const b of small) bytewise.push(...one.push(Buffer.from([b])));
  assert.deepEqual(bytewise.map((f) => [f.type, f.payload.toString()]), [[FRAME.stdin, 'abc'], [FRAME.resize, '{"rows":1,"cols":2}']]);
  const big = Buffer.alloc(5);
  big.writeUInt32BE(MAX_FRAME + 1, 1);
  assert.throws(() => new FrameReader().push(big), FrameError);
});

test('a cache entry is used only when whole and unexpired', () => {
  const e = { instanceId: 'i-0123456789abcdef0', host: '127.0.0.2', port: 22, user: 'ubuntu', fingerprint: 'SHA256:x', socketKey: 'ab12', expiresAt: 2000 };
  assert.equal(usableEntry(e, 1000), true);
  assert.equal(usableEntry(e, 2000), false, 'expired');
  assert.equal(usableEntry({ ...e, socketKey: '../x' }, 1000), false, 'a socket name that is not ours');
  assert.equal(usableEntry({ ...e, port: '22' }, 1000), false);
  assert.equal(usableEntry(null, 1000), false);
});

test('--share-persist: whole seconds, 0 turns sharing off, default ten minutes', () => {
  assert.equal(parsePersist(undefined), DEFAULT_PERSIST_MS);
  assert.equal(parsePersist('30'), 30_000);
  assert.equal(parsePersist('0'), 0);
  for (const bad of ['-1', '1.5', 'ten', '999999999']) assert.throws(() => parsePersist(bad), /--share-persist/);
});

test('which runs share, and a name key for each scope and target', () => {
  const g = { local: false };
  const env = { AWS_REGION: 'eu-west-1' };
  const on = (argv: string[], opts: Record<string, unknown> = {}, e: NodeJS.ProcessEnv = env) => shareSettings(planSsh(argv, opts), opts, g, e, '/d') !== undefined;
  assert.equal(on(['lab', 'true']), true);
  assert.equal(on(['lab']), true, 'a login shell too');
  assert.equal(on(['lab', 'true'], { share: false }), false, '--no-share');
  assert.equal(on(['lab', 'true'], { sharePersist: '0' }), false);
  assert.equal(on(['lab', 'true'], {}, { ...env, EC2TERM_SHARE: '0' }), false);
  assert.equal(on(['lab'], { N: true, L: ['8080:localhost:80'] }), false, 'forwards connect directly');
  assert.equal(on(['lab'], { tunnel: true }), false);
  assert.equal(on(['lab'], { print: true }), false);
  const key = (e: NodeJS.ProcessEnv, t: { target: string; user?: string }) => nameKeyFor(shareScope({}, e), { ...t, identityFiles: [] });
  const base = key(env, { target: 'lab' });
  assert.equal(key(env, { target: 'lab' }), base, 'stable');
  assert.notEqual(key({ AWS_REGION: 'us-east-1' }, { target: 'lab' }), base, 'another region');
  assert.notEqual(key({ ...env, EC2TERM_SANDBOX: '1' }, { target: 'lab' }), base, 'the sandbox');
  assert.notEqual(key(env, { target: 'lab', user: 'admin' }), base, 'another user');
  assert.notEqual(key(env, { target: 'lab2' }), base);
  // The fast entry (no options) and the CLI agree on the key.
  const viaCli = shareSettings(planSsh(['admin@lab', 'true'], {}), {}, g, env, '/d')!.nameKey;
  assert.equal(viaCli, key(env, { target: 'lab', user: 'admin' }));
});

const skip = sshdAvailable() ? false : 'OpenSSH sshd not installed: shared-connection tests skipped';
if (skip) console.log(`# SKIP: ${skip}`);

describe('ec2ssh over a shared connection (OpenSSH sshd, instance from the sandbox)', { skip, timeout: 180_000 }, () => {
  let sb: TestSandbox;
  let sshd: Sshd;
  let lab: SandboxInstance;
  let env: Record<string, string>;
  let home: string;
  const shareDir = () => join(home, '.config/ec2term/share');
  const sockets = () => (existsSync(shareDir()) ? readdirSync(shareDir()).filter((f) => f.endsWith('.sock')) : []);
  const ec2ssh = (args: string[], o: { input?: string | Buffer; env?: Record<string, string> } = {}) =>
    runBin('ec2ssh', args, { env: { ...env, ...o.env }, input: o.input, timeoutMs: 60_000 });
  /** Runs until a run goes through the master (it starts in the background): a condition, not a sleep. */
  const untilShared = async () => {
    for (let i = 0; i < 200; i++) {
      const r = await ec2ssh(['--verbose', 'lab', 'true']);
      assert.equal(r.code, 0, r.stderr);
      if (/ran over the shared connection/.test(r.stderr)) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.fail('no run went through the shared connection');
  };

  before(async () => {
    sb = await startTestSandbox();
    const made = await instanceOnSshd(sb, { prefix: 'ec2term-share-' });
    ({ lab, sshd } = made);
    const { knownHosts } = made;
    home = mkdtempSync(join(tmpdir(), 'ec2term-share-home-'));
    // One HOME for every run (the share folder lives in it); EC2TERM_SANDBOX instead of --sandbox so that
    // `ec2ssh lab CMD` has no options and takes the fast entry.
    env = { ...sb.env, HOME: home, EC2TERM_SANDBOX: '1', EC2TERM_KNOWN_HOSTS: knownHosts, EC2TERM_SHARE: '1' };
  });
  after(async () => {
    // Removing the socket makes every master exit (it checks); the sandbox and sshd go too.
    rmSync(home, { recursive: true, force: true });
    await sshd?.stop();
    await sb?.stop();
  });

  it('a first run leaves a master on a 0600 socket in a 0700 folder; later runs use it', async () => {
    const first = await ec2ssh(['lab', 'exit 7']);
    assert.equal(first.code, 7, first.stderr);
    await untilShared();
    assert.equal(sockets().length, 1);
    assert.equal(statSync(shareDir()).mode & 0o777, 0o700);
    assert.equal(statSync(join(shareDir(), sockets()[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(join(shareDir(), `${sockets()[0]!}.token`)).mode & 0o777, 0o600);
  });

  it('a reconnect makes no EC2 call: it works while DescribeInstances fails', async () => {
    await untilShared();
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ service: 'ec2', kind: '500' }] });
    try {
      const fast = await ec2ssh(['lab', 'exit 5']);
      assert.equal(fast.code, 5, fast.stderr);
      const viaCli = await ec2ssh(['--verbose', 'lab', 'exit 6']);
      assert.equal(viaCli.code, 6, viaCli.stderr);
      assert.match(viaCli.stderr, /ran over the shared connection/);
    } finally {
      await sb.admin('DELETE', '/_sandbox/faults');
    }
  });

  it('passes stdin, stdout, stderr and a remote signal through the master', async () => {
    await untilShared();
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const r = await ec2ssh(['lab', 'cat; echo to-stderr >&2'], { input: data });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(createHash('sha256').update(r.stdoutBytes).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.match(r.stderr, /to-stderr/);
    assert.doesNotMatch(r.stdout, /to-stderr/);
    const killed = await ec2ssh(['lab', 'kill -TERM $$']);
    assert.equal(killed.code, 143);
    const tty = await ec2ssh(['-t', 'lab', 'tty']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\//);
  });

  it('ec2scp copies through the same master (several SFTP channels), with DescribeInstances failing', async () => {
    await untilShared();
    const work = mkdtempSync(join(tmpdir(), 'ec2term-share-scp-'));
    try {
      const data = randomBytes(9 * 1024 * 1024 + 11);
      writeFileSync(join(work, 'big.bin'), data);
      await sb.admin('POST', '/_sandbox/faults', { rules: [{ service: 'ec2', kind: '500' }] });
      const remote = join(sshd.dir, `shared-${process.pid}.bin`);
      const up = await runBin('ec2scp', ['--verbose', join(work, 'big.bin'), `lab:${remote}`], { env, timeoutMs: 60_000 });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /copying over the shared connection/);
      const down = await runBin('ec2scp', [`lab:${remote}`, join(work, 'back.bin')], { env, timeoutMs: 60_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.ok(readFileSync(remote).equals(data));
      assert.ok(readFileSync(join(work, 'back.bin')).equals(data));
    } finally {
      await sb.admin('DELETE', '/_sandbox/faults');
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('an entry naming another instance, or a dead master, is dropped and the run connects directly', async () => {
    await untilShared();
    const entries = readdirSync(shareDir()).filter((f) => f.endsWith('.name.json'));
    assert.ok(entries.length >= 1);
    for (const f of entries) {
      const p = join(shareDir(), f);
      writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), instanceId: 'i-00000000000000000' }));
    }
    const wrong = await ec2ssh(['--verbose', 'lab', 'exit 4']);
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /holds i-[0-9a-f]+, not i-0{17}: connecting directly/);
    await untilShared(); // the direct run wrote a right entry again
    // A socket nobody listens on (a master killed hard): refused, dropped, direct.
    for (const s of sockets()) rmSync(join(shareDir(), s));
    for (const s of readdirSync(shareDir()).filter((f) => f.endsWith('.name.json'))) {
      const p = join(shareDir(), s);
      writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), socketKey: 'deadbeef' }));
    }
    writeFileSync(join(shareDir(), 'deadbeef.sock.token'), 'x', { mode: 0o600 });
    const stale = await ec2ssh(['--verbose', 'lab', 'exit 3']);
    assert.equal(stale.code, 3, stale.stderr);
    assert.match(stale.stderr, /no shared connection .*connecting directly/);
  });

  it('--no-share connects directly and leaves no master', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ec2term-share-none-'));
    try {
      const r = await ec2ssh(['--no-share', 'lab', 'exit 2'], { env: { HOME: other } });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(existsSync(join(other, '.config/ec2term/share')), false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
