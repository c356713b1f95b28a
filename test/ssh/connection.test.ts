// The SSH layer against OpenSSH's real sshd on a loopback port: exit status, binary-safe streams, PTY,
// forwarding, key refusal, host key pinning and mismatch, and OpenSSH reading our known_hosts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeClock } from '../../src/lib/clock.js';
import { ConnectionError } from '../../src/lib/errors.js';
import { scriptedPrompt } from '../../src/lib/prompt.js';
import { connectSsh, probeHostKey, type SshConnection } from '../../src/lib/ssh/connection.js';
import { parseForwardSpec, startLocalForward, startRemoteForward } from '../../src/lib/ssh/forward.js';
import { instanceHostKeyCheck } from '../../src/lib/ssh/hostkeys.js';
import { KnownHosts } from '../../src/lib/ssh/knownhosts.js';
import { opensshArgs } from '../../src/lib/ssh/openssh.js';
import { sha256Fingerprint } from '../../src/lib/console-fingerprints.js';
import { echoServer, freePort, keygen, roundTrip, SSH, sshAvailable, startSshd, sshdAvailable, type Sshd } from '../helpers/sshd.js';

const skip = sshdAvailable() ? false : `OpenSSH sshd not installed (${'/usr/sbin/sshd'}): sshd tests skipped`;
if (skip) console.log(`# SKIP: ${skip}`);

function cloudInitConsole(fingerprint: string): string {
  return [
    '[    5.1] cloud-init[512]: Cloud-init v. 24.4 running',
    'ec2: #############################################################',
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    `ec2: 256 ${fingerprint} root@ip-10-0-0-1 (ED25519)`,
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    'ec2: #############################################################',
  ].join('\n');
}

