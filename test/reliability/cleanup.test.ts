// Cleanup that outlasts faults (issue 8, "nothing is lost or orphaned"): when TerminateInstances, the group
// or key pair deletion fail more times in a row than the SDK attempts, ec2launch's undo and ec2list
// --terminate keep trying and finish the job. The real bins against a private sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { liveNamed, noStack, requests, snapshot, world } from './util.js';

describe("cleanup outlasts faults that beat the SDK's own attempts", { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); });

  // The SDK makes 6 attempts per call; 8 failures in a row on one action exhaust them, so only ec2term's own
  // retries can finish the job.
  const failing = (action: string, count = 8) => ({ service: 'ec2', action, kind: '500', count });

  it('a failed launch still terminates its instance and removes its group and key pair', async (t) => {
    const before = snapshot(await world(sb));
    const name = 'stubborn';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', { rules: [
      { kind: 'setup-error', name }, failing('TerminateInstances'), failing('DeleteSecurityGroup'), failing('DeleteKeyPair'),
    ] });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', name], { env: sb.env, timeoutMs: 200_000 });
    const log = await requests(sb);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.notEqual(r.code, 0, r.stderr);
    t.diagnostic(r.stderr.split('\n').filter((l) => /trying again|removed|terminated|could NOT/.test(l)).join(' | '));
    assert.match(r.stderr, /ec2launch: warning: terminating i-\S+: InternalError: .*; trying again for up to \d/, r.stderr);
    assert.match(r.stderr, /terminated instance i-/);
    assert.match(r.stderr, /removed security group ec2term-graphterm-server/);
    assert.match(r.stderr, /removed key pair ec2term/);
    assert.doesNotMatch(r.stderr, /could NOT/);
    for (const action of ['TerminateInstances', 'DeleteSecurityGroup', 'DeleteKeyPair']) {
      assert.equal(log.filter((e) => e.action === action && e.status === 500).length, 8, `${action}: all 8 faults used`);
    }
    noStack(r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });

  it('ec2list --terminate keeps trying through a throttled TerminateInstances', async (t) => {
    const name = 'tenacious';
    const launched = await runBin('ec2launch', ['--sandbox', '--yes', '--wait', 'running', name], { env: sb.env, timeoutMs: 120_000 });
    assert.equal(launched.code, 0, launched.stderr);
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ service: 'ec2', action: 'TerminateInstances', kind: 'throttle', count: 7 }] });
    const r = await runBin('ec2list', ['--sandbox', '--yes', '--terminate', name], { env: sb.env, timeoutMs: 200_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    t.diagnostic(r.stderr.trim().split('\n').join(' | '));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ec2list: warning: tenacious \(i-\S+\): terminating: RequestLimitExceeded: .*; trying again for up to/, r.stderr);
    assert.deepEqual(liveNamed(await world(sb), name), []);
  });
});
