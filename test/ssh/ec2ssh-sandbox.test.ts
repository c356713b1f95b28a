// ec2ssh end to end against the sandbox alone: its EC2 API and its own SSH endpoint, whose host key the
// console output vouches for, so first contact verifies and pins the key exactly as on EC2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, ROOT, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, type SandboxInstance } from '../helpers/fixture.js';
import { keygen, sshAvailable, sshdAvailable } from '../helpers/sshd.js';

describe('ec2ssh against the sandbox', { timeout: 120_000 }, () => {
  let sb: TestSandbox;
  let lab: SandboxInstance;
  let env: Record<string, string>;
  let knownHosts: string;
  const ec2ssh = (args: string[], input?: string | Buffer) => runBin('ec2ssh', ['--sandbox', ...args], { env, input, timeoutMs: 60_000 });

  before(async () => {
    sb = await startTestSandbox();
    lab = await launchInstance(sb, 'lab');
    knownHosts = join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts');
    env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts };
  });
  after(async () => {
    await sb?.stop();
  });

  it("verifies the host key against the console on first contact, pins it, and passes 'exit 7' through", async () => {
    const r = await ec2ssh(['lab', 'exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /verified the host key of lab .* against its console output and pinned it/);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^${lab.id} ssh-ed25519 `, 'm'));
    const again = await ec2ssh(['lab', 'exit 7']);
    assert.equal(again.code, 7);
    assert.doesNotMatch(again.stderr, /pinned it/);
  });

  it('DEBUG=ec2term:ssh traces the protocol with ssh2 native crypto loaded, and no key material', async () => {
    const r = await runBin('ec2ssh', ['--sandbox', 'lab', 'true'], { env: { ...env, DEBUG: 'ec2term:ssh' }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^debug ssh [\d.]+ ms: Outbound: Sending CHANNEL_REQUEST \(r:\d+, exec: true\)$/m);
    // The bundle must load ssh2 from node_modules, where its optional native binding sits: bundled, the
    // binding's relative require fails silently and every packet takes the slow path.
    if (existsSync(join(ROOT, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'))) {
      assert.match(r.stderr, /Custom crypto binding available/);
    }
    assert.doesNotMatch(r.stderr, /PRIVATE KEY|AAAA[0-9A-Za-z+/]{40}/);
    const quiet = await ec2ssh(['lab', 'true']);
    assert.doesNotMatch(quiet.stderr, /debug ssh/);
  });

  it('passes stdin through (echo hi | ec2ssh lab cat)', async () => {
    const r = await ec2ssh(['lab', 'cat'], 'hi\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  it('logs in as the user the image implies (ubuntu)', async () => {
    const r = await ec2ssh(['--print', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ubuntu@127\./);
  });

  it('--print gives a command OpenSSH runs', { skip: sshAvailable() ? false : 'OpenSSH ssh client not installed: skipped' }, async () => {
    const r = await ec2ssh(['--print', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    const ssh = spawnSync('sh', ['-c', `${r.stdout.trim().replace(/^ssh /, 'ssh -o BatchMode=yes ')} 'exit 7'`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(ssh.status, 7, ssh.stderr);
  });

  it('refuses a swapped host key (exit 255) and names --forget-host-key', { skip: sshdAvailable() ? false : 'ssh-keygen not installed' }, async () => {
    const saved = readFileSync(knownHosts, 'utf8');
    const { publicKey } = keygen(join(mkdtempSync(join(tmpdir(), 'ec2term-k-')), 'impostor'));
    writeFileSync(knownHosts, `${lab.id} ${publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    try {
      const r = await ec2ssh(['lab', 'true']);
      assert.equal(r.code, 255);
      assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      assert.match(r.stderr, /ec2ssh --forget-host-key lab/);
      const f = await ec2ssh(['--forget-host-key', 'lab']);
      assert.equal(f.code, 0, f.stderr);
      // With the pin gone, the console vouches for the real key again.
      const ok = await ec2ssh(['lab', 'true']);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      if (!readFileSync(knownHosts, 'utf8').includes(lab.id)) writeFileSync(knownHosts, saved);
    }
  });

  it('--json with a remote command is refused before connecting (it would mix with the command\'s output)', async () => {
    const r = await ec2ssh(['--json', 'lab', 'echo hi']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--json cannot share stdout with the remote command/);
  });

  it('a reader that goes away (| head -1) ends ec2ssh quietly with 0, as OpenSSH does; ec2list too, with 141', () => {
    // A real shell pipe, as a user types it; PIPESTATUS gives ec2ssh's own status.
    const sh = (cmd: string) => spawnSync('bash', ['-c', `${cmd}; echo "status=\${PIPESTATUS[0]}" >&2`], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
    const r = sh(`${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/ec2ssh'))} --sandbox lab 'seq 1 1000000' | head -1`);
    assert.equal(r.stdout, '1\n');
    assert.match(r.stderr, /status=0\s*$/);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at .*\.js/, 'no stack trace');
    const l = sh(`${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/ec2list'))} --sandbox --help | head -c 10 >/dev/null`);
    assert.doesNotMatch(l.stderr, /EPIPE|Error|at .*\.js/, 'no stack trace');
  });
});
