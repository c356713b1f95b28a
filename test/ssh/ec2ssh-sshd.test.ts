// The real ec2ssh bin end to end: the instance comes from the sandbox's EC2 API, but its SSH port is
// OpenSSH's real sshd (listening on the instance's loopback address, its port in tag ec2term:ssh-port).
import assert from 'node:assert/strict';
import { instanceOnSshd } from '../helpers/sshd-instance.js';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { BIN, cleanEnv, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, sandboxEc2, type SandboxInstance } from '../helpers/fixture.js';
import { echoServer, freePort, keygen, roundTrip, SSH, sshAvailable, sshdAvailable, type Sshd } from '../helpers/sshd.js';

const skip = sshdAvailable() ? false : 'OpenSSH sshd not installed: ec2ssh-against-sshd tests skipped';
if (skip) console.log(`# SKIP: ${skip}`);

describe('ec2ssh against OpenSSH sshd (instance from the sandbox)', { skip, timeout: 180_000 }, () => {
  let sb: TestSandbox;
  let sshd: Sshd;
  let lab: SandboxInstance;
  let env: Record<string, string>;
  let knownHosts: string;
  const pin = () => writeFileSync(knownHosts, `${lab.id} ${sshd.hostPublicKey}\n`, { mode: 0o600 });
  const ec2ssh = (args: string[], o: { input?: string | Buffer; env?: Record<string, string> } = {}) =>
    runBin('ec2ssh', ['--sandbox', ...args], { env: { ...env, ...o.env }, input: o.input, timeoutMs: 60_000 });

  before(async () => {
    sb = await startTestSandbox();
    ({ lab, sshd, knownHosts } = await instanceOnSshd(sb, { prefix: 'ec2term-ssh-' }));
    env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts };
  });
  after(async () => {
    await sshd?.stop();
    await sb?.stop();
  });

  it("passes the remote exit status through: ec2ssh --sandbox lab 'exit 7' exits 7", async () => {
    const r = await ec2ssh(['lab', 'exit 7']);
    assert.equal(r.code, 7, r.stderr);
  });

  it('runs options after the target as the remote command (ec2ssh lab ls -la /)', async () => {
    const r = await ec2ssh(['lab', 'ls', '-la', '/']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^total /m);
  });

  it('passes stdin, stdout and stderr through byte for byte', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const r = await ec2ssh(['lab', 'cat; echo to-stderr >&2'], { input: data });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(createHash('sha256').update(r.stdoutBytes).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.match(r.stderr, /to-stderr/);
  });

  it('reports a remote signal as 128+n', async () => {
    const r = await ec2ssh(['lab', 'kill -TERM $$']);
    assert.equal(r.code, 143, r.stderr);
  });

  it('allocates a PTY with -t and none with -T', async () => {
    const t = await ec2ssh(['-t', 'lab', 'tty']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /\/dev\/pts\//);
    const T = await ec2ssh(['-T', 'lab', 'tty']);
    assert.notEqual(T.code, 0);
    assert.match(T.stdout, /not a tty/);
  });

  it('forwards a local port with -N -L until interrupted', async () => {
    const echo = await echoServer();
    const local = await freePort();
    const child = spawn(process.execPath, [join(BIN, 'ec2ssh'), '--sandbox', '-N', '-L', `${local}:127.0.0.1:${(echo.address() as { port: number }).port}`, 'lab'], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    try {
      let got = '';
      for (let i = 0; i < 200 && got === '' && child.exitCode === null; i++) {
        got = await roundTrip(local, 'hello').catch(() => '');
        if (!got) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(got, 'echo:hello', stderr);
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (c) => resolve(c));
        child.kill('SIGINT');
      });
      echo.close();
      assert.equal(code, 130, stderr);
    }
  });

  it('refuses a wrong key and says which', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'ec2term-k-')), 'other');
    keygen(other);
    const r = await ec2ssh(['-i', other, 'lab', 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /permission denied \(publickey\).*refused .*other \(ssh-ed25519 SHA256:/);
  });

  it('--print gives an OpenSSH command that runs', { skip: sshAvailable() ? false : 'OpenSSH ssh client not installed' }, async () => {
    const r = await ec2ssh(['--print', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    const command = r.stdout.trim();
    assert.match(command, new RegExp(`HostKeyAlias=${lab.id}`));
    assert.match(command, /StrictHostKeyChecking=yes/);
    assert.match(command, new RegExp(`-p ${sshd.port}`));
    // Options go before the `--` that ends them; words after the destination are the remote command.
    const ssh = spawnSync('sh', ['-c', `${command.replace(/^ssh /, 'ssh -o BatchMode=yes ')} 'echo via-openssh; exit 3'`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(ssh.status, 3, ssh.stderr);
    assert.equal(ssh.stdout, 'via-openssh\n');
  });

  it('--ssh-config writes a Host block plain ssh can use (through ec2ssh --stdio)', { skip: sshAvailable() ? false : 'OpenSSH ssh client not installed' }, async () => {
    const r = await ec2ssh(['--ssh-config', '--dry-run', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Host lab$/m);
    assert.match(r.stdout, new RegExp(`HostKeyAlias ${lab.id}`));
    const cfg = join(mkdtempSync(join(tmpdir(), 'ec2term-cfg-')), 'config');
    writeFileSync(cfg, r.stdout);
    const ssh = spawnSync(SSH, ['-F', cfg, '-o', 'BatchMode=yes', 'lab', 'echo', 'config-ok'], { encoding: 'utf8', timeout: 20_000, env: cleanEnv(env) });
    assert.equal(ssh.status, 0, ssh.stderr);
    assert.equal(ssh.stdout, 'config-ok\n');
  });

  it('refuses a swapped host key loudly, and --forget-host-key clears the pin', async () => {
    const { publicKey } = keygen(join(mkdtempSync(join(tmpdir(), 'ec2term-k-')), 'impostor'));
    writeFileSync(knownHosts, `${lab.id} ${publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    try {
      const r = await ec2ssh(['lab', 'true']);
      assert.equal(r.code, 255);
      assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      assert.match(r.stderr, /has changed/);
      assert.match(r.stderr, /ec2ssh --forget-host-key lab/);
      const f = await ec2ssh(['--forget-host-key', 'lab']);
      assert.equal(f.code, 0, f.stderr);
      assert.match(f.stderr, /forgot 1 pinned host key/);
      assert.doesNotMatch(readFileSync(knownHosts, 'utf8'), new RegExp(lab.id));
      // Unpinned again: the console output (the sandbox's key, not this sshd's) does not vouch for it.
      const again = await ec2ssh(['lab', 'true']);
      assert.equal(again.code, 255);
      assert.match(again.stderr, /matches none of the fingerprints in its console output|cannot verify the host key/);
    } finally {
      pin();
    }
  });

  it('says a stopped instance must be started (exit 1, ec2list --start)', async () => {
    const other = await launchInstance(sb, 'sleepy');
    await sandboxEc2(sb).send(new StopInstancesCommand({ InstanceIds: [other.id] }));
    const r = await ec2ssh(['sleepy', 'true']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ec2list --start sleepy/);
  });

  it('exits 3 for an unknown name', async () => {
    const r = await ec2ssh(['nosuch', 'true']);
    assert.equal(r.code, 3);
  });
});
