// Issue 8, "Secrets": everything the commands print (and the sandbox logs) in a run of the suite holds no
// secret access key, session token, private key material or auth code, except that --show-secrets
// prints the auth code when asked.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBin, type RunResult } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SECRET = 'SECRETxyzAbCdEf0123456789SECRETxyzAbCdEf';
const TOKEN = 'TOKENxyzAbCdEf0123456789TOKENxyzAbCdEf0123456789';
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEYID0001', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN };

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

describe('no secret is printed or logged', { timeout: 300_000 }, () => {
  let sb: TestSandbox;
  const outputs: { what: string; text: string }[] = [];
  const run = async (program: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> => {
    const r = await runBin(program, args, { env: { ...sb.env, ...CREDS, ...env }, timeoutMs: 120_000 });
    outputs.push({ what: `${program} ${args.join(' ')}`, text: r.stdout + r.stderr });
    return r;
  };
  let shown: RunResult;

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    let r = await run('ec2launch', ['--yes', '--verbose', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    r = await run('ec2launch', ['--yes', '--json', '--verbose', 'labjson']);
    assert.equal(r.code, 0, r.stderr);
    shown = await run('ec2launch', ['--yes', '--json', '--show-secrets', 'labshown']);
    assert.equal(shown.code, 0, shown.stderr);
    r = await run('ec2list', ['--json', '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    r = await run('ec2list', ['--verbose', '--wide']);
    assert.equal(r.code, 0, r.stderr);
    r = await run('ec2ssh', ['--verbose', 'lab', 'true']);
    assert.equal(r.code, 0, r.stderr);
    r = await run('ec2ssh', ['--print', 'lab']);
    const local = mkdtempSync(join(tmpdir(), 'ec2term-secrets-'));
    writeFileSync(join(local, 'f.txt'), 'hello\n');
    r = await run('ec2scp', ['--verbose', join(local, 'f.txt'), 'lab:f.txt']);
    assert.equal(r.code, 0, r.stderr);
    r = await run('ec2scp', ['--verbose', 'lab:f.txt', join(local, 'back.txt')]);
    assert.equal(r.code, 0, r.stderr);
    // One run against no sandbox: real-looking credentials, an endpoint that refuses connections.
    r = await run('ec2list', ['--verbose', '--endpoint-url', 'http://127.0.0.1:9'], { EC2TERM_SANDBOX: '', EC2TERM_SANDBOX_DIR: '' });
    assert.notEqual(r.code, 0, 'nothing listens on port 9');
    r = await run('ec2launch', ['--verbose', '--yes', '--endpoint-url', 'http://127.0.0.1:9', 'nolab'], { EC2TERM_SANDBOX: '', EC2TERM_SANDBOX_DIR: '' });
    assert.notEqual(r.code, 0);
  });
  after(async () => {
    await sb?.stop();
  });

  const everything = () => {
    const log = join(sb.dir, 'sandbox.log');
    const files = statSync(log, { throwIfNoEntry: false }) ? [{ what: 'sandbox.log', text: readFileSync(log, 'utf8') }] : [];
    return [...outputs, ...files];
  };
  const noneContains = (needle: string, label: string, except: (what: string) => boolean = () => false) => {
    for (const o of everything()) {
      if (except(o.what)) continue;
      assert.ok(!o.text.includes(needle), `${label} appears in the output of ${o.what}`);
    }
  };

  it('collected output from every command and the sandbox log', () => {
    assert.ok(outputs.length >= 10);
    assert.ok(everything().some((o) => o.what === 'sandbox.log'), 'the sandbox log exists');
  });

  it('no secret access key or session token', () => {
    noneContains(SECRET, 'the secret access key');
    noneContains(SECRET.slice(0, 16), 'part of the secret access key');
    noneContains(TOKEN, 'the session token');
    noneContains(TOKEN.slice(0, 16), 'part of the session token');
  });

  it('no private key material', () => {
    const keys = walk(sb.dir).filter((f) => readFileSync(f, 'latin1').includes('PRIVATE KEY-----'));
    assert.ok(keys.some((f) => f.includes(`${join(sb.dir, 'keys')}`)), `the launch saved a private key under ${sb.dir}/keys`);
    for (const f of keys.filter((k) => k.startsWith(join(sb.dir, 'keys')))) {
      const body = readFileSync(f, 'utf8').split('\n').filter((l) => l.length >= 20 && !l.includes('-----'));
      assert.ok(body.length > 0);
      for (const line of body) noneContains(line, `a line of the private key ${f}`);
    }
    noneContains('PRIVATE KEY-----', 'a PEM private key header');
  });

  it('no auth code, except with --show-secrets', () => {
    const codeFiles = walk(sb.dir).filter((f) => /\/\.graphterm\/@[^/]*_gterm_auth\.txt$/.test(f));
    assert.ok(codeFiles.length >= 3, `auth code files: ${codeFiles.join(', ')}`);
    // Stored dashed (as GraphTerm reads it); printed without dashes: look for both spellings.
    const codes = codeFiles.map((f) => readFileSync(f, 'utf8').trim().replace(/-/g, '')).filter((c) => c.length >= 8);
    assert.equal(codes.length, codeFiles.length, 'each auth code is at least 8 characters');
    const shownText = shown.stdout + shown.stderr;
    const shownCodes = codes.filter((c) => shownText.includes(c));
    assert.equal(shownCodes.length, 1, '--show-secrets printed its auth code');
    for (const code of codes) noneContains(code, 'an auth code', (what) => what.includes('--show-secrets') && shownCodes.includes(code));
  });
});
