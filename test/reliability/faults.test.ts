// Reliability under injected faults (issue 8, "Faults"): the real bins against a private sandbox with
// throttling, 5xx and dropped connections; interrupted launches (SIGINT, SIGTERM, SIGKILL); stuck DNS,
// unreachable SSH and a failing setup; concurrent launches. Ground truth is read with the SDK (faults off).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DeleteKeyPairCommand, DescribeImagesCommand, DescribeSecurityGroupsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, until } from '../sandbox/sdk.js';
import { faultCounts, liveNamed, noStack, requests, snapshot, spawnBin, waitForRequest, world } from './util.js';

/** The error a failed command printed: its last line on stderr (after progress and undo notes), hints aside. */
const lastLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !/^(\S+: )?hint: /.test(l)).at(-1) ?? '';
/** A failure is reported as one line: `program: what failed`, with no stack trace. */
function assertOneLineError(stderr: string, program: string): void {
  assert.match(lastLine(stderr), new RegExp(`^${program}: \\S`), stderr);
  assert.doesNotMatch(stderr, /\n\s+at .*[.:]\d+/, 'no stack trace');
}


describe('throttling, 5xx and dropped connections on a share of requests', { timeout: 600_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); });

  // The SDK makes up to 6 attempts per call (src/lib/aws.ts). With at most 5 faults in all, no call can
  // lose every attempt, so the commands must succeed; with more (below) they may fail, but cleanly.
  const winnable = () => ({ rules: [
    { kind: 'throttle', rate: 0.3, count: 2 }, { kind: '503', rate: 0.3, count: 1 },
    { kind: '500', rate: 0.3, count: 1 }, { kind: 'drop', rate: 0.3, count: 1 },
  ] });
  const share = (rate: number, count: number) => ({
    rules: (['throttle', '503', '500', 'drop'] as const).map((kind) => ({ kind, rate, count })),
  });

  it('retries win: ec2launch, ec2list and ec2ssh succeed; exactly one instance and its record', async (t) => {
    const name = 'rel.myterm.test';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', winnable());
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--json', '--create-zone', name], { env: sb.env, timeoutMs: 150_000 });
    const c = faultCounts(await requests(sb));
    t.diagnostic(`ec2launch: exit ${r.code}; ${c.faulted} of ${c.total} requests faulted ${JSON.stringify(c.byCode)}`);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(c.faulted > 0, 'some requests were faulted');
    const w = await world(sb);
    assert.deepEqual(liveNamed(w, name).map((i) => i.id), [JSON.parse(r.stdout).instanceId], 'exactly one instance with that name');
    assert.ok(w.records.includes(`${name}.`), 'its DNS record');

    for (const [program, args] of [['ec2list', ['--sandbox', '--json']], ['ec2ssh', ['--sandbox', name, 'true']]] as const) {
      await sb.admin('DELETE', '/_sandbox/requests');
      await sb.admin('POST', '/_sandbox/faults', winnable());
      const o = await runBin(program, [...args], { env: sb.env, timeoutMs: 90_000 });
      const oc = faultCounts(await requests(sb));
      t.diagnostic(`${program}: exit ${o.code}; ${oc.faulted} of ${oc.total} requests faulted ${JSON.stringify(oc.byCode)}`);
      await sb.admin('DELETE', '/_sandbox/faults');
      assert.equal(o.code, 0, `${program}: ${o.stderr}`);
      if (program === 'ec2list') assert.ok(o.stdout.includes(name));
    }
    assert.equal(liveNamed(await world(sb), name).length, 1, 'still exactly one');
  });

  it('a larger share (rate 0.15 per kind, up to 24 faults): success, or one line and nothing left', async (t) => {
    const name = 'share.myterm.test';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', share(0.15, 6));
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--json', name], { env: sb.env, timeoutMs: 150_000 });
    const c = faultCounts(await requests(sb));
    t.diagnostic(`ec2launch: exit ${r.code}; ${c.faulted} of ${c.total} requests faulted ${JSON.stringify(c.byCode)}`);
    await sb.admin('DELETE', '/_sandbox/faults');
    noStack(r.stderr);
    const w = await world(sb);
    if (r.code === 0) {
      assert.deepEqual(liveNamed(w, name).map((i) => i.id), [JSON.parse(r.stdout).instanceId], 'exactly one instance');
    } else {
      assertOneLineError(r.stderr, 'ec2launch');
      assert.deepEqual(liveNamed(w, name), [], 'no orphaned instance');
      assert.ok(!w.records.includes(`${name}.`), 'no orphaned record');
    }
    for (const [program, args] of [['ec2list', ['--sandbox', '--json']], ['ec2ssh', ['--sandbox', 'rel.myterm.test', 'true']]] as const) {
      await sb.admin('POST', '/_sandbox/faults', share(0.15, 4));
      const o = await runBin(program, [...args], { env: sb.env, timeoutMs: 90_000 });
      await sb.admin('DELETE', '/_sandbox/faults');
      t.diagnostic(`${program}: exit ${o.code}`);
      noStack(o.stderr);
      if (o.code !== 0) assertOneLineError(o.stderr, program);
    }
  });

  it('a heavier share (rate 0.3 per kind) still ends with at most one instance and no orphan', async (t) => {
    const name = 'heavy';
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', { rules: (['throttle', '503', '500', 'drop'] as const).map((kind) => ({ kind, rate: 0.3, count: 10 })) });
    // Up to 40 faults with the SDK's back-off (up to 20 s a retry) and a persistent undo: give it room, so
    // the harness never kills it midway (which would leave an instance behind for the wrong reason).
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--json', '--auth-code', 'none', name], { env: sb.env, timeoutMs: 400_000 });
    const c = faultCounts(await requests(sb));
    t.diagnostic(`ec2launch (rate 0.3): exit ${r.code}; ${c.faulted} of ${c.total} requests faulted ${JSON.stringify(c.byCode)}`);
    await sb.admin('DELETE', '/_sandbox/faults');
    noStack(r.stderr);
    const live = liveNamed(await world(sb), name);
    if (r.code === 0) assert.deepEqual(live.map((i) => i.id), [JSON.parse(r.stdout).instanceId]);
    else {
      assert.deepEqual(live, [], `failed (${r.stderr.trim()}) and left an instance`);
      assertOneLineError(r.stderr, 'ec2launch');
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

  it('a Route 53 change stuck PENDING: exit 5 naming the DNS phase, and the launch is undone', async (t) => {
    const before = snapshot(await world(sb));
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'change-pending', count: 100_000 }] });
    const name = 'x.myterm.test';
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--create-zone', '--timeout', '5s', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 5, r.stderr);
    t.diagnostic(lastLine(r.stderr));
    assert.match(lastLine(r.stderr), /^ec2launch: timed out after .* waiting for Route 53 change \S+ to be INSYNC/, r.stderr);
    noStack(r.stderr);
    const after = snapshot(await world(sb));
    assert.deepEqual(liveNamed(await world(sb), name), [], 'no instance left');
    assert.ok(!after.records.includes(`${name}.`), 'no record left');
    assert.deepEqual(after, before, r.stderr);
  });

  it('an instance never reachable over SSH: exit 5 naming the SSH phase, and undone', async (t) => {
    const before = snapshot(await world(sb));
    const name = 'nossh';
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'ssh-unreachable', name }] });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', '--timeout', '5s', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 5, r.stderr);
    t.diagnostic(lastLine(r.stderr));
    assert.match(lastLine(r.stderr), /^ec2launch: timed out after .* waiting for port 22 on \S+ to open/, r.stderr);
    noStack(r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });

  it('a setup that writes SETUP_ERROR: non-zero exit naming the setup phase, with the log tail', async (t) => {
    const before = snapshot(await world(sb));
    const name = 'badsetup';
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'setup-error', name }] });
    const r = await runBin('ec2launch', ['--sandbox', '--yes', name], { env: sb.env, timeoutMs: 120_000 });
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.notEqual(r.code, 0, r.stderr);
    t.diagnostic(`exit ${r.code}: ${lastLine(r.stderr)}`);
    assert.match(r.stderr, /the setup of badsetup failed: .*last lines of \/root\/ec2launch\.log --- \| .*ERROR/, 'the setup log tail is shown');
    noStack(r.stderr);
    assert.deepEqual(snapshot(await world(sb)), before, r.stderr);
  });
});

