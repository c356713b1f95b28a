// Host keys, console output and its parser, the setup simulation, and endpoint argument checks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleOutput, generateEd25519KeyPair, generateHostKey, simulateSetup, startInstanceEndpoint } from '../../src/sandbox/ssh/index.js';
import { fingerprintOfPublicKeyLine, parseConsoleFingerprints } from '../../src/lib/console-fingerprints.js';
import { ROOT } from '../helpers/run.js';

const haveKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

test('generateHostKey: ed25519 in OpenSSH format with an ssh-keygen-style fingerprint', { skip: haveKeygen ? false : 'ssh-keygen not installed' }, () => {
  const hk = generateHostKey();
  assert.equal(hk.type, 'ED25519');
  assert.match(hk.publicKey, /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/);
  assert.match(hk.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  assert.match(hk.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-hk-'));
  try {
    writeFileSync(join(dir, 'k.pub'), hk.publicKey + '\n');
    const r = spawnSync('ssh-keygen', ['-lf', join(dir, 'k.pub')], { encoding: 'utf8' });
    assert.equal(r.stdout.split(' ')[1], hk.fingerprint);
    assert.match(r.stdout, /^256 /);
    // The private half is usable by OpenSSH too.
    writeFileSync(join(dir, 'k'), hk.privateKey, { mode: 0o600 });
    const y = spawnSync('ssh-keygen', ['-yf', join(dir, 'k')], { encoding: 'utf8' });
    assert.equal(y.stdout.trim().split(' ').slice(0, 2).join(' '), hk.publicKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fingerprintOfPublicKeyLine(`${hk.publicKey} root@x`), hk.fingerprint);
});

test('generated ed25519 keys always carry a 32-byte public key (ssh2 1.17 sometimes drops a leading zero)', () => {
  for (let i = 0; i < 600; i++) {
    const { publicKey } = generateEd25519KeyPair();
    assert.equal(Buffer.from(publicKey.split(' ')[1]!, 'base64').length, 51);
  }
});

test("nothing draws ed25519 keys from ssh2's generator directly (it must go through generateEd25519KeyPair)", () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|mjs|js)$/.test(e.name) && rel !== join('src', 'lib', 'ssh', 'ed25519.ts')
        && /generateKeyPairSync\(\s*['"]ed25519/.test(readFileSync(join(ROOT, rel), 'utf8'))) offenders.push(rel);
    }
  };
  for (const dir of ['src', 'test', 'bench', 'scripts']) walk(dir);
  assert.deepEqual(offenders, []);
});

test('consoleOutput: cloud-init blocks after boot, only early lines before', () => {
  const hk = generateHostKey();
  const o = { instanceId: 'i-0abc', hostKey: hk, privateIp: '172.31.9.8', hostname: 'ip-172-31-9-8' };
  const text = consoleOutput({ ...o, booted: true });
  assert.ok(text.includes(
    `-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 ${hk.fingerprint} root@ip-172-31-9-8 (ED25519)\n-----END SSH HOST KEY FINGERPRINTS-----\n`,
  ));
  assert.ok(text.includes(`-----BEGIN SSH HOST KEY KEYS-----\n${hk.publicKey} root@ip-172-31-9-8\n-----END SSH HOST KEY KEYS-----\n`));
  assert.ok(text.includes('172.31.9.8'));
  assert.deepEqual(parseConsoleFingerprints(text), { fingerprints: [hk.fingerprint], keys: [`${hk.publicKey} root@ip-172-31-9-8`] });
  const early = consoleOutput({ ...o, booted: false });
  assert.ok(!early.includes('SSH HOST KEY'));
  assert.ok(early.includes('ip-172-31-9-8'));
  assert.deepEqual(parseConsoleFingerprints(early), { fingerprints: [], keys: [] });
});

test('parseConsoleFingerprints: ec2: and syslog prefixes, CRLF, repeats, legacy MD5', () => {
  const ec2 = [
    'ec2: ',
    'ec2: #############################################################',
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    'ec2: 256 SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcde root@ip-10-0-0-1 (ECDSA)',
    'ec2: 256 SHA256:ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210+/zyxwv root@ip-10-0-0-1 (ED25519)',
    'ec2: 3072 SHA256:Rsa0000000000000000000000000000000000000000 root@ip-10-0-0-1 (RSA)',
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    'ec2: #############################################################',
    '-----BEGIN SSH HOST KEY KEYS-----',
    'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= root@ip-10-0-0-1',
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI root@ip-10-0-0-1',
    '-----END SSH HOST KEY KEYS-----',
  ].join('\r\n');
  const r = parseConsoleFingerprints(ec2 + '\r\n' + ec2);
  assert.deepEqual(r.fingerprints, [
    'SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcde',
    'SHA256:ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210+/zyxwv',
    'SHA256:Rsa0000000000000000000000000000000000000000',
  ]);
  assert.equal(r.keys.length, 2);
  const syslog = [
    '<14>Mar  3 10:11:12 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    '<14>Mar  3 10:11:12 cloud-init: 2048 0f:1e:2d:3c:4b:5a:69:78:87:96:a5:b4:c3:d2:e1:f0 /etc/ssh/ssh_host_rsa_key.pub (RSA)',
    '<14>Mar  3 10:11:12 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----',
  ].join('\n');
  assert.deepEqual(parseConsoleFingerprints(syslog).fingerprints, ['MD5:0f:1e:2d:3c:4b:5a:69:78:87:96:a5:b4:c3:d2:e1:f0']);
  assert.deepEqual(parseConsoleFingerprints('no blocks here\n'), { fingerprints: [], keys: [] });
});

test('simulateSetup writes the log and SETUP_STATUS, or SETUP_ERROR on failure, never leaking user-data', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ec2term-setup-'));
  try {
    const userData = '#!/bin/bash\npip install graphterm matplotlib\ngtermserver --daemon=start --auth_code=S3CRET-CODE\n';
    await simulateSetup({ rootDir: root, user: 'ubuntu', userData, fail: false });
    const log = readFileSync(join(root, 'root/ec2launch.log'), 'utf8');
    assert.match(log, /matplotlib/);
    assert.match(log, /gtermserver/);
    assert.ok(!log.includes('S3CRET'));
    assert.match(readFileSync(join(root, 'home/ubuntu/SETUP_STATUS'), 'utf8'), /^ok: graphterm ready at /);
    assert.equal(statSync(join(root, 'home/ubuntu/SETUP_STATUS')).uid, process.getuid?.() ?? statSync(root).uid);

    await simulateSetup({ rootDir: root, user: 'ubuntu', userData: 'gtermhost --daemon=start --server_addr=primary lab2', fail: true });
    assert.ok(!existsSync(join(root, 'home/ubuntu/SETUP_STATUS')));
    const err = readFileSync(join(root, 'home/ubuntu/SETUP_ERROR'), 'utf8');
    assert.match(err, /^error: /);
    assert.match(err, /secondary mode/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('startInstanceEndpoint refuses non-loopback addresses', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ec2term-ep-'));
  try {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'localhost']) {
      await assert.rejects(
        startInstanceEndpoint({ instanceId: 'i-1', host, port: 0, hostKey: generateHostKey(), authorizedKeys: [], rootDir: root, user: 'ubuntu' }),
        /only 127\.0\.0\.0\/8/,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
