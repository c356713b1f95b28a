// Pure parts of ec2ssh and the SSH layer, as tables.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { planSsh, splitOption, splitUserTarget, wantsPty } from '../../src/commands/ssh/options.js';
import { UsageError } from '../../src/lib/errors.js';
import type { InstanceInfo } from '../../src/lib/instances.js';
import { unreachableReason, userForImage } from '../../src/lib/ssh/connect.js';
import { exitStatusOf, hostKeyAlgorithmsFor, waitForExit, type ExitStatus } from '../../src/lib/ssh/connection.js';
import { parseForwardSpec } from '../../src/lib/ssh/forward.js';
import { blobMatchesFingerprints } from '../../src/lib/ssh/hostkeys.js';
import { identityPlan } from '../../src/lib/ssh/keys.js';
import { checkPinned, keyTypeOfBlob, knownHostsLine, parseKnownHosts, removeAlias } from '../../src/lib/ssh/knownhosts.js';
import { hostAlias, opensshCommand, sshConfigBlock } from '../../src/lib/ssh/openssh.js';
import { shellQuote } from '../../src/lib/shellquote.js';
import { sha256Fingerprint } from '../../src/lib/console-fingerprints.js';

// ssh-ed25519 blob: string "ssh-ed25519" + 32 bytes.
function ed25519Blob(fill: number): Buffer {
  const name = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, fill);
  const b = Buffer.alloc(4 + name.length + 4 + 32);
  b.writeUInt32BE(name.length, 0);
  name.copy(b, 4);
  b.writeUInt32BE(32, 4 + name.length);
  key.copy(b, 8 + name.length);
  return b;
}

describe('planSsh', () => {
  const cases: [string, string[], Record<string, unknown>, Partial<ReturnType<typeof planSsh>>][] = [
    ['login shell', ['lab'], {}, { mode: 'connect', target: 'lab', command: undefined, pty: 'auto' }],
    ['user@target', ['ubuntu@lab.myterm.com', 'uptime'], {}, { target: 'lab.myterm.com', user: 'ubuntu', command: 'uptime' }],
    ['-l wins like OpenSSH', ['admin@lab'], { login: 'root' }, { user: 'root' }],
    ['command words joined', ['lab', 'ls', '-la'], {}, { command: 'ls -la' }],
    ['-t', ['lab', 'top'], { t: true }, { pty: 'force' }],
    ['-T', ['lab'], { T: true }, { pty: 'never' }],
    ['-p', ['lab'], { port: '2222' }, { port: 2222 }],
    ['-o ConnectTimeout', ['lab'], { o: ['ConnectTimeout=5'] }, { connectTimeoutMs: 5000 }],
    ['-o ServerAliveInterval', ['lab'], { o: ['ServerAliveInterval 10', 'ServerAliveCountMax=2'] }, { keepAliveMs: 10000, keepAliveCountMax: 2 }],
    ['-o StrictHostKeyChecking=accept-new', ['lab'], { o: ['StrictHostKeyChecking=accept-new'] }, { hostKeyPolicy: 'accept-new' }],
    ['--accept-new', ['lab'], { acceptNew: true }, { hostKeyPolicy: 'accept-new' }],
    ['--connect-timeout', ['lab'], { connectTimeout: '2.5' }, { connectTimeoutMs: 2500 }],
    ['--keepalive 0', ['lab'], { keepalive: '0' }, { keepAliveMs: 0 }],
    ['--tunnel implies -N', ['lab'], { tunnel: true }, { tunnel: true, noCommand: true }],
    ['--print', ['lab'], { print: true }, { mode: 'print', target: 'lab' }],
    ['--ssh-config all', [], { sshConfig: true }, { mode: 'ssh-config', targets: [] }],
    ['--ssh-config named', ['lab', 'web'], { sshConfig: true }, { mode: 'ssh-config', targets: ['lab', 'web'] }],
    ['--forget-host-key', ['lab'], { forgetHostKey: true }, { mode: 'forget', target: 'lab' }],
    ['-i repeatable', ['lab'], { identity: ['a', 'b'] }, { identityFiles: ['a', 'b'] }],
  ];
  for (const [name, args, opts, want] of cases) {
    it(name, () => {
      const plan = planSsh(args, opts);
      for (const [k, v] of Object.entries(want)) assert.deepEqual((plan as unknown as Record<string, unknown>)[k], v, k);
    });
  }

  const bad: [string, string[], Record<string, unknown>, RegExp][] = [
    ['no target', [], {}, /missing TARGET/],
    ['-t and -T', ['lab'], { t: true, T: true }, /cannot be combined/],
    ['bad port', ['lab'], { port: '70000' }, /bad -p/],
    ['-N with command', ['lab', 'ls'], { N: true }, /-N runs no remote command/],
    ['unknown -o', ['lab'], { o: ['FrobnicateHosts=x'] }, /-o FrobnicateHosts=x: unknown or unsupported option/],
    ['StrictHostKeyChecking=maybe', ['lab'], { o: ['StrictHostKeyChecking=maybe'] }, /expected yes, ask, accept-new or no/],
    ['bad -L', ['lab'], { L: ['80'] }, /bad -L forwarding/],
    ['two modes', ['lab'], { print: true, sshConfig: true }, /cannot be combined/],
    ['empty user', ['@lab'], {}, /bad target/],
  ];
  for (const [name, args, opts, re] of bad) {
    it(`rejects: ${name}`, () => assert.throws(() => planSsh(args, opts), (e: Error) => e instanceof UsageError && re.test(e.message)));
  }
});

