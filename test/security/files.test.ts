// known_hosts markers as OpenSSH reads them (@revoked refused, @cert-authority never a pin) and credential
// files that are not regular files (a FIFO there used to hang ec2list past SIGINT).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256Fingerprint } from '../../src/lib/console-fingerprints.js';
import { ConnectionError } from '../../src/lib/errors.js';
import { fakeClock } from '../../src/lib/clock.js';
import { instanceHostKeyCheck } from '../../src/lib/ssh/hostkeys.js';
import { hostsMatch, KnownHosts, parseKnownHosts, revokedFor, parseKnownHostLines, knownHostsLine } from '../../src/lib/ssh/knownhosts.js';
import { runBin } from '../helpers/run.js';

/** An ssh-ed25519 public key blob (random point bytes: known_hosts only compares and hashes them). */
function blob(): Buffer {
  const raw = randomBytes(32);
  const type = Buffer.from('ssh-ed25519');
  const b = Buffer.alloc(4 + type.length + 4 + raw.length);
  b.writeUInt32BE(type.length, 0);
  type.copy(b, 4);
  b.writeUInt32BE(raw.length, 4 + type.length);
  raw.copy(b, 8 + type.length);
  return b;
}
const A = blob();
const B = blob();
const ID = 'i-0123456789abcdef0';

function file(text: string): KnownHosts {
  const path = join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts');
  writeFileSync(path, text);
  return new KnownHosts(path);
}

function check(kh: KnownHosts, console = '') {
  return instanceHostKeyCheck({
    alias: ID, label: `lab (${ID})`, knownHosts: kh, policy: 'verify', consoleOutput: async () => console, consoleWaitMs: 0,
    clock: fakeClock(0), info: () => {}, warn: () => {}, banner: () => {}, forgetCommand: `ec2ssh --forget-host-key ${ID}`,
  });
}
const consoleWith = (b: Buffer) => `-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 ${sha256Fingerprint(b)} root@host (ED25519)\n-----END SSH HOST KEY FINGERPRINTS-----\n`;

describe('known_hosts markers', () => {
  it('host patterns match as in OpenSSH', () => {
    const table: [string[], string, boolean][] = [
      [[ID], ID, true],
      [['i-*'], ID, true],
      [['i-0123456789abcdef?'], ID, true],
      [['*', `!${ID}`], ID, false],
      [[`[${ID}]:2222`], ID, true],
      [['i-other'], ID, false],
    ];
    for (const [hosts, name, ok] of table) assert.equal(hostsMatch(hosts, name), ok, hosts.join(','));
  });
  it('@revoked and @cert-authority lines are parsed with their marker and are never pins', () => {
    const text = `@revoked * ${knownHostsLine('', A, '').trim()}\n@cert-authority *.example.com ${knownHostsLine('', B, '').trim()}\n${knownHostsLine(ID, B)}\n`;
    const all = parseKnownHostLines(text);
    assert.deepEqual(all.map((e) => e.marker ?? 'pin'), ['revoked', 'cert-authority', 'pin']);
    assert.equal(parseKnownHosts(text).length, 1);
    assert.equal(revokedFor(all, ID).length, 1);
  });
  it('a revoked key is refused even when it is the pin', async () => {
    const kh = file(`${knownHostsLine(ID, A)}\n@revoked ${ID} ${knownHostsLine('', A, '').trim()}\n`);
    assert.equal((await kh.pinned(ID)).length, 0);
    const c = await check(kh, consoleWith(A));
    await assert.rejects(c.verify(A), (e: Error) => e instanceof ConnectionError && /@revoked/.test(e.message));
  });
  it('a revoked key is refused even when the console vouches for it (first contact)', async () => {
    const kh = file(`@revoked * ${knownHostsLine('', A, '').trim()}\n`);
    const c = await check(kh, consoleWith(A));
    await assert.rejects(c.verify(A), /@revoked/);
    assert.equal((await kh.pinned(ID)).length, 0, 'nothing pinned');
  });
  it('a revoked key for another host does not get in the way', async () => {
    const kh = file(`@revoked i-other ${knownHostsLine('', A, '').trim()}\n`);
    const c = await check(kh, consoleWith(A));
    await c.verify(A);
    assert.equal((await kh.pinned(ID)).length, 1);
  });
  it('a @cert-authority key offered as the host key is not taken as a pin', async () => {
    const kh = file(`@cert-authority * ${knownHostsLine('', A, '').trim()}\n`);
    const c = await check(kh, consoleWith(B));
    assert.equal(c.pinned, false);
    await assert.rejects(c.verify(A), /matches none of the fingerprints/);
    await c.verify(B);
  });
});

describe('credential files that are not regular files', () => {
  const cases: [string, (home: string) => string, Record<string, string>][] = [
    ['~/.aws/credentials', (h) => join(h, '.aws', 'credentials'), {}],
    ['~/.aws/config', (h) => join(h, '.aws', 'config'), {}],
    ['~/.boto', (h) => join(h, '.boto'), {}],
    ['AWS_SHARED_CREDENTIALS_FILE', (h) => join(h, 'creds'), { AWS_SHARED_CREDENTIALS_FILE: 'creds' }],
  ];
  for (const [what, where, env] of cases) {
    for (const sandbox of [false, true]) {
      it(`a FIFO as ${what}${sandbox ? ' (--sandbox)' : ''}: exit 2 at once, naming the file`, async () => {
        const home = mkdtempSync(join(tmpdir(), 'ec2term-fifo-'));
        mkdirSync(join(home, '.aws'));
        const path = where(home);
        execFileSync('mkfifo', [path]);
        const e = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, join(home, v)]));
        const r = await runBin('ec2list', [...(sandbox ? ['--sandbox'] : []), '--region', 'us-east-1'], {
          env: { HOME: home, EC2TERM_SANDBOX_DIR: join(home, 'sbx'), AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40), ...e },
          timeoutMs: 30_000,
        });
        assert.equal(r.signal, null, 'did not hang');
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /is a FIFO, not a regular file/);
        assert.ok(r.stderr.includes(path.startsWith(home) ? path.slice(home.length).replace(/^/, '~') : path), r.stderr);
      });
    }
  }
});
