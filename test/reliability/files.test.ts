// Issue 8, "Files": private keys 0600 in 0700 folders; a key readable by others is refused; corrupt
// ~/.boto, known_hosts and sandbox state files give a clear error naming the file and are left unchanged.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { noStack } from './util.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('files: modes, unprotected keys, corrupt files', { timeout: 300_000 }, () => {
  let sb: TestSandbox;
  let keyFile: string;
  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    const r = await runBin('ec2launch', ['--yes', 'lab'], { env: sb.env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const keys = join(sb.dir, 'keys');
    const pems = readdirSync(keys).filter((f) => f.endsWith('.pem'));
    assert.equal(pems.length, 1, `one key in ${keys}: ${pems.join(', ')}`);
    keyFile = join(keys, pems[0]!);
  });
  after(async () => {
    await sb?.stop();
  });

  it('the launch saved its private key 0600 in a 0700 folder', () => {
    assert.equal(mode(keyFile).toString(8), '600');
    assert.equal(mode(dirname(keyFile)).toString(8), '700');
  });

  it('a private key readable by others is refused, as OpenSSH does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-key-'));
    const copy = join(dir, 'copy.pem');
    copyFileSync(keyFile, copy);
    chmodSync(copy, 0o600);
    const ok = await runBin('ec2ssh', ['-i', copy, 'lab', 'true'], { env: sb.env });
    assert.equal(ok.code, 0, `the 0600 copy works: ${ok.stderr}`);
    chmodSync(copy, 0o644);
    const r = await runBin('ec2ssh', ['-i', copy, 'lab', 'true'], { env: sb.env });
    assert.ok(r.code === 255 || r.code === 2, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /UNPROTECTED|too open|readable by others|permissions/i);
    assert.ok(r.stderr.includes(copy) || r.stderr.includes('copy.pem'), `names the key file: ${r.stderr}`);
    noStack(r.stderr);
  });

  it('a corrupt ~/.boto is a clear error naming it, and is left unchanged', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ec2term-home-'));
    const boto = join(home, '.boto');
    const garbage = Buffer.from('[Credentials\naws_access_key_id = \u0000\u00ff\nnot an ini line at all ===\n[[[\n', 'latin1');
    writeFileSync(boto, garbage, { mode: 0o600 });
    const r = await runBin('ec2list', ['--endpoint-url', 'http://127.0.0.1:9'], { env: { HOME: home } });
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /\.boto/, `names the file: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    noStack(r.stderr);
    assert.deepEqual(readFileSync(boto), garbage, '~/.boto unchanged');
  });

  it('a corrupt known_hosts is a clear error naming it, and is not overwritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-kh-'));
    const kh = join(dir, 'known_hosts');
    const garbage = Buffer.from('\u0000\u0001 this is not a known_hosts file\n{"json": true}\n', 'latin1');
    writeFileSync(kh, garbage, { mode: 0o600 });
    const r = await runBin('ec2ssh', ['lab', 'true'], { env: { ...sb.env, EC2TERM_KNOWN_HOSTS: kh } });
    assert.notEqual(r.code, 0, `refused: ${r.stderr}`);
    assert.ok(r.stderr.includes(kh) || r.stderr.includes('known_hosts'), `names the file: ${r.stderr}`);
    noStack(r.stderr);
    assert.deepEqual(readFileSync(kh), garbage, 'known_hosts unchanged');
  });

  it('a corrupt sandbox state.json is a one-line error naming it, and is left unchanged', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ec2term-state-'));
    const dir = join(root, 'state');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const state = join(dir, 'state.json');
    const garbage = Buffer.from('{"regions": {"us-east-1": [garbage', 'utf8');
    writeFileSync(state, garbage, { mode: 0o600 });
    const env = { EC2TERM_SANDBOX_DIR: dir, HOME: join(root, 'home') };
    const r = await runBin('ec2term', ['sandbox', 'start'], { env, timeoutMs: 30_000 });
    try {
      assert.notEqual(r.code, 0, `refused: ${r.stdout}${r.stderr}`);
      assert.ok(r.stderr.includes(state) || r.stderr.includes('state.json'), `names the file: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      noStack(r.stderr);
      assert.deepEqual(readFileSync(state), garbage, 'state.json unchanged');
    } finally {
      await runBin('ec2term', ['sandbox', 'stop'], { env, timeoutMs: 30_000 });
    }
  });
});
