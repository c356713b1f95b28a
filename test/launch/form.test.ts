// The launch form with scripted answers: prefilled options in, a plan and a masked command line out;
// Ctrl-C (CancelledError) before anything exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillForm } from '../../src/commands/launch/form.js';
import { commandLine, planLaunch } from '../../src/commands/launch/plan.js';
import { CancelledError } from '../../src/lib/errors.js';
import { scriptedPrompt } from '../../src/lib/prompt.js';

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
});
