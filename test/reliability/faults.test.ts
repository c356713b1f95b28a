// Reliability under injected faults (issue 8, "Faults"): the real bins against a private sandbox with
// throttling, 5xx and dropped connections; interrupted launches (SIGINT, SIGTERM, SIGKILL); stuck DNS,
// unreachable SSH and a failing setup; concurrent launches. Ground truth is read with the SDK (faults off).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { faultCounts, liveNamed, requests, spawnBin, waitForRequest, world, type World } from './util.js';

const oneLine = (s: string) => s.trim().split('\n').filter((l) => l.trim()).length;
const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*[.:]\d+/, 'no stack trace');

/** Everything ec2term made (key pairs, groups, records) and every live instance. */
const snapshot = (w: World) => ({ live: w.live.map((i) => i.name).sort(), keyPairs: w.keyPairs, groups: w.groups, records: w.records });

describe('throttling, 5xx and dropped connections on a share of requests', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); });

  const rules = (count: number) => ({
    rules: (['throttle', '503', '500', 'drop'] as const).map((kind) => ({ kind, rate: 0.15, count })),
  });

  it('ec2launch, ec2list and ec2ssh succeed through retries; one instance, no orphans', async (t) => {
    const name = 'rel.myterm.test';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', rules(6));
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--json', '--create-zone', name], { env: sb.env, timeoutMs: 150_000 });
    let log = await requests(sb);
    const launchCounts = faultCounts(log);
    t.diagnostic(`ec2launch: exit ${r.code}; ${launchCounts.faulted} of ${launchCounts.total} requests faulted ${JSON.stringify(launchCounts.byCode)}`);
    noStack(r.stderr);
    await sb.admin('DELETE', '/_sandbox/faults');
    const w = await world(sb);
    if (r.code === 0) {
      const out = JSON.parse(r.stdout);
      assert.deepEqual(liveNamed(w, name).map((i) => i.id), [out.instanceId], 'exactly one instance with that name');
      assert.ok(w.records.includes(`${name}.`), 'its DNS record');
    } else {
      // Retries lost: a one-line message and nothing left behind.
      const msg = r.stderr.split('\n').filter((l) => l.startsWith('ec2launch: ') && !/interrupted|removed|terminated/.test(l));
      assert.ok(msg.length >= 1, r.stderr);
      assert.deepEqual(liveNamed(w, name), [], 'no orphaned instance');
      assert.ok(!w.records.includes(`${name}.`), 'no orphaned record');
    }
    assert.ok(launchCounts.faulted > 0, 'some requests were faulted');

    // ec2list and ec2ssh under the same faults.
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', rules(4));
    const list = await runBin('ec2list', ['--sandbox', '--json'], { env: sb.env, timeoutMs: 90_000 });
    assert.equal(list.code, 0, list.stderr);
    noStack(list.stderr);
    if (r.code === 0) assert.ok(list.stdout.includes(name));
    if (r.code === 0) {
      const ssh = await runBin('ec2ssh', ['--sandbox', name, 'true'], { env: sb.env, timeoutMs: 90_000 });
      assert.equal(ssh.code, 0, ssh.stderr);
    }
    log = await requests(sb);
    const otherCounts = faultCounts(log);
    t.diagnostic(`ec2list + ec2ssh: ${otherCounts.faulted} of ${otherCounts.total} requests faulted ${JSON.stringify(otherCounts.byCode)}`);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(liveNamed(await world(sb), name).length, r.code === 0 ? 1 : 0, 'still exactly one (or none after a clean failure)');
  });

  it('a heavier share (rate 0.3 per kind) still ends with at most one instance and no orphan', async (t) => {
    const name = 'heavy';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', { rules: (['throttle', '503', '500', 'drop'] as const).map((kind) => ({ kind, rate: 0.3, count: 10 })) });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--json', '--auth-code', 'none', name], { env: sb.env, timeoutMs: 150_000 });
    const c = faultCounts(await requests(sb));
    t.diagnostic(`ec2launch (rate 0.3): exit ${r.code}; ${c.faulted} of ${c.total} requests faulted ${JSON.stringify(c.byCode)}`);
    await sb.admin('DELETE', '/_sandbox/faults');
    noStack(r.stderr);
    const live = liveNamed(await world(sb), name);
    if (r.code === 0) assert.deepEqual(live.map((i) => i.id), [JSON.parse(r.stdout).instanceId]);
    else {
      assert.deepEqual(live, [], `failed (${r.stderr.trim()}) and left an instance`);
      assert.equal(r.stderr.split('\n').filter((l) => /^ec2launch: (?!warning:)/.test(l) && !/removed|terminated|kept|nothing was created|removing what/.test(l)).length, 1, r.stderr);
    }
  });
});

