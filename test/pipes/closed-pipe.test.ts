// A reader that goes away (`| head -1`) ends every command quietly, with the status OpenSSH and coreutils
// give: ec2ssh 0 (what ssh exits with), the others 141 (128 + SIGPIPE, what the shell shows for `seq | head`),
// never a stack trace. The real bins run in a real shell pipeline against the sandbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binPath, cleanEnv, ROOT } from '../helpers/run.js';
import { launchInstance } from '../helpers/fixture.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

interface Piped {
  /** What head printed. */
  first: string;
  /** The exit status of the ec2term command (bash's PIPESTATUS[0]). */
  status: number;
  stderr: string;
}

/** Runs `<bin> args... | head -1` in bash and reports the bin's own exit status. */
function headOne(program: string, args: string[], env: Record<string, string>): Promise<Piped> {
  const words = [process.execPath, binPath(program), ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${words} 2>"$ERRFILE" | head -1; echo "status=\${PIPESTATUS[0]}"; cat "$ERRFILE"`], {
      env: { ...cleanEnv(env), ERRFILE: join(mkdtempSync(join(tmpdir(), 'ec2term-pipe-')), 'stderr') },
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const m = /^([\s\S]*?)status=(\d+)\n([\s\S]*)$/.exec(out);
      if (!m) return reject(new Error(`unexpected output: ${out}`));
      resolve({ first: m[1]!, status: Number(m[2]), stderr: m[3]! });
    });
  });
}

const NO_TRACE = /\n\s+at |Error:|EPIPE|internal error/;

describe('a closed pipe ends every command quietly', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  let env: Record<string, string>;
  before(async () => {
    sb = await startTestSandbox();
    await launchInstance(sb, 'lab');
    env = { ...sb.env, EC2TERM_KNOWN_HOSTS: join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts') };
  });
  after(async () => {
    await sb?.stop();
  });

  it("ec2ssh lab 'seq 1 1000000' | head -1: prints 1, exits 0 like ssh, no stack trace", async () => {
    const r = await headOne('ec2ssh', ['--sandbox', 'lab', 'seq 1 1000000'], env);
    assert.equal(r.first, '1\n');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, NO_TRACE);
  });

  it("ec2ssh lab yes | head -1: an endless stream from the socket (the error arrives later, asynchronously): exit 0", async () => {
    const r = await headOne('ec2ssh', ['--sandbox', 'lab', 'yes'], env);
    assert.equal(r.first, 'y\n');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, NO_TRACE);
  });

  it('ec2list --watch | head -1: the heading first (no blank line before it), then exit 141 like coreutils', async () => {
    const r = await headOne('ec2list', ['--sandbox', '--watch', '--interval', '1s'], env);
    assert.match(r.first, /^every 1s: 1 instance in us-east-1 /);
    assert.equal(r.status, 141, r.stderr);
    assert.doesNotMatch(r.stderr, NO_TRACE);
  });

  it('ec2launch --user-data | head -1: the script\'s first line, no stack trace', async () => {
    const r = await headOne('ec2launch', ['--user-data', 'lab'], {});
    assert.equal(r.first, '#!/bin/bash\n');
    assert.ok(r.status === 0 || r.status === 141, `status ${r.status}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, NO_TRACE);
  });

  for (const program of ['ec2launch', 'ec2list', 'ec2ssh', 'ec2scp', 'ec2term']) {
    it(`${program} --help | head -1: the usage line, no stack trace`, async () => {
      const r = await headOne(program, ['--help'], {});
      assert.match(r.first, /^Usage: /);
      assert.ok(r.status === 0 || r.status === 141, `status ${r.status}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, NO_TRACE);
    });
  }

  it('ec2ssh --json with a remote command is refused (exit 2, one line): the remote output would mix with the JSON', async () => {
    const r = await headOne('ec2ssh', ['--sandbox', '--json', 'lab', 'echo hi'], env);
    assert.equal(r.first, '', 'nothing on stdout: the command did not run');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--json cannot share stdout with the remote command/);
  });
});