describe('SSH layer against OpenSSH sshd', { skip }, () => {
  let sshd: Sshd;
  let conn: SshConnection;
  const expectHostKey = (blob: Buffer) => {
    if (sha256Fingerprint(blob) !== sshd.hostFingerprint) throw new ConnectionError('unexpected host key');
  };
  const open = (extra: Partial<Parameters<typeof connectSsh>[0]> = {}) =>
    connectSsh({
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identities: [{ kind: 'file', path: sshd.clientKey, why: 'test' }],
      verifyHostKey: expectHostKey,
      keepAliveMs: 0,
      ...extra,
    });

  before(async () => {
    sshd = (await startSshd())!;
    conn = await open();
  });
  after(async () => {
    await conn?.close();
    await sshd?.stop();
  });

  it('passes the exit status through', async () => {
    assert.equal((await conn.exec('exit 7')).code, 7);
    assert.equal((await conn.exec('true')).code, 0);
  });

  it('reports a signal as 128+n', async () => {
    const r = await conn.exec('kill -TERM $$');
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.code, 128 + 15);
  });

  it('keeps stdin and stdout binary-safe and stderr apart', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const r = await conn.exec('cat; echo err >&2', { stdin: data });
    assert.equal(r.code, 0);
    assert.equal(createHash('sha256').update(r.stdout).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal(r.stderr.toString(), 'err\n');
  });

  it('allocates a PTY only when asked', async () => {
    const withPty = await conn.exec('tty', { pty: true });
    assert.equal(withPty.code, 0);
    assert.match(withPty.stdout.toString(), /\/dev\/pts\//);
    const without = await conn.exec('tty');
    assert.notEqual(without.code, 0);
  });

  it('forwards a local port (-L) to a service seen from the remote side', async () => {
    const echo = await echoServer();
    const fwd = await startLocalForward(conn, parseForwardSpec(`0:127.0.0.1:${(echo.address() as { port: number }).port}`, '-L'));
    try {
      assert.equal(await roundTrip(fwd.port, 'ping-L'), 'echo:ping-L');
    } finally {
      await fwd.close();
      echo.close();
    }
  });

  it('forwards a remote port (-R) back to a service here', async () => {
    const echo = await echoServer();
    // Port 0: sshd picks the port and says which (fwd.port); a port picked here could be taken before sshd binds it.
    const fwd = await startRemoteForward(conn, parseForwardSpec(`0:127.0.0.1:${(echo.address() as { port: number }).port}`, '-R'));
    assert.ok(fwd.port > 0, 'sshd reported the port it listens on');
    try {
      // The "remote side" is this same machine: connect to the port sshd listens on for us.
      assert.equal(await roundTrip(fwd.port, 'ping-R'), 'echo:ping-R');
    } finally {
      await fwd.close();
      echo.close();
    }
  });

  it('says which key was refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-key-'));
    const other = join(dir, 'other');
    keygen(other);
    await assert.rejects(open({ identities: [{ kind: 'file', path: other, explicit: true, why: '-i' }] }), (err: Error) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, /permission denied \(publickey\)/);
      assert.match(err.message, new RegExp(`refused .*other \\(ssh-ed25519 SHA256:`));
      return true;
    });
  });

  it('refuses a key file others can read, like OpenSSH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-key-'));
    const open644 = join(dir, 'id');
    copyFileSync(sshd.clientKey, open644);
    chmodSync(open644, 0o644);
    const warnings: string[] = [];
    await assert.rejects(open({ identities: [{ kind: 'file', path: open644, explicit: true, why: '-i' }], warn: (t) => warnings.push(t) }), /readable by others/);
    assert.match(warnings.join('\n'), /UNPROTECTED PRIVATE KEY FILE/);
    assert.match(warnings.join('\n'), /Permissions 0644/);
  });

  it('asks for the passphrase of an encrypted key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-key-'));
    const enc = join(dir, 'enc');
    const { publicKey } = keygen(enc, 'ed25519', 'sesame');
    sshd.authorize(publicKey);
    const prompt = scriptedPrompt(['wrong', 'sesame']);
    const c = await open({ identities: [{ kind: 'file', path: enc, explicit: true, why: '-i' }], prompt, warn: () => {} });
    try {
      assert.equal((await c.exec('echo ok')).stdout.toString(), 'ok\n');
      assert.equal(prompt.asked.length, 2);
    } finally {
      await c.close();
    }
  });

  it('fails with ConnectionError (255) when nothing listens', async () => {
    const port = await freePort();
    await assert.rejects(open({ port }), (err: Error) => err instanceof ConnectionError && /connection refused/.test(err.message));
  });

  describe('host key pinning', () => {
    const hostOpts = (knownHosts: KnownHosts, console: string, policy: 'verify' | 'accept-new' = 'verify') => ({
      alias: 'i-0123456789abcdef0',
      label: 'lab (i-0123456789abcdef0)',
      knownHosts,
      policy,
      consoleOutput: async () => console,
      consoleWaitMs: 5_000,
      clock: fakeClock(),
      info: () => {},
      warn: () => {},
      banner: () => {},
      forgetCommand: 'ec2ssh --forget-host-key lab',
    });
    const fresh = () => new KnownHosts(join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts'));

    it('pins on first contact when the console fingerprint matches, then OpenSSH accepts the pin', async () => {
      const kh = fresh();
      const check = await instanceHostKeyCheck(hostOpts(kh, cloudInitConsole(sshd.hostFingerprint)));
      const fp = await probeHostKey({ host: sshd.host, port: sshd.port, verifyHostKey: (b) => check.verify(b), hostKeyAlgorithms: check.algorithms });
      assert.equal(fp, sshd.hostFingerprint);
      const pinned = await kh.pinned('i-0123456789abcdef0');
      assert.equal(pinned.length, 1);
      assert.equal(pinned[0]!.fingerprint, sshd.hostFingerprint);
      if (!sshAvailable()) return;
      const args = opensshArgs({ instanceId: 'i-0123456789abcdef0', alias: 'lab', host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: kh.path });
      // Options go before the `--` that ends them (opensshArgs ends with `-- user@host`).
      const r = spawnSync(SSH, ['-o', 'BatchMode=yes', ...args.slice(1), 'echo', 'via-openssh'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'via-openssh\n');
    });

    it('refuses a first contact whose key matches no console fingerprint', async () => {
      const kh = fresh();
      const check = await instanceHostKeyCheck(hostOpts(kh, cloudInitConsole('SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')));
      await assert.rejects(open({ verifyHostKey: (b) => check.verify(b) }), /matches none of the fingerprints/);
      assert.equal((await kh.pinned('i-0123456789abcdef0')).length, 0);
    });

    it('refuses when the console shows no fingerprints, unless --accept-new', async () => {
      const kh = fresh();
      const strict = await instanceHostKeyCheck(hostOpts(kh, 'booting...'));
      await assert.rejects(open({ verifyHostKey: (b) => strict.verify(b) }), /cannot verify the host key/);
      const lax = await instanceHostKeyCheck(hostOpts(kh, 'booting...', 'accept-new'));
      const c = await open({ verifyHostKey: (b) => lax.verify(b) });
      await c.close();
      assert.equal((await kh.pinned('i-0123456789abcdef0'))[0]?.fingerprint, sshd.hostFingerprint);
    });

    it('refuses loudly when the pinned key has changed, and OpenSSH refuses too', async () => {
      const kh = fresh();
      const dir = mkdtempSync(join(tmpdir(), 'ec2term-key-'));
      const { publicKey } = keygen(join(dir, 'impostor'));
      await kh.pin('i-0123456789abcdef0', Buffer.from(publicKey.split(' ')[1]!, 'base64'));
      const banners: string[] = [];
      const check = await instanceHostKeyCheck({ ...hostOpts(kh, cloudInitConsole(sshd.hostFingerprint)), banner: (t) => banners.push(t) });
      await assert.rejects(open({ verifyHostKey: (b) => check.verify(b), hostKeyAlgorithms: check.algorithms }), (err: Error) => {
        assert.ok(err instanceof ConnectionError);
        assert.match(err.message, /has changed/);
        assert.match((err as ConnectionError).hint ?? '', /--forget-host-key lab/);
        return true;
      });
      assert.match(banners.join('\n'), /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      if (sshAvailable()) {
        const args = opensshArgs({ instanceId: 'i-0123456789abcdef0', alias: 'lab', host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, knownHostsFile: kh.path });
        const r = spawnSync(SSH, [...args.slice(1), '-o', 'BatchMode=yes', 'true'], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.status, 255);
      }
      assert.equal(await kh.forget('i-0123456789abcdef0'), 1);
      assert.equal((await kh.pinned('i-0123456789abcdef0')).length, 0);
      assert.match(readFileSync(kh.path, 'utf8'), /^$/);
    });
  });
});
