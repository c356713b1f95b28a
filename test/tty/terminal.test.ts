// What a person at a terminal sees, in a real terminal (tmux) against the sandbox: the picker's rows line
// up, the launch progress line never has a notice written into it, and the launch form ends with a
// confirmation whose default is No. Skipped where tmux is missing (CI installs it: .ci/run).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binPath, cleanEnv, runBin } from '../helpers/run.js';
import { launchInstance } from '../helpers/fixture.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { startTerminal, tmuxAvailable, type TmuxTerminal } from '../helpers/tmux.js';

const skip = tmuxAvailable() ? false : 'tmux is not installed';

describe('at a terminal (tmux)', { skip, timeout: 300_000 }, () => {
  let sb: TestSandbox;
  let env: Record<string, string>;
  const open: TmuxTerminal[] = [];
  const terminal = async (program: string, args: string[]) => {
    const t = await startTerminal([process.execPath, binPath(program), '--sandbox', ...args], env);
    open.push(t);
    return t;
  };

  before(async () => {
    sb = await startTestSandbox();
    await launchInstance(sb, 'lab');
    await launchInstance(sb, 'lab-with-a-much-longer-name');
    env = cleanEnv({ ...sb.env, EC2TERM_KNOWN_HOSTS: join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts'), TERM: 'xterm-256color' });
  });
  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await sb?.stop();
  });

  it('ec2list --stop: the picker rows line up; Ctrl-C leaves everything as it was (exit 130)', async () => {
    const t = await terminal('ec2list', ['--stop']);
    const shown = await t.waitFor(/Which instances to stop\?[\s\S]*lab-with-a-much-longer-name/);
    const rows = shown.filter((l) => /\bi-[0-9a-f]{17}\b/.test(l));
    assert.equal(rows.length, 2, shown.join('\n'));
    const idColumn = rows.map((l) => l.search(/\bi-[0-9a-f]{17}\b/));
    assert.equal(idColumn[0], idColumn[1], `ids line up:\n${rows.join('\n')}`);
    const stateColumn = rows.map((l) => l.search(/\brunning\b/));
    assert.equal(stateColumn[0], stateColumn[1], `states line up:\n${rows.join('\n')}`);
    await t.keys(['C-c']);
    await t.waitFor(/EXIT=130/);
    const listed = await runBin('ec2list', ['--sandbox', '--output', 'tsv', '--no-headers'], { env: sb.env });
    assert.equal(listed.stdout.split('\n').filter((l) => l.includes('\trunning\t')).length, 2, 'nothing stopped');
  });

  it('ec2list lab --terminate: asks about lab itself (no one-row picker); the default answer is No', async () => {
    const t = await terminal('ec2list', ['lab', '--terminate']);
    const shown = await t.waitFor(/Terminate lab\b.*\?/);
    assert.doesNotMatch(shown.join('\n'), /Which instances/);
    await t.keys(['Enter']);
    await t.waitFor(/EXIT=130/);
  });

  it('ec2launch: the progress line is cleared before each notice (no "... 0.0sec2launch: verified")', async () => {
    const t = await terminal('ec2launch', ['--wait', 'ssh', 'progress']);
    const shown = await t.waitFor(/EXIT=\d+/, 120_000);
    const text = shown.join('\n');
    assert.match(text, /EXIT=0/, text);
    assert.doesNotMatch(text, /\.\.\. [\d.]+[smh]+\S/, `a notice ran into the status line:\n${text}`);
    const verified = shown.filter((l) => l.includes('verified the host key of progress'));
    assert.equal(verified.length, 1, text);
    assert.match(verified[0]!, /^ec2launch: verified the host key/, 'the notice starts its own line');
    for (const phase of ['running', 'SSH port \\d+ open', 'SSH login with the host key verified against the console']) {
      assert.match(text, new RegExp(`^ec2launch: progress: ${phase}: done \\(`, 'm'), `${phase}:\n${text}`);
    }
  });

  it('ec2launch --form: ends with "Launch NAME now?" (default No), after a command line with no secret', async () => {
    const t = await terminal('ec2launch', ['--form']);
    const answer = async (question: RegExp, keys: string[], literal?: string) => {
      await t.waitFor(question);
      if (literal) await t.keys([literal], true);
      await t.keys(keys);
    };
    await answer(/Name \(lab/, ['Enter'], 'formlab');
    await answer(/Instance type:/, ['Enter']);
    await answer(/Image id/, ['Enter']);
    await answer(/Packages:/, ['Enter']);
    await answer(/Extra packages/, ['Enter']);
    await answer(/Secondary host of server/, ['Enter']);
    await answer(/Auth type:/, ['Enter']);
    await answer(/Auth code, 8-16/, ['Enter'], 'Formcode1234');
    await answer(/Serve over https\?/, ['Enter']);
    await answer(/Root volume size/, ['Enter']);
    await answer(/Time to live/, ['Enter']);
    const shown = await t.waitFor(/Launch formlab now\? \(y\/N\)/);
    const text = shown.join('\n');
    assert.match(text, /the same launch as a command:\n\s+ec2launch --type=t3\.small --auth-type=singleuser formlab\n/, text);
    assert.doesNotMatch(text, /Formcode1234|--auth-code/, 'the secret is on no command line');
    assert.match(text, /EC2TERM_AUTH_CODE/);
    await t.keys(['Enter']);
    await t.waitFor(/EXIT=130/);
    const listed = await runBin('ec2list', ['--sandbox', 'formlab'], { env: sb.env });
    assert.equal(listed.code, 3, 'nothing was launched');
  });
});
