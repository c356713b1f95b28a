// ec2scp's scp habits against the real bin and the sandbox: the letter options, remote ~/, {a,b} and
// multi-level wildcards; remote names still never escape the local target.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { launchInstance, REGION, type SandboxInstance } from '../helpers/fixture.js';

describe('ec2scp OpenSSH scp habits against the sandbox', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  let lab: SandboxInstance;
  let web: SandboxInstance;
  let labHome: string;
  let webHome: string;
  let work: string;
  const homeOf = (i: SandboxInstance) => {
    const base = join(sb.dir, 'instances', REGION, i.id, 'root', 'home');
    return join(base, readdirSync(base)[0]!);
  };
  const scp = (args: string[]) => runBin('ec2scp', ['--sandbox', '--accept-new', ...args], { env: sb.env, cwd: work, timeoutMs: 60_000 });

  before(async () => {
    sb = await startTestSandbox();
    [lab, web] = [await launchInstance(sb, 'lab'), await launchInstance(sb, 'web')];
    [labHome, webHome] = [homeOf(lab), homeOf(web)];
    work = mkdtempSync(join(tmpdir(), 'ec2scp-parity-'));
    mkdirSync(join(labHome, 'proj', 'one'), { recursive: true });
    mkdirSync(join(labHome, 'proj', 'two'), { recursive: true });
    writeFileSync(join(labHome, 'proj', 'a.txt'), 'A\n');
    writeFileSync(join(labHome, 'proj', 'b.txt'), 'B\n');
    writeFileSync(join(labHome, 'proj', 'one', 'x.log'), 'one\n');
    writeFileSync(join(labHome, 'proj', 'two', 'y.log'), 'two\n');
    writeFileSync(join(labHome, 'proj', 'two', 'skip.txt'), 'no\n');
  });
  after(async () => {
    await sb?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const fresh = (name: string) => {
    const d = join(work, name);
    mkdirSync(d);
    return d;
  };

  it('lab:~/proj/a.txt: ~/ is the home folder', async () => {
    const out = fresh('tilde');
    const r = await scp(['lab:~/proj/a.txt', 'tilde/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'A\n');
  });

  it("lab:proj/{a,b}.txt: brace expansion on the remote side", async () => {
    const out = fresh('braces');
    const r = await scp(['lab:proj/{a,b}.txt', 'braces/']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['a.txt', 'b.txt']);
  });

  it('lab:proj/*/*.log: wildcards on several levels', async () => {
    const out = fresh('globs');
    const r = await scp(['lab:proj/*/*.log', 'globs/']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['x.log', 'y.log']);
  });

  it('-3 lab:... web: copies between instances through here', async () => {
    const r = await scp(['-3', 'lab:proj/a.txt', 'web:']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(webHome, 'a.txt'), 'utf8'), 'A\n');
  });

  it('-4 -C -B -l 8000 -P PORT -o ConnectTimeout=10: the numeric and letter options work together', async () => {
    fresh('opts');
    const r = await scp(['-4', '-C', '-B', '-l', '8000', '-P', String(lab.sshPort), '-o', 'ConnectTimeout=10', '-oServerAliveInterval=5', 'lab:proj/b.txt', 'opts/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(work, 'opts', 'b.txt'), 'utf8'), 'B\n');
    const six = await scp(['-6', 'lab:proj/b.txt', 'opts/']);
    assert.equal(six.code, 255);
    assert.match(six.stderr, /-6/);
  });

  it('-J web lab:...: through another instance', async () => {
    fresh('jump');
    const r = await scp(['-v', '-J', 'web', 'lab:proj/a.txt', 'jump/']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /through web/);
    assert.equal(readFileSync(join(work, 'jump', 'a.txt'), 'utf8'), 'A\n');
  });

  it('-F FILE: a Host alias for an instance', async () => {
    fresh('cfg');
    writeFileSync(join(work, 'ssh_config'), `Host box\n  HostName lab\n  ConnectTimeout 10\n`);
    const r = await scp(['-F', 'ssh_config', 'box:proj/a.txt', 'cfg/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(work, 'cfg', 'a.txt'), 'utf8'), 'A\n');
  });

  it('bad or unsupported options: one line, exit 2, nothing contacted', async () => {
    for (const [args, re] of [
      [['-o', 'NoSuch=1'], /-o NoSuch=1: unknown or unsupported option \(the ec2scp list is in docs\/scp\.md\)/],
      [['-o', 'RequestTTY=yes'], /-o RequestTTY=yes: unknown or unsupported option/],
      [['-S', '/usr/bin/ssh'], /-S: ec2scp runs no ssh program/],
      [['-l', 'x'], /bad -l/],
    ] as [string[], RegExp][]) {
      const r = await scp([...args, 'lab:proj/a.txt', '.']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
