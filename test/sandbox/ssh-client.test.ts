// The sandbox SSH endpoint driven by ssh2's own Client and by ssh2-sftp-client (what the CLI uses).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2, { type ClientChannel, type SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { generateEd25519KeyPair, generateHostKey, startInstanceEndpoint, type HostKey, type InstanceEndpoint } from '../../src/sandbox/ssh/index.js';
import { sha256Fingerprint } from '../../src/lib/console-fingerprints.js';

const { STATUS_CODE } = ssh2.utils.sftp;
const haveScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sandbox SSH endpoint with ssh2 clients', () => {
  let dir: string;
  let root: string;
  let home: string;
  let privateKey: string;
  let hostKey: HostKey;
  let ep: InstanceEndpoint;
  let conn: ssh2.Client;
  let sftp: SFTPWrapper;

  const connectOpts = () => ({
    host: ep.host,
    port: ep.port,
    username: 'ubuntu',
    privateKey,
    // Pin the host key the way the CLI does: by its SHA256 fingerprint.
    hostVerifier: (key: Buffer) => sha256Fingerprint(key) === hostKey.fingerprint,
  });
  const open = (): Promise<ssh2.Client> =>
    new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      c.on('ready', () => resolve(c)).on('error', reject).connect(connectOpts());
    });
  const exec = (cmd: string, opts: ssh2.ExecOptions = {}, input?: Buffer) =>
    new Promise<{ code: number | null; signal?: string; out: Buffer; err: string; ch: ClientChannel }>((resolve, reject) => {
      conn.exec(cmd, opts, (err, ch) => {
        if (err) return reject(err);
        const out: Buffer[] = [];
        let errText = '';
        let code: number | null = null;
        let signal: string | undefined;
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => (errText += d.toString()));
        ch.on('close', () => resolve({ code, signal, out: Buffer.concat(out), err: errText, ch }));
        if (input) ch.end(input);
        else ch.end();
      });
    });
  const sftpErr = (fn: (cb: (err: (Error & { code?: number }) | null | undefined) => void) => void) =>
    new Promise<number | undefined>((resolve) => fn((err) => resolve(err ? err.code : STATUS_CODE.OK)));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ec2term-ssh2-'));
    root = join(dir, 'root');
    home = join(root, 'home', 'ubuntu');
    mkdirSync(root);
    writeFileSync(join(dir, 'outside-secret'), 'not for the instance');
    const pair = generateEd25519KeyPair();
    privateKey = pair.privateKey;
    hostKey = generateHostKey();
    const opts = { instanceId: 'i-0abc', port: 0, hostKey, authorizedKeys: [`# launch key\n${pair.publicKey} ec2term`], rootDir: root, user: 'ubuntu' };
    try {
      ep = await startInstanceEndpoint({ ...opts, host: '127.10.200.2' });
    } catch {
      ep = await startInstanceEndpoint({ ...opts, host: '127.0.0.1' });
    }
    conn = await open();
    sftp = await new Promise((resolve, reject) => conn.sftp((err, s) => (err ? reject(err) : resolve(s))));
  });

  after(async () => {
    conn?.end();
    await ep?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exec: exit status, stdin EOF, client env', async () => {
    assert.equal((await exec('exit 3')).code, 3);
    const data = randomBytes(200_000);
    const r = await exec('wc -c', {}, data);
    assert.equal(r.out.toString().trim(), String(data.length));
    const e = await exec('echo "$LANG"', { env: { LANG: 'en_US.UTF-8' } });
    assert.equal(e.out.toString().trim(), 'en_US.UTF-8');
  });

  test('exec: death by signal is reported as exit-signal', async () => {
    const r = await exec('kill -TERM $$');
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM'); // "TERM" on the wire; ssh2's client adds the prefix
  });

  const ptyRoundTrip = async () => {
    const ch = await new Promise<ClientChannel>((resolve, reject) =>
      conn.shell({ rows: 33, cols: 101, term: 'xterm' }, (err, c) => (err ? reject(err) : resolve(c))),
    );
    let out = '';
    ch.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, re);
    };
    ch.write('stty size; tty\n');
    await waitFor(/^33 101\r?$/m);
    await waitFor(/\/dev\/pts\/\d+/);
    ch.setWindow(40, 120, 0, 0);
    // Ask until the new size shows: no guess at how long the window change takes to land.
    for (let i = 0; i < 100 && !/^40 120\r?$/m.test(out); i++) {
      ch.write('stty size\n');
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(/^40 120\r?$/m);
    const closed = new Promise<number | null>((resolve) => ch.on('exit', (c: number | null) => resolve(c)));
    ch.write('exit 5\n');
    assert.equal(await closed, 5);
  };

  test('pty shell honours its size and window changes', ptyRoundTrip);

  test('pty via the util-linux script fallback (hosts without python3)', { skip: haveScript ? false : 'script (util-linux) not installed' }, async () => {
    process.env.EC2TERM_SANDBOX_PTY = 'script';
    try {
      await ptyRoundTrip();
    } finally {
      delete process.env.EC2TERM_SANDBOX_PTY;
    }
  });

  test('shell without a pty reads commands from stdin', async () => {
    const ch = await new Promise<ClientChannel>((resolve, reject) => conn.shell(false, (err, c) => (err ? reject(err) : resolve(c))));
    let out = '';
    ch.on('data', (d: Buffer) => (out += d.toString()));
    const code = new Promise<number | null>((resolve) => ch.on('exit', (c: number | null) => resolve(c)));
    ch.end('echo no-pty; exit 4\n');
    assert.equal(await code, 4);
    assert.equal(out.trim(), 'no-pty');
  });

  test('sftp fastPut/fastGet of 8 MB (ssh2) and put/get/list (ssh2-sftp-client)', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const local = join(dir, 'fast.bin');
    writeFileSync(local, data);
    await new Promise<void>((res, rej) => sftp.fastPut(local, 'fast.bin', { concurrency: 64, chunkSize: 32768 }, (e) => (e ? rej(e) : res())));
    assert.equal(sha(readFileSync(join(home, 'fast.bin'))), sha(data));
    const back = join(dir, 'fast.back');
    await new Promise<void>((res, rej) => sftp.fastGet('fast.bin', back, { concurrency: 64, chunkSize: 65536 }, (e) => (e ? rej(e) : res())));
    assert.equal(sha(readFileSync(back)), sha(data));

    const client = new SftpClient();
    await client.connect(connectOpts());
    try {
      assert.equal(await client.cwd(), '/home/ubuntu');
      await client.fastPut(local, '/home/ubuntu/via-client.bin');
      await client.fastGet('/home/ubuntu/via-client.bin', join(dir, 'via-client.back'));
      assert.equal(sha(readFileSync(join(dir, 'via-client.back'))), sha(data));
      await client.put(Buffer.from('hello'), 'small.txt');
      assert.equal((await client.get('small.txt') as Buffer).toString(), 'hello');
      await client.append(Buffer.from(' world'), 'small.txt');
      assert.equal(readFileSync(join(home, 'small.txt'), 'utf8'), 'hello world');
      await client.mkdir('a/b/c', true);
      await client.rename('small.txt', 'a/b/c/moved.txt');
      const names = (await client.list('a/b/c')).map((e) => e.name);
      assert.deepEqual(names, ['moved.txt']);
      assert.equal(await client.exists('a/b/c/moved.txt'), '-');
      assert.equal(await client.exists('nope'), false);
      await client.rmdir('a', true);
      assert.ok(!existsSync(join(home, 'a')));
    } finally {
      await client.end();
    }
  });

  test('sftp: rename overwrites, EXCL refuses existing, setstat mode/size/times, symlinks', async () => {
    writeFileSync(join(home, 'x'), 'xxxx');
    writeFileSync(join(home, 'y'), 'yy');
    assert.equal(await sftpErr((cb) => sftp.rename('x', 'y', cb)), STATUS_CODE.OK);
    assert.equal(readFileSync(join(home, 'y'), 'utf8'), 'xxxx');
    assert.equal(await sftpErr((cb) => sftp.open('y', 'wx', cb)), STATUS_CODE.FAILURE);
    assert.equal(await sftpErr((cb) => sftp.setstat('y', { mode: 0o640, size: 2, atime: 1_000_000, mtime: 2_000_000 }, cb)), STATUS_CODE.OK);
    const st = lstatSync(join(home, 'y'));
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.size, 2);
    assert.equal(Math.floor(st.mtimeMs / 1000), 2_000_000);
    assert.equal(await sftpErr((cb) => sftp.symlink('/home/ubuntu/y', 'link-abs', cb)), STATUS_CODE.OK);
    assert.equal(await sftpErr((cb) => sftp.symlink('y', 'link-rel', cb)), STATUS_CODE.OK);
    assert.equal(readlinkSync(join(home, 'link-rel')), 'y');
    const target = await new Promise<string>((res, rej) => sftp.readlink('link-abs', (e, t) => (e ? rej(e) : res(t))));
    assert.equal(target, '/home/ubuntu/y');
    const viaLink = await new Promise<Buffer>((res, rej) => sftp.readFile('link-abs', (e, d) => (e ? rej(e) : res(d))));
    assert.equal(viaLink.toString(), 'xx');
    assert.equal(await sftpErr((cb) => sftp.stat('missing', cb)), STATUS_CODE.NO_SUCH_FILE);
    const real = await new Promise<string>((res, rej) => sftp.realpath('.', (e, p) => (e ? rej(e) : res(p))));
    assert.equal(real, '/home/ubuntu');
  });

  test('sftp cannot escape the instance root', async () => {
    const denied = STATUS_CODE.PERMISSION_DENIED;
    assert.equal(await sftpErr((cb) => sftp.readdir('../../..', cb)), denied);
    assert.equal(await sftpErr((cb) => sftp.stat('../../../outside-secret', cb)), denied);
    assert.equal(await sftpErr((cb) => sftp.open('/../outside-secret', 'r', cb)), denied);
    assert.equal(await sftpErr((cb) => sftp.open('/../evil', 'w', cb)), denied);
    // A symlink planted inside the root that points outside it is refused too.
    symlinkSync(join(dir, 'outside-secret'), join(home, 'planted'));
    symlinkSync(dir, join(home, 'planted-dir'));
    assert.equal(await sftpErr((cb) => sftp.open('planted', 'r', cb)), denied);
    assert.equal(await sftpErr((cb) => sftp.readdir('planted-dir', cb)), denied);
    assert.equal(await sftpErr((cb) => sftp.open('planted-dir/new', 'w', cb)), denied);
    assert.ok(!existsSync(join(dir, 'evil')) && !existsSync(join(dir, 'new')));
    // "/" of the instance lists the root, not the host.
    const list = await new Promise<string[]>((res, rej) => sftp.readdir('/', (e, l) => (e ? rej(e) : res(l.map((x) => x.filename)))));
    assert.deepEqual(list.filter((n) => n !== '.' && n !== '..'), ['home']);
  });

  test('only the launch key for the right user gets in', async () => {
    const other = generateEd25519KeyPair();
    const attempt = (o: object) =>
      new Promise<string>((resolve) => {
        const c = new ssh2.Client();
        c.on('ready', () => {
          c.end();
          resolve('in');
        }).on('error', (e) => resolve(e.message)).connect({ ...connectOpts(), ...o });
      });
    assert.match(await attempt({ privateKey: other.privateKey }), /authentication methods failed/);
    assert.match(await attempt({ username: 'root' }), /authentication methods failed/);
    assert.match(await attempt({ privateKey: undefined, password: 'ubuntu' }), /authentication methods failed/);
    assert.equal(await attempt({}), 'in');
  });

  test('close() ends open sessions and running commands quickly', async () => {
    const hk = generateHostKey();
    const pair = generateEd25519KeyPair();
    const r2 = join(dir, 'root2');
    mkdirSync(r2);
    const ep2 = await startInstanceEndpoint({ instanceId: 'i-2', host: ep.host, port: 0, hostKey: hk, authorizedKeys: [pair.publicKey], rootDir: r2, user: 'ubuntu' });
    const c = await new Promise<ssh2.Client>((resolve, reject) => {
      const cl = new ssh2.Client();
      cl.on('ready', () => resolve(cl)).on('error', reject).connect({ host: ep2.host, port: ep2.port, username: 'ubuntu', privateKey: pair.privateKey });
    });
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.on('error', () => {});
    await new Promise<void>((resolve, reject) => c.exec('echo $$ > pid; sleep 60', (e) => (e ? reject(e) : resolve())));
    for (let i = 0; i < 50 && !existsSync(join(r2, 'home/ubuntu/pid')); i++) await new Promise((r) => setTimeout(r, 50));
    await ep2.close();
    await closed;
    const pid = Number(readFileSync(join(r2, 'home/ubuntu/pid'), 'utf8'));
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, 'the command was ended');
  });
});