describe('small pure helpers', () => {
  it('splitUserTarget and splitOption', () => {
    assert.deepEqual(splitUserTarget('lab'), { target: 'lab' });
    assert.deepEqual(splitUserTarget('ec2-user@1.2.3.4'), { user: 'ec2-user', target: '1.2.3.4' });
    assert.deepEqual(splitOption('ConnectTimeout=3'), ['connecttimeout', '3']);
    assert.deepEqual(splitOption('User admin'), ['user', 'admin']);
  });

  it('wantsPty', () => {
    assert.equal(wantsPty({ pty: 'auto', command: undefined }, true), true);
    assert.equal(wantsPty({ pty: 'auto', command: undefined }, false), false);
    assert.equal(wantsPty({ pty: 'auto', command: 'ls' }, true), false);
    assert.equal(wantsPty({ pty: 'force', command: 'top' }, false), true);
    assert.equal(wantsPty({ pty: 'never', command: undefined }, true), false);
  });

  it('parseForwardSpec', () => {
    assert.deepEqual(parseForwardSpec('8080:localhost:80', '-L'), { bindAddress: undefined, bindPort: 8080, host: 'localhost', hostPort: 80 });
    assert.deepEqual(parseForwardSpec('0.0.0.0:8080:10.0.0.5:80', '-L'), { bindAddress: '0.0.0.0', bindPort: 8080, host: '10.0.0.5', hostPort: 80 });
    assert.deepEqual(parseForwardSpec('*:9000:localhost:9000', '-R'), { bindAddress: '0.0.0.0', bindPort: 9000, host: 'localhost', hostPort: 9000 });
    assert.deepEqual(parseForwardSpec('[::1]:8080:[::1]:80', '-L'), { bindAddress: '::1', bindPort: 8080, host: '::1', hostPort: 80 });
    assert.throws(() => parseForwardSpec('8080:localhost', '-L'), UsageError);
    assert.throws(() => parseForwardSpec('x:localhost:80', '-L'), UsageError);
  });

  it('userForImage', () => {
    const table: [string, string, string | undefined][] = [
      ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001', '', 'ubuntu'],
      ['al2023-ami-2023.9.20251014.0-kernel-6.1-x86_64', 'Amazon Linux 2023 AMI', 'ec2-user'],
      ['amzn2-ami-kernel-5.10-hvm', '', 'ec2-user'],
      ['debian-12-amd64-20251006-2257', 'Debian 12', 'admin'],
      ['my-custom-image', 'built by me', undefined],
    ];
    for (const [name, desc, want] of table) assert.equal(userForImage(name, desc), want, name);
  });

  it('exitStatusOf: code, or 128+signal like ssh', () => {
    assert.deepEqual(exitStatusOf(7), { code: 7 });
    assert.deepEqual(exitStatusOf(null, 'SIGTERM'), { code: 143, signal: 'SIGTERM' });
    assert.deepEqual(exitStatusOf(null, 'KILL'), { code: 137, signal: 'SIGKILL' });
    assert.deepEqual(exitStatusOf(undefined, undefined), { code: 255 });
  });

  it("waitForExit: the status from 'exit', or from 'close' when 'exit' fired before anyone listened", async () => {
    type Ch = Parameters<typeof waitForExit>[0];
    const table: [string, (ch: EventEmitter) => void, ExitStatus | 'rejects'][] = [
      ['exit then close', (ch) => { ch.emit('exit', 3); ch.emit('close', 3); }, { code: 3 }],
      ['exit missed, close carries it', (ch) => ch.emit('close', 0), { code: 0 }],
      ['signal missed, close carries it', (ch) => ch.emit('close', null, 'SIGTERM'), { code: 143, signal: 'SIGTERM' }],
      ['no status at all (connection lost)', (ch) => ch.emit('close', undefined), 'rejects'],
    ];
    for (const [what, emit, want] of table) {
      const ch = new EventEmitter();
      const done = waitForExit(ch as unknown as Ch);
      emit(ch);
      if (want === 'rejects') await assert.rejects(done, /closed before the remote command reported its exit status/, what);
      else assert.deepEqual(await done, want, what);
    }
  });

  it('hostKeyAlgorithmsFor puts pinned types first', () => {
    assert.deepEqual(hostKeyAlgorithmsFor(['ssh-rsa']).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(hostKeyAlgorithmsFor(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256');
    assert.equal(hostKeyAlgorithmsFor([]).length, 7);
  });

  it('unreachableReason: stopped -> exit 1 with ec2list --start; terminated -> 3; running/pending fine', () => {
    const i = (state: string) => ({ id: 'i-0abc', name: 'lab', state }) as InstanceInfo;
    const stopped = unreachableReason(i('stopped'))!;
    assert.equal(stopped.exitCode, 1);
    assert.match(stopped.hint ?? '', /ec2list --start lab/);
    assert.equal(unreachableReason(i('terminated'))!.exitCode, 3);
    assert.equal(unreachableReason(i('running')), undefined);
    assert.equal(unreachableReason(i('pending')), undefined);
  });

  it('identityPlan: -i only; else launch key, agent, ~/.ssh/id_*', () => {
    const env = { HOME: '/home/u', SSH_AUTH_SOCK: '/tmp/agent' };
    assert.deepEqual(identityPlan({ env, identityFiles: ['/k'] }), [{ kind: 'file', path: '/k', explicit: true, why: '-i' }]);
    const plan = identityPlan({ env, keyName: 'lab', region: 'us-east-1' });
    assert.deepEqual(
      plan.map((p) => (p.kind === 'file' ? p.path : p.kind)),
      ['/home/u/.ssh/ec2term-us-east-1-lab.pem', '/home/u/.ssh/lab.pem', '/home/u/.ssh/lab', 'agent', '/home/u/.ssh/id_ed25519', '/home/u/.ssh/id_ecdsa', '/home/u/.ssh/id_rsa'],
    );
    const sandbox = identityPlan({ env: { HOME: '/home/u' }, keyName: 'lab', region: 'us-east-1', keyDir: '/sbx/keys' });
    assert.equal(sandbox[0]!.kind === 'file' && sandbox[0]!.path, '/sbx/keys/ec2term-us-east-1-lab.pem');
  });
});

describe('known_hosts', () => {
  const a = ed25519Blob(1);
  const b = ed25519Blob(2);
  it('writes lines OpenSSH reads and checks pins', () => {
    const line = knownHostsLine('i-0abc', a);
    assert.match(line, /^i-0abc ssh-ed25519 [A-Za-z0-9+/=]+ ec2term$/);
    const entries = parseKnownHosts(`# comment\n${line}\n|1|hashed|x ssh-ed25519 AAAA\n`);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.fingerprint, sha256Fingerprint(a));
    assert.equal(checkPinned(entries, 'i-0abc', a), 'match');
    assert.equal(checkPinned(entries, 'i-0abc', b), 'mismatch');
    assert.equal(checkPinned(entries, 'i-0def', a), 'unknown');
    assert.equal(checkPinned(parseKnownHosts(`[i-0abc]:2222 ssh-ed25519 ${a.toString('base64')}`), 'i-0abc', a), 'match');
    assert.equal(keyTypeOfBlob(a), 'ssh-ed25519');
  });
  it('removes only the alias asked for', () => {
    const text = `${knownHostsLine('i-1', a)}\n${knownHostsLine('i-2', b)}\n`;
    const r = removeAlias(text, 'i-1');
    assert.equal(r.removed, 1);
    assert.equal(r.text, `${knownHostsLine('i-2', b)}\n`);
  });
  it('matches console fingerprints in SHA256 and MD5 form', () => {
    assert.ok(blobMatchesFingerprints(a, [sha256Fingerprint(a)]));
    assert.ok(!blobMatchesFingerprints(a, [sha256Fingerprint(b)]));
  });
});

describe('OpenSSH equivalents', () => {
  const t = { instanceId: 'i-0abc', alias: 'lab', host: '1.2.3.4', port: 22, user: 'ubuntu', identityFile: '/home/u/.ssh/my key.pem', knownHostsFile: '/home/u/.config/ec2term/known_hosts' };
  it('--print command', () => {
    assert.equal(
      opensshCommand(t),
      "ssh -i '/home/u/.ssh/my key.pem' -o IdentitiesOnly=yes -o HostKeyAlias=i-0abc -o UserKnownHostsFile=/home/u/.config/ec2term/known_hosts -o StrictHostKeyChecking=yes -- ubuntu@1.2.3.4",
    );
    assert.match(opensshCommand({ ...t, port: 2222, identityFile: undefined }, "echo 'x'"), /^ssh -p 2222 .* ubuntu@1\.2\.3\.4 'echo '\\''x'\\'''$/);
  });
  it('--ssh-config block', () => {
    const block = sshConfigBlock(t, ['note']).text!;
    assert.match(block, /^# ec2term: i-0abc\n# note\nHost lab\n {4}HostName 1\.2\.3\.4\n {4}User ubuntu\n {4}IdentityFile "\/home\/u\/\.ssh\/my key\.pem"/);
    assert.match(block, /HostKeyAlias i-0abc/);
    assert.match(block, /StrictHostKeyChecking yes/);
  });
  it('shellQuote and hostAlias', () => {
    assert.equal(shellQuote('plain-word_1.2'), 'plain-word_1.2');
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(hostAlias('my lab', 'i-1'), 'my-lab');
    assert.equal(hostAlias(undefined, 'i-1'), 'i-1');
  });
});
