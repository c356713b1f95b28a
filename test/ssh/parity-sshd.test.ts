// ec2ssh's -A, -X and -C against OpenSSH's real sshd (behind a sandbox instance): the agent and X11
// forwarding the OpenSSH server really offers, checked from the remote side.
import assert from 'node:assert/strict';
import { instanceOnSshd } from '../helpers/sshd-instance.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { type SandboxInstance } from '../helpers/fixture.js';
import { fingerprintOf, keygen, sshdAvailable, type Sshd } from '../helpers/sshd.js';

const haveAgent = spawnSync('sh', ['-c', 'command -v ssh-agent && command -v ssh-add']).status === 0;
const skip = !sshdAvailable() ? 'OpenSSH sshd not installed' : !haveAgent ? 'ssh-agent not installed' : false;
if (skip) console.log(`# SKIP: ${skip}`);

/** The remote side of the X11 check: connects to $DISPLAY with the cookie sshd handed to xauth. */
const X11_CLIENT = `
const net = require('net'); const fs = require('fs');
const input = fs.readFileSync(process.argv[2], 'utf8');
const hex = /MIT-MAGIC-COOKIE-1\\s+([0-9a-f]{32})/.exec(input)[1];
const n = Number(/:(\\d+)/.exec(process.env.DISPLAY)[1]);
const name = Buffer.from('MIT-MAGIC-COOKIE-1'); const cookie = Buffer.from(hex, 'hex');
const head = Buffer.alloc(12); head[0] = 0x6c; head.writeUInt16LE(11, 2); head.writeUInt16LE(name.length, 6); head.writeUInt16LE(16, 8);
const s = net.connect(6000 + n, '127.0.0.1', () => s.write(Buffer.concat([head, name, Buffer.alloc(2), cookie])));
s.on('data', (d) => process.stdout.write(d)); s.on('end', () => process.exit(0));
`;

describe('ec2ssh -A / -X / -C against OpenSSH sshd', { skip, timeout: 180_000 }, () => {
  let sb: TestSandbox;
  let sshd: Sshd;
  let lab: SandboxInstance;
  let env: Record<string, string>;
  let dir: string;
  let agentPid = 0;
  let agentSock: string;
  let agentKeyFingerprint: string;
  let xserver: Server | undefined;
  const ec2ssh = (args: string[], extra: Record<string, string> = {}) => runBin('ec2ssh', ['--sandbox', ...args], { env: { ...env, ...extra }, timeoutMs: 60_000 });

  before(async () => {
    sb = await startTestSandbox();
    const made = await instanceOnSshd(sb, {
      prefix: 'ec2term-parity-sshd-',
      sshdConfig: (folder) => {
        // sshd hands the session's X11 cookie to "xauth": here a script that writes it down for the check.
        const fakeXauth = join(folder, 'fake-xauth');
        writeFileSync(fakeXauth, `#!/bin/sh\ncat >> ${join(folder, 'xauth-input')}\n`);
        chmodSync(fakeXauth, 0o755);
        return ['X11Forwarding yes', 'X11UseLocalhost yes', `XAuthLocation ${fakeXauth}`, 'AllowAgentForwarding yes'];
      },
    });
    ({ lab, sshd, dir } = made);
    const { knownHosts } = made;
    env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts };

    agentSock = join(dir, 'agent.sock');
    const agent = spawnSync('ssh-agent', ['-s', '-a', agentSock], { encoding: 'utf8' });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
    const agentKey = join(dir, 'agent-key');
    keygen(agentKey);
    agentKeyFingerprint = fingerprintOf(`${agentKey}.pub`);
    const add = spawnSync('ssh-add', [agentKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
  });
  after(async () => {
    if (agentPid > 0) process.kill(agentPid, 'SIGTERM');
    xserver?.close();
    await sshd?.stop();
    await sb?.stop();
  });

  it('-A: the remote side sees the local agent (ssh-add -l lists its key); without -A it does not', async () => {
    const a = await ec2ssh(['-A', 'lab', 'ssh-add -l'], { SSH_AUTH_SOCK: agentSock });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(agentKeyFingerprint.replace(/[+/]/g, '\\$&')));
    const o = await ec2ssh(['-o', 'ForwardAgent=yes', 'lab', 'ssh-add -l'], { SSH_AUTH_SOCK: agentSock });
    assert.equal(o.code, 0, o.stderr);
    const none = await ec2ssh(['lab', 'ssh-add -l; echo "sock=$SSH_AUTH_SOCK"'], { SSH_AUTH_SOCK: agentSock });
    assert.match(none.stdout, /^sock=$/m);
  });

  it('-X: sshd sets DISPLAY, and an X11 connection reaches the local display with the real cookie, not the one sshd saw', async () => {
    const real = Buffer.alloc(16, 0xab);
    let seen: Buffer | undefined;
    xserver = createServer((sock) => {
      sock.once('data', (d: Buffer) => {
        seen = d;
        sock.end('X-OK');
      });
    });
    // A free display number N on 127.0.0.1:6000+N.
    const n = await new Promise<number>((resolve) => {
      const tryN = (k: number) => {
        xserver!.once('error', () => tryN(k + 1));
        xserver!.listen(6000 + k, '127.0.0.1', () => resolve(k));
      };
      tryN(150 + Math.floor(Math.random() * 100));
    });
    const xauthority = join(dir, 'Xauthority');
    const added = spawnSync('xauth', ['-f', xauthority, 'add', `127.0.0.1:${n}`, 'MIT-MAGIC-COOKIE-1', real.toString('hex')], { encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    const client = join(dir, 'x11-client.cjs');
    writeFileSync(client, X11_CLIENT);
    const r = await ec2ssh(['-X', 'lab', `echo "DISPLAY=$DISPLAY"; ${process.execPath} ${client} ${join(dir, 'xauth-input')}`], { DISPLAY: `127.0.0.1:${n}`, XAUTHORITY: xauthority });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DISPLAY=localhost:\d+\.0$/m);
    assert.match(r.stdout, /X-OK/);
    assert.ok(seen, 'the local display got a connection');
    assert.ok(seen!.includes(real), 'the real cookie was put in');
    const remoteCookie = Buffer.from(/MIT-MAGIC-COOKIE-1\s+([0-9a-f]{32})/.exec(readFileSync(join(dir, 'xauth-input'), 'utf8'))![1]!, 'hex');
    assert.ok(!remoteCookie.equals(real), 'sshd never saw the real cookie');
  });

  it('-X without DISPLAY: a warning, and the command still runs (as ssh)', async () => {
    const r = await ec2ssh(['-X', 'lab', 'echo ran'], { DISPLAY: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ran\n');
    assert.match(r.stderr, /X11 forwarding requested but DISPLAY not set/);
  });

  it('-C against sshd: compressed both ways, bytes intact', async () => {
    const r = await ec2ssh(['-C', 'lab', 'head -c 300000 /dev/zero | wc -c'], { DEBUG: 'ec2term:ssh' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '300000');
    assert.match(r.stderr, /Handshake: S->C compression: zlib@openssh\.com$/m);
  });
});
