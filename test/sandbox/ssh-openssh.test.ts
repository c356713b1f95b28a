// The sandbox SSH endpoint driven by the real OpenSSH client (ssh, sftp, scp, ssh-keyscan, ssh-keygen).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleOutput, generateEd25519KeyPair, generateHostKey, startInstanceEndpoint, type HostKey, type InstanceEndpoint } from '../../src/sandbox/ssh/index.js';
import { parseConsoleFingerprints } from '../../src/lib/console-fingerprints.js';

const haveSsh = spawnSync('ssh', ['-V']).status === 0;
const haveSftp = haveSsh && spawnSync('sh', ['-c', 'command -v sftp']).status === 0;
const haveScp = haveSsh && spawnSync('sh', ['-c', 'command -v scp']).status === 0;
const haveKeyscan = spawnSync('sh', ['-c', 'command -v ssh-keyscan && command -v ssh-keygen']).status === 0;
const SKIP_SSH = haveSsh ? false : 'OpenSSH client (ssh) not installed: apt-get install -y openssh-client';
if (!haveSsh) console.warn(`# SKIPPING OpenSSH tests: ${SKIP_SSH}`);

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], input?: Buffer | string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sandbox SSH endpoint with OpenSSH', { skip: SKIP_SSH }, () => {
  let dir: string;
  let root: string;
  let home: string;
  let key: string;
  let wrongKey: string;
  let knownHosts: string;
  let hostKey: HostKey;
  let ep: InstanceEndpoint;
  let echo: Server;
  let echoPort: number;

  const common = () => [
    '-F', '/dev/null', '-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
    '-o', 'LogLevel=ERROR',
  ];
  const ssh = (args: string[], input?: Buffer | string, user = 'ubuntu', timeoutMs?: number) =>
    run('ssh', [...common(), '-p', String(ep.port), ...args.slice(0, -1), `${user}@${ep.host}`, args[args.length - 1]!], input, timeoutMs);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ec2term-ssh-'));
    root = join(dir, 'root');
    home = join(root, 'home', 'ubuntu');
    mkdirSync(root);
    const pair = generateEd25519KeyPair();
    const other = generateEd25519KeyPair();
    key = join(dir, 'id_ed25519');
    wrongKey = join(dir, 'wrong_ed25519');
    writeFileSync(key, pair.privateKey, { mode: 0o600 });
    writeFileSync(wrongKey, other.privateKey, { mode: 0o600 });
    chmodSync(key, 0o600);
    chmodSync(wrongKey, 0o600);
    hostKey = generateHostKey();
    const opts = { instanceId: 'i-0123456789abcdef0', port: 0, hostKey, authorizedKeys: [pair.publicKey], rootDir: root, user: 'ubuntu' };
    try {
      ep = await startInstanceEndpoint({ ...opts, host: '127.10.200.1' });
    } catch {
      ep = await startInstanceEndpoint({ ...opts, host: '127.0.0.1' }); // e.g. macOS only routes 127.0.0.1
    }
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[${ep.host}]:${ep.port} ${hostKey.publicKey}\n`);
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
  });

  after(async () => {
    await ep?.close();
    echo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('true exits 0, exit 7 exits 7', async () => {
    assert.equal((await ssh(['true'])).code, 0);
    assert.equal((await ssh(['exit 7'])).code, 7);
  });

  test('stdout and stderr stay separate; cwd and HOME are the instance home', async () => {
    const r = await ssh(['echo out; echo err >&2; pwd; echo "$HOME $USER"']);
    assert.equal(r.code, 0);
    const lines = r.stdout.toString().trim().split('\n');
    assert.equal(lines[0], 'out');
    assert.equal(lines[2], `${lines[1]} ubuntu`);
    assert.match(lines[1]!, /home\/ubuntu$/);
    assert.equal(r.stderr.trim(), 'err');
  });

  test('cat round-trips 1 MB of random bytes through stdin/stdout', async () => {
    const data = randomBytes(1 << 20);
    const r = await ssh(['cat'], data);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, data.length);
    assert.ok(r.stdout.equals(data));
  });

  test('a wrong key and a wrong user are refused (255)', async () => {
    const bad = await run('ssh', [...common().map((a) => (a === key ? wrongKey : a)), '-p', String(ep.port), `ubuntu@${ep.host}`, 'true']);
    assert.equal(bad.code, 255);
    assert.match(bad.stderr, /Permission denied/);
    const user = await ssh(['true'], undefined, 'root');
    assert.equal(user.code, 255);
    assert.match(user.stderr, /Permission denied/);
  });

  test('keep-alive requests are answered', async () => {
    const r = await ssh(['-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=2', 'sleep 3; echo alive']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString().trim(), 'alive');
  });

  test('ssh -tt gets a real pty with a size', async () => {
    const r = await ssh(['-tt', 'tty; stty size']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString().replace(/\r/g, '');
    assert.match(out, /^\/dev\/pts\/\d+$/m);
    assert.match(out, /^\d+ \d+$/m);
  });

  test('sftp -b: mkdir, put, rename, ls, get, rm, rmdir', { skip: haveSftp ? false : 'sftp not installed' }, async () => {
    const local = join(dir, 'up.bin');
    const back = join(dir, 'back.bin');
    const data = randomBytes(300_000);
    writeFileSync(local, data);
    const batch = join(dir, 'batch');
    writeFileSync(batch, [
      'mkdir d', `put ${local} d/a`, 'rename d/a d/b', 'ls -l d', `get d/b ${back}`, 'rm d/b', 'rmdir d', 'ls /', '',
    ].join('\n'));
    const r = await run('sftp', [...common(), '-P', String(ep.port), '-b', batch, `ubuntu@${ep.host}`]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    assert.match(out, /-rw\S+\s+1 ubuntu\s+ubuntu\s+300000 .* b$/m);
    assert.match(out, /\/home/);
    assert.ok(readFileSync(back).equals(data));
    assert.ok(!existsSync(join(home, 'd')));
  });

  test('scp uploads and downloads 20 MB intact', { skip: haveScp ? false : 'scp not installed' }, async () => {
    const local = join(dir, 'big.bin');
    const back = join(dir, 'big.back');
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(local, data);
    const args = [...common(), '-P', String(ep.port)];
    const up = await run('scp', [...args, local, `ubuntu@${ep.host}:big.bin`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(sha(readFileSync(join(home, 'big.bin'))), sha(data));
    const down = await run('scp', [...args, `ubuntu@${ep.host}:big.bin`, back]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(sha(readFileSync(back)), sha(data));
  });

  test('ssh -L forwards to a loopback TCP service', async () => {
    // The local end is a Unix socket in the test's folder: a TCP port picked here could be taken before ssh binds it.
    const local = join(dir, 'L.sock');
    const child = spawn('ssh', [...common(), '-p', String(ep.port), '-N', '-o', 'ExitOnForwardFailure=yes',
      '-L', `${local}:127.0.0.1:${echoPort}`, `ubuntu@${ep.host}`], { stdio: 'ignore' });
    try {
      const reply = await retry(() => roundTrip(local, 'hello via -L'));
      assert.equal(reply, 'hello via -L');
    } finally {
      child.kill();
    }
  });

  test('direct-tcpip to a non-loopback destination is refused', async () => {
    const r = await ssh(['-W', '192.0.2.1:80', 'unused'], undefined, 'ubuntu', 20_000);
    assert.notEqual(r.code, 0);
  });

  test('ssh -R with port 0 listens on loopback and forwards back', async () => {
    // "Allocated port N" is an INFO message: drop our LogLevel=ERROR (ssh keeps the first value given).
    const args = common();
    args.splice(args.indexOf('LogLevel=ERROR') - 1, 2);
    const child = spawn('ssh', [...args, '-p', String(ep.port), '-o', 'ExitOnForwardFailure=yes',
      '-R', `0:127.0.0.1:${echoPort}`, `ubuntu@${ep.host}`, 'sleep 20'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /Allocated port (\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.on('close', () => reject(new Error(`ssh exited: ${err}`)));
      });
      const reply = await retry(() => roundTrip(port, 'hello via -R'));
      assert.equal(reply, 'hello via -R');
    } finally {
      child.kill();
    }
  });

  test('consoleOutput carries the fingerprint ssh-keyscan sees', { skip: haveKeyscan ? false : 'ssh-keyscan/ssh-keygen not installed' }, async () => {
    const scan = await run('ssh-keyscan', ['-p', String(ep.port), '-t', 'ed25519', ep.host]);
    const line = scan.stdout.toString().split('\n').find((l) => l.includes('ssh-ed25519'));
    assert.ok(line, scan.stderr);
    const lf = await run('ssh-keygen', ['-lf', '-'], line + '\n');
    const fp = /SHA256:\S+/.exec(lf.stdout.toString())?.[0];
    const text = consoleOutput({ instanceId: 'i-0123456789abcdef0', hostKey, privateIp: '172.31.5.6', hostname: 'ip-172-31-5-6', booted: true });
    const parsed = parseConsoleFingerprints(text);
    assert.deepEqual(parsed.fingerprints, [fp]);
    assert.equal(parsed.keys[0]!.split(' ').slice(0, 2).join(' '), line!.split(' ').slice(1, 3).join(' '));
  });
});

function roundTrip(port: number | string, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(typeof port === 'string' ? { path: port } : { host: '127.0.0.1', port });
    let got = '';
    s.on('error', reject);
    s.on('connect', () => s.write(msg));
    s.on('data', (d) => {
      got += d.toString();
      if (got.length >= msg.length) {
        s.end();
        resolve(got);
      }
    });
    s.on('close', () => (got.length < msg.length ? reject(new Error('closed early')) : undefined));
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 50): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
