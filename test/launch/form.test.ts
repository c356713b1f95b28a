// The launch form with scripted answers: prefilled options in, a plan and a masked command line out;
// Ctrl-C (CancelledError) before anything exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillForm } from '../../src/commands/launch/form.js';
import { commandLine, planLaunch } from '../../src/commands/launch/plan.js';
import { CancelledError } from '../../src/lib/errors.js';
import { scriptedPrompt } from '../../src/lib/prompt.js';
import { runInProcess } from '../helpers/inprocess.js';

describe('launch form', () => {
  it('answers -> options -> plan and a command line that runs as printed, with no secret', async () => {
    const prompt = scriptedPrompt(['lab.myterm.com', 'm7i.large', '', ['pylab', 'R'], 'htop', '', 'singleuser', 'S3cretCode1', true, '30', '4h']);
    const o = await fillForm(prompt, { pylab: true });
    const p = planLaunch(o);
    assert.equal(p.baseName, 'lab.myterm.com');
    assert.equal(p.instanceType, 'm7i.large');
    assert.deepEqual(p.authCode, { kind: 'given', value: 'S3cretCode1' });
    assert.equal(p.ttlMs, 4 * 3_600_000);
    assert.equal(p.volumeSize, 30);
    const line = commandLine(o);
    // It runs as printed: the auth code is left out (EC2TERM_AUTH_CODE carries it), not masked into a flag that would fail.
    assert.equal(line, 'ec2launch --type=m7i.large --auth-type=singleuser --https --pylab --R --install=htop --volume-size=30 --ttl=4h lab.myterm.com');
    assert.ok(!line.includes('S3cretCode1'));
  });
  it('Ctrl-C in the form is a CancelledError (exit 130)', async () => {
    const prompt = scriptedPrompt(['lab', new CancelledError('cancelled at the prompt')]);
    await assert.rejects(fillForm(prompt, {}), (e: unknown) => e instanceof CancelledError && e.exitCode === 130);
  });
  it('ends by asking "Launch NAME now?" (default No): No is exit 130 before any AWS request, after a command line with no secret', async () => {
    const prompt = scriptedPrompt(['formlab', 't3.small', '', [], '', '', 'singleuser', 'Formcode1234', false, '', '', false]);
    let asked: unknown;
    const confirmNo = { ...prompt, confirm: async (m: string, o?: { default?: boolean }) => { if (m.startsWith('Launch')) asked = { m, o }; return prompt.confirm(m, o); } };
    const r = await runInProcess('ec2launch', ['--form'], { deps: { prompt: () => confirmNo, aws: () => Promise.reject(new Error('no AWS request may be made')) } });
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(asked, { m: 'Launch formlab now?', o: { default: false } });
    assert.match(r.stderr, /the same launch as a command:\n {2}ec2launch --type=t3\.small --auth-type=singleuser formlab\n/);
    assert.match(r.stderr, /EC2TERM_AUTH_CODE/);
    assert.doesNotMatch(r.stderr + r.stdout, /Formcode1234/);
    assert.match(r.stderr, /answered no; nothing was launched/);
  });
  it('EC2TERM_AUTH_CODE is checked like --auth-code, naming the variable (exit 2, before any AWS request)', async () => {
    const r = await runInProcess('ec2launch', ['--dry-run', 'lab'], { env: { EC2TERM_AUTH_CODE: 'short' }, deps: { aws: () => Promise.reject(new Error('no AWS request may be made')) } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^ec2launch: bad EC2TERM_AUTH_CODE: use 8 to 16 letters and digits/);
    assert.doesNotMatch(r.stderr, /short/);
  });
});
