// OpenSSH habits against the real ec2ssh bin and the sandbox (its EC2 API and SSH endpoints): each flag
// with its ssh(1) meaning, and `ssh -F` on the config --ssh-config writes, before and after stop/start.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeInstancesCommand, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { binPath, cleanEnv, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, sandboxEc2, type SandboxInstance } from '../helpers/fixture.js';
import { echoServer, roundTrip, SSH, sshAvailable } from '../helpers/sshd.js';

/** Spawns ec2ssh and resolves once stderr matches `ready` (with the match), or rejects when it exits first. */
function spawnUntil(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; stderr: () => string }> {
  const child = spawn(process.execPath, [binPath('ec2ssh'), ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = ready.exec(err);
      if (m) resolve({ child, match: m, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`ec2ssh exited ${code} before ${ready}: ${err}`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return done;
}

/** One SOCKS5 CONNECT to 127.0.0.1:port through the proxy; resolves with what the far side answers to `text`. */
function socks5(proxyPort: number, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: proxyPort });
    let stage = 0;
    let got = Buffer.alloc(0);
    s.once('connect', () => s.write(Buffer.from([5, 1, 0])));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (stage === 0 && got.length >= 2) {
        assert.deepEqual([...got.subarray(0, 2)], [5, 0]);
        got = got.subarray(2);
        stage = 1;
        const req = Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 0]);
        req.writeUInt16BE(port, 8);
        s.write(req);
      }
      if (stage === 1 && got.length >= 10) {
        assert.equal(got[1], 0, 'SOCKS5 reply: succeeded');
        got = got.subarray(10);
        stage = 2;
        s.write(text);
      }
    });
    s.on('end', () => resolve(got.toString()));
    s.on('error', reject);
  });
}