describe('an interrupted launch', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    // Slow enough that a signal lands while ec2launch is waiting.
    await sb.admin('POST', '/_sandbox/config', { delays: { pendingToRunning: 2500, setup: 2500 } });
  });
  after(async () => { await sb?.stop(); });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} after RunInstances exits ${signal === 'SIGINT' ? 130 : '130/143'} and leaves nothing`, async () => {
      const before = snapshot(await world(sb));
      await sb.admin('DELETE', '/_sandbox/requests');
      const name = `int-${signal.toLowerCase()}.myterm.test`;
      const p = spawnBin('ec2launch', ['--sandbox', '--yes', '--create-zone', name], sb.env);
      await waitForRequest(sb, (e) => e.action === 'RunInstances' && e.status === 200);
      p.child.kill(signal);
      const r = await p.done;
      if (signal === 'SIGINT') assert.equal(r.code, 130, r.stderr);
      else assert.ok(r.code === 130 || r.code === 143, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`interrupted \\(${signal}\\)`));
      assert.match(r.stderr, /terminated instance i-/);
      noStack(r.stderr);
      const after = snapshot(await world(sb));
      // The hosted zone made by --create-zone is kept on purpose (docs/launch.md); everything else is undone.
      assert.deepEqual(after, before, r.stderr);
    });
  }

  it('SIGINT while waiting for SSH / setup (after the DNS record) undoes the record too', async () => {
    const before = snapshot(await world(sb));
    await sb.admin('DELETE', '/_sandbox/requests');
    const name = 'int-late.myterm.test';
    const p = spawnBin('ec2launch', ['--sandbox', '--yes', '--create-zone', name], sb.env);
    await waitForRequest(sb, (e) => e.action === 'ChangeResourceRecordSets' && e.status === 200);
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });

  it('SIGKILL midway, then the same command again: one instance, and ec2list shows it', async () => {
    const name = 'killed.myterm.test';
    const args = ['--sandbox', '--yes', '--json', '--create-zone', name];
    await sb.admin('DELETE', '/_sandbox/requests');
    const p = spawnBin('ec2launch', args, sb.env);
    await waitForRequest(sb, (e) => e.action === 'RunInstances' && e.status === 200);
    p.child.kill('SIGKILL');
    const killed = await p.done;
    assert.equal(killed.signal, 'SIGKILL');
    const mid = liveNamed(await world(sb), name);
    assert.equal(mid.length, 1, 'the instance exists after SIGKILL');
    const r = await runBin('ec2launch', args, { env: sb.env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.instanceId, mid[0]!.id, 'same client token: the same instance');
    assert.deepEqual(liveNamed(await world(sb), name).map((i) => i.id), [mid[0]!.id]);
    const list = await runBin('ec2list', ['--sandbox', '--json'], { env: sb.env });
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes(mid[0]!.id) && list.stdout.includes(name));
  });
});

describe('stuck DNS, unreachable SSH, failing setup', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); await sb?.admin('DELETE', '/_sandbox/faults').catch(() => {}); });

  it('a Route 53 change stuck PENDING: exit 5 naming the DNS phase, and the launch is undone', async () => {
    const before = snapshot(await world(sb));
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'change-pending', count: 100_000 }] });
    const name = 'x.myterm.test';
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--create-zone', '--timeout', '5s', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /DNS|INSYNC|Route 53/i);
    noStack(r.stderr);
    const after = snapshot(await world(sb));
    assert.deepEqual(liveNamed(await world(sb), name), [], 'no instance left');
    assert.ok(!after.records.includes(`${name}.`), 'no record left');
    assert.deepEqual(after, before, r.stderr);
  });

  it('an instance never reachable over SSH: exit 5 naming the SSH phase, and undone', async () => {
    const before = snapshot(await world(sb));
    const name = 'nossh';
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'ssh-unreachable', name }] });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--timeout', '5s', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /SSH/i);
    noStack(r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });

  it('a setup that writes SETUP_ERROR: non-zero exit naming the setup phase, with the log tail', async () => {
    const before = snapshot(await world(sb));
    const name = 'badsetup';
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'setup-error', name }] });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /setup of badsetup failed/);
    assert.match(r.stderr, /ec2launch\.log|SETUP_ERROR/, 'the setup log tail is shown');
    noStack(r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });
});

describe('concurrent launches', { timeout: 300_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); });

  it('10 concurrent ec2launch with distinct names: 10 instances, all exit 0', async (t) => {
    const names = Array.from({ length: 10 }, (_, i) => `conc-${i}`);
    const results = await Promise.all(names.map((n) => runBin('ec2launch', ['--sandbox', '--yes', '--json', n], { env: sb.env, timeoutMs: 240_000 })));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Duplicate|already exists|InvalidGroup|InvalidKeyPair/i, `${names[i]}: ${r.stderr}`);
    });
    const w = await world(sb);
    for (const n of names) assert.equal(liveNamed(w, n).length, 1, n);
    assert.equal(w.keyPairs.filter((k) => k === 'ec2term').length, 1);
    t.diagnostic(`launches: 10; live instances: ${w.live.length}; key pairs: ${w.keyPairs.join(',')}; groups: ${w.groups.join(',')}`);
  });

  it('2 concurrent launches of one name: exactly one instance, and it keeps running', async (t) => {
    const name = 'twin';
    const results = await Promise.all([0, 1].map(() => runBin('ec2launch', ['--sandbox', '--yes', '--json', name], { env: sb.env, timeoutMs: 240_000 })));
    const all = results.map((r) => `exit ${r.code}\n${r.stderr}`).join('\n---\n');
    t.diagnostic(`twin exits: ${results.map((r) => r.code).join(', ')}`);
    const w = await world(sb);
    assert.equal(liveNamed(w, name).length, 1, all);
    assert.ok(results.some((r) => r.code === 0), all);
    for (const r of results) noStack(r.stderr);
  });

  it('2 concurrent launches of one name print the same working auth code', {
    todo: 'each run generates and delivers its own random auth code to the one shared instance; the last write wins, so one run prints a code that does not work',
  }, async () => {
    const name = 'twin-code';
    const results = await Promise.all([0, 1].map(() => runBin('ec2launch', ['--sandbox', '--yes', '--json', '--show-secrets', name], { env: sb.env, timeoutMs: 240_000 })));
    const ok = results.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).authCode as string);
    const onHost = await runBin('ec2ssh', ['--sandbox', name, 'cat', '.graphterm/ec2term_auth_code'], { env: sb.env, timeoutMs: 60_000 });
    for (const code of ok) assert.equal(code, onHost.stdout.trim(), 'every run that succeeded printed the code on the instance');
  });
});