describe('the shared key pair and group under concurrent runs', { timeout: 180_000 }, () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'fast' }); });
  after(async () => { await sb?.stop(); });

  it('keeps them (and the key file) when another instance launched with them meanwhile', async (t) => {
    const c = ec2(sb);
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'setup-error', name: 'failing' }] });
    const launch = runBin('ec2launch', ['--sandbox', '--yes', 'failing'], { env: sb.env, timeoutMs: 120_000 });
    // While it waits for its setup, another launcher (here the SDK) uses the key pair and group it created.
    const groupId = await until(async () => (await c.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['ec2term-graphterm-server'] }] }))).SecurityGroups?.[0]?.GroupId, 60_000, 'the group');
    const images = await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }));
    const other = await c.send(new RunInstancesCommand({ ImageId: images.Images![0]!.ImageId!, MinCount: 1, MaxCount: 1, KeyName: 'ec2term', SecurityGroupIds: [groupId], InstanceType: 't3.micro' }));
    const r = await launch;
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.notEqual(r.code, 0, r.stderr);
    const otherId = other.Instances![0]!.InstanceId!;
    t.diagnostic(r.stderr.split('\n').filter((l) => /kept|removed|terminated/.test(l)).join(' | '));
    assert.match(r.stderr, new RegExp(`kept key pair ec2term and \\S+: another instance uses it \\(${otherId}\\)`));
    assert.match(r.stderr, new RegExp(`kept security group ec2term-graphterm-server \\(${groupId}\\): another instance uses it`));
    const w = await world(sb);
    assert.ok(w.keyPairs.includes('ec2term'), 'key pair kept');
    assert.ok(w.groups.includes('ec2term-graphterm-server'), 'group kept');
    assert.deepEqual(liveNamed(w, 'failing'), [], 'the failed launch terminated its own instance');
    const keyFile = /kept key pair ec2term and (\S+):/.exec(r.stderr)?.[1];
    assert.ok(keyFile && existsSync(keyFile), `the private key file is still there (${keyFile})`);
  });

  it('a launch whose key pair is deleted under it (between its check and RunInstances) sets it up again and succeeds', async (t) => {
    const c = ec2(sb);
    // Key pair and group exist (adopted by the launch below); RunInstances is held for 3 s.
    await sb.admin('DELETE', '/_sandbox/requests');
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'slow', action: 'RunInstances', delayMs: 3000, count: 1 }] });
    const launch = runBin('ec2launch', ['--sandbox', '--yes', '--json', 'survivor'], { env: sb.env, timeoutMs: 120_000 });
    // Its last check before RunInstances is the group's; delete the key pair right after it.
    await waitForRequest(sb, (e) => e.action === 'DescribeSecurityGroups');
    await c.send(new DeleteKeyPairCommand({ KeyName: 'ec2term' }));
    const r = await launch;
    await sb.admin('DELETE', '/_sandbox/faults');
    t.diagnostic(r.stderr.split('\n').filter((l) => /went away|key pair/.test(l)).join(' | '));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the key pair ec2term went away \(a concurrent run removed it\); setting it up again/);
    const log = await requests(sb);
    assert.deepEqual(log.filter((e) => e.action === 'RunInstances').map((e) => e.errorCode ?? e.status), ['InvalidKeyPair.NotFound', 200]);
    const w = await world(sb);
    assert.equal(liveNamed(w, 'survivor').length, 1);
    assert.ok(w.keyPairs.includes('ec2term'), 'the key pair exists again');
    const ssh = await runBin('ec2ssh', ['--sandbox', 'survivor', 'true'], { env: sb.env, timeoutMs: 60_000 });
    assert.equal(ssh.code, 0, `the new key file logs in: ${ssh.stderr}`);
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

  it('2 concurrent launches of one name print the same working auth code', async (t) => {
    const name = 'twin-code';
    const results = await Promise.all([0, 1].map(() => runBin('ec2launch', ['--sandbox', '--yes', '--json', '--show-secrets', name], { env: sb.env, timeoutMs: 240_000 })));
    const all = results.map((r) => `exit ${r.code}\n${r.stderr}`).join('\n---\n');
    t.diagnostic(`twin-code exits: ${results.map((r) => r.code).join(', ')}`);
    for (const r of results) noStack(r.stderr);
    const ok = results.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).authCode as string);
    assert.ok(ok.length >= 1, all);
    assert.equal(liveNamed(await world(sb), name).length, 1, all);
    // GraphTerm's own code file (named after the public DNS name here), in dashed groups of four.
    const onHost = await runBin('ec2ssh', ['--sandbox', name, 'cat .graphterm/@*_gterm_auth.txt'], { env: sb.env, timeoutMs: 60_000 });
    assert.equal(onHost.code, 0, onHost.stderr);
    const inForce = onHost.stdout.trim().replace(/-/g, '');
    assert.match(inForce, /^[A-Za-z0-9]{16}$/, 'one whole code is on the instance');
    for (const code of ok) assert.equal(code, inForce, 'every run that succeeded printed the code on the instance');
  });
});