describe('ec2ssh OpenSSH flags against the sandbox', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  let lab: SandboxInstance;
  let bastion: SandboxInstance;
  let env: Record<string, string>;
  let echo: Server;
  let echoPort: number;
  const ec2ssh = (args: string[], input?: string, extra: Record<string, string> = {}) => runBin('ec2ssh', ['--sandbox', ...args], { env: { ...env, ...extra }, input, timeoutMs: 60_000 });

  before(async () => {
    sb = await startTestSandbox();
    [lab, bastion] = [await launchInstance(sb, 'lab'), await launchInstance(sb, 'bastion')];
    env = { ...sb.env, EC2TERM_KNOWN_HOSTS: join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts') };
    echo = await echoServer();
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    echo?.close();
    await sb?.stop();
  });

  it('-4 connects over IPv4; -6 refuses the IPv4-only instance in one line (exit 255)', async () => {
    const r4 = await ec2ssh(['-4', 'lab', 'echo', 'v4']);
    assert.equal(r4.code, 0, r4.stderr);
    assert.equal(r4.stdout, 'v4\n');
    const r6 = await ec2ssh(['-6', 'lab', 'true']);
    assert.equal(r6.code, 255);
    assert.match(r6.stderr, /IPv4 address and -6 \(AddressFamily inet6\) allows only IPv6/);
  });

  it('options are parsed getopt-style before the target: -p2222, -p 2222, -oPort=, bundled -tT-style flags', async () => {
    for (const args of [[`-p${lab.sshPort}`], ['-p', String(lab.sshPort)], [`-oPort=${lab.sshPort}`], ['-o', `Port ${lab.sshPort}`], ['-Tn']]) {
      const r = await ec2ssh([...args, 'lab', 'echo', 'ok']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, 'ok\n');
    }
    const wrong = await ec2ssh(['-p1', 'lab', 'true']);
    assert.equal(wrong.code, 255);
    assert.match(wrong.stderr, /port 1: connection refused/);
  });

  it('-C compresses (zlib negotiated) and the bytes still pass through', async () => {
    const r = await ec2ssh(['-C', 'lab', 'cat'], 'x'.repeat(100_000), { DEBUG: 'ec2term:ssh' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 100_000);
    assert.match(r.stderr, /Handshake: C->S compression: zlib@openssh\.com$/m);
    const plain = await ec2ssh(['lab', 'true'], undefined, { DEBUG: 'ec2term:ssh' });
    assert.match(plain.stderr, /Handshake: C->S compression: none$/m);
  });

  it('-J bastion lab: logs in to bastion, then to lab through it (both names resolved)', async () => {
    const r = await ec2ssh(['-v', '-J', 'bastion', 'lab', 'echo', 'jumped']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'jumped\n');
    assert.match(r.stderr, new RegExp(`connecting to \\S+ port \\d+ \\(lab \\(${lab.id}\\)\\) through bastion \\(${bastion.id}\\)`));
    const o = await ec2ssh(['-o', 'ProxyJump=bastion', 'lab', 'true']);
    assert.equal(o.code, 0, o.stderr);
    const missing = await ec2ssh(['-J', 'nosuchbastion', 'lab', 'true']);
    assert.equal(missing.code, 3, missing.stderr);
  });

  it('-W host:port carries stdin/stdout to a port reached from the instance', async () => {
    const r = await ec2ssh(['-W', `127.0.0.1:${echoPort}`, 'lab'], 'through-W');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'echo:through-W');
  });

  it('-D 0 -N: a SOCKS5 proxy whose connections leave from the instance', async () => {
    const { child, match } = await spawnUntil(['--sandbox', '-N', '-D', '0', 'lab'], env, /Allocated port (\d+) for dynamic forward/);
    try {
      assert.equal(await socks5(Number(match[1]), echoPort, 'via-socks'), 'echo:via-socks');
    } finally {
      await stopped(child);
    }
  });

  it('-f -N -L: returns once logged in and forwarding; the forward works from the background', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-bg-'));
    const log = join(dir, 'stderr');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const parent = spawnSync(process.execPath, [binPath('ec2ssh'), '--sandbox', '-v', '-f', '-N', '-L', `${port}:127.0.0.1:${echoPort}`, 'lab'], {
      env: cleanEnv(env),
      stdio: ['ignore', 'ignore', openSync(log, 'w')],
      timeout: 60_000,
    });
    const text = readFileSync(log, 'utf8');
    assert.equal(parent.status, 0, text);
    const pid = Number(/in the background \(pid (\d+)\)/.exec(text)?.[1]);
    assert.ok(pid > 0, text);
    try {
      assert.equal(await roundTrip(port, 'bg'), 'echo:bg');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('escapes with a PTY: ~? lists them, ~. disconnects (exit 255); -e none passes ~. through', async () => {
    const help = await ec2ssh(['-t', 'lab'], '~?\nexit 4\n');
    assert.equal(help.code, 4, help.stderr);
    assert.match(help.stderr, /Supported escape sequences:/);
    const quit = await ec2ssh(['-t', 'lab', 'cat'], 'one\n~.');
    assert.equal(quit.code, 255, quit.stderr);
    assert.match(quit.stderr, /Connection to \S+ closed\./);
    const none = await ec2ssh(['-t', '-e', 'none', 'lab'], 'echo "~."\nexit 3\n');
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stdout, /~\./);
  });

  it('-F FILE: Host alias with HostName and Port (the options ec2ssh supports; others left to OpenSSH)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ec2term-F-')), 'config');
    writeFileSync(file, `Host mylab\n  HostName lab\n  Port ${lab.sshPort}\n  ControlMaster auto\n  ForwardX11Timeout 5m\n`);
    const r = await ec2ssh(['-F', file, 'mylab', 'echo', 'from-F']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-F\n');
    const missing = await ec2ssh(['-F', '/nonexistent/config', 'lab', 'true']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /-F \/nonexistent\/config: no such file/);
  });

  it('-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null: accept-new with a notice; /dev/null stays a device', async () => {
    const r = await ec2ssh(['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', 'lab', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /StrictHostKeyChecking=no is treated as accept-new/);
    assert.ok(statSync('/dev/null').isCharacterDevice());
    const bad = await ec2ssh(['-o', 'NoSuchThing=1', 'lab', 'true']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /-o NoSuchThing=1: unknown or unsupported option/);
  });

  it('OpenSSH `ssh -F` on the --ssh-config file works before and after a stop/start (new address and port)', { skip: sshAvailable() ? false : 'OpenSSH ssh not installed' }, async () => {
    const w = await ec2ssh(['--ssh-config']);
    assert.equal(w.code, 0, w.stderr);
    const home = env.HOME!;
    const config = join(home, '.ssh', 'config');
    const managed = readFileSync(join(home, '.ssh', 'config.d', 'ec2term'), 'utf8');
    assert.match(readFileSync(config, 'utf8'), /^# Added by ec2ssh[^\n]*\nInclude \S+config\.d\/ec2term$/m);
    assert.match(managed, /^Host lab$/m);
    assert.match(managed, new RegExp(`ProxyCommand .*--stdio ${lab.id}$`, 'm'));
    const ssh = () => spawnSync(SSH, ['-F', config, '-o', 'BatchMode=yes', 'lab', 'echo', 'via-openssh'], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
    const first = ssh();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, 'via-openssh\n');

    const ec2 = sandboxEc2(sb);
    const describe = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [lab.id] }))).Reservations![0]!.Instances![0]!;
    const before = await describe();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [lab.id] }));
    while ((await describe()).State?.Name !== 'stopped') await new Promise((r) => setTimeout(r, 50));
    await ec2.send(new StartInstancesCommand({ InstanceIds: [lab.id] }));
    let now = await describe();
    while (now.State?.Name !== 'running') {
      await new Promise((r) => setTimeout(r, 50));
      now = await describe();
    }
    const port = (i: typeof now) => i.Tags?.find((t) => t.Key === 'ec2term:ssh-port')?.Value;
    assert.ok(now.PublicIpAddress !== before.PublicIpAddress || port(now) !== port(before), 'the sandbox gives a new address or port after a start');
    const second = ssh();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, 'via-openssh\n');

    // Written again: the block is replaced, not appended, and the Include stays single.
    const again = await ec2ssh(['--ssh-config', 'lab']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((readFileSync(join(home, '.ssh', 'config.d', 'ec2term'), 'utf8').match(/^Host lab$/gm) ?? []).length, 1);
    assert.equal((readFileSync(config, 'utf8').match(/^Include /gm) ?? []).length, 1);
  });

  it('first contact through the written config: ec2ssh --stdio verifies the key against the console and pins it, then ssh checks it', { skip: sshAvailable() ? false : 'OpenSSH ssh not installed' }, async () => {
    const fresh = { ...env, HOME: mkdtempSync(join(tmpdir(), 'ec2term-home-')), EC2TERM_KNOWN_HOSTS: join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts') };
    const w = await runBin('ec2ssh', ['--sandbox', '--ssh-config', 'bastion'], { env: fresh, timeoutMs: 60_000 });
    assert.equal(w.code, 0, w.stderr);
    const r = spawnSync(SSH, ['-F', join(fresh.HOME, '.ssh', 'config'), '-o', 'BatchMode=yes', 'bastion', 'echo', 'first'], { env: cleanEnv(fresh), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'first\n');
    assert.match(readFileSync(fresh.EC2TERM_KNOWN_HOSTS, 'utf8'), new RegExp(`^${bastion.id} ssh-ed25519 `, 'm'));
  });
});
