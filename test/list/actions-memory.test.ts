// ec2list's actions as specifications, run in-process through the real runner against EC2 and Route 53
// held in memory (test/helpers/memory-aws.ts) with a fake clock: what is changed, what is printed,
// which exit code. The sandbox scenarios (list-sandbox, dns-follow-sandbox) prove the same over HTTP.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeClock } from '../../src/lib/clock.js';
import { TAGS } from '../../src/lib/instances.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addFleet, addInstance, addRecord, memoryDeps, memoryWorld, type MemoryWorld } from '../helpers/memory-aws.js';

const ZONE = 'Z0MEMORY';
const list = (w: MemoryWorld, args: string[]) => runInProcess('ec2list', args, { deps: { ...memoryDeps(w), clock: fakeClock() } });

/** An instance with the record ec2term made for it. */
function withRecord(w: MemoryWorld, name: string, record: string) {
  const i = addInstance(w, name, { [TAGS.dns]: record, [TAGS.zone]: ZONE });
  i.tags[TAGS.dnsValue] = i.publicIp!;
  i.dnsValue = i.publicIp;
  addRecord(w, ZONE, 'myterm.test', record, i.publicIp!);
  return i;
}

describe('ec2list actions (in-process, memory EC2 and Route 53)', () => {
  it('--terminate NAME --yes deletes the record that points at it (while its address still proves it), then terminates', async () => {
    const w = memoryWorld();
    const lab = withRecord(w, 'lab', 'lab.myterm.test');
    addInstance(w, 'other');
    const r = await list(w, ['--terminate', 'lab', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, ['DELETE lab.myterm.test', `TerminateInstances ${lab.id}`]);
    const out = JSON.parse(r.stdout) as { action: string; results: { id: string; ok: boolean }[] };
    assert.equal(out.action, 'terminate');
    assert.deepEqual(out.results.map((x) => [x.id, x.ok]), [[lab.id, true]]);
  });

  it('a record someone repointed is kept, and the termination still happens', async () => {
    const w = memoryWorld();
    const lab = withRecord(w, 'lab', 'lab.myterm.test');
    addRecord(w, ZONE, 'myterm.test', 'lab.myterm.test', '203.0.113.99');
    const r = await list(w, ['--terminate', 'lab', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, [`TerminateInstances ${lab.id}`]);
    assert.match(r.stdout + r.stderr, /kept: it now points at 203\.0\.113\.99/);
  });

  it('without a terminal, a destructive action needs --yes: exit 2 and nothing changed', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    const r = await list(w, ['--terminate', 'lab']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(w.calls, []);
  });

  it('--terminate of a name that matches nothing is exit 3 and changes nothing', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    const r = await list(w, ['--terminate', 'nosuch', '--yes']);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(w.calls, []);
  });

  it('--dry-run plans and changes nothing', async () => {
    const w = memoryWorld();
    withRecord(w, 'lab', 'lab.myterm.test');
    const r = await list(w, ['--terminate', 'lab', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, []);
  });

  it('--stop then --start: the new address is written to the record ec2term made, and remembered', async () => {
    const w = memoryWorld();
    const lab = withRecord(w, 'lab', 'lab.myterm.test');
    const first = lab.publicIp!;
    assert.equal((await list(w, ['--stop', 'lab', '--yes'])).code, 0);
    const r = await list(w, ['--start', 'lab', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    const now = w.instances.get(lab.id)!;
    assert.notEqual(now.publicIp, first, 'EC2 gives a new address on start');
    assert.deepEqual(w.zones.get(ZONE)!.records.get('lab.myterm.test A')!.values, [now.publicIp]);
    assert.equal(now.tags[TAGS.dnsValue], now.publicIp);
    assert.deepEqual(w.calls.slice(-2), [`REPOINT lab.myterm.test ${now.publicIp}`, `CreateTags ${lab.id} ${TAGS.dnsValue}`]);
  });

  it('--terminate NAME --yes on a fleet deletes its group (its hosts go with it), then its launch template', async () => {
    const w = memoryWorld();
    const f = addFleet(w, 'node', 3);
    const r = await list(w, ['--terminate', 'node', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, ['DeleteAutoScalingGroup ec2term-node', 'DeleteLaunchTemplate ec2term-node']);
    assert.ok(f.instances.every((m) => w.instances.get(m.id)?.state === 'terminated'));
    assert.deepEqual((JSON.parse(r.stdout) as { deleted: string[] }).deleted, ['node']);
  });

  it('a fleet whose group is gone but whose template is left is still a fleet to --terminate', async () => {
    const w = memoryWorld();
    w.templates.add('node');
    const r = await list(w, ['--terminate', 'node', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, ['DeleteLaunchTemplate ec2term-node']);
  });

  it('fleets and instances are not terminated in one command', async () => {
    const w = memoryWorld();
    addFleet(w, 'node', 1);
    addInstance(w, 'lab');
    const r = await list(w, ['--terminate', 'node', 'lab', '--yes']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /lab is not a fleet/);
    assert.deepEqual(w.calls, []);
  });

  it('--scale NAME=N shrinking needs --yes without a terminal; growing does not; an unknown fleet is exit 3', async () => {
    const w = memoryWorld();
    addFleet(w, 'node', 5);
    const refused = await list(w, ['--scale', 'node=3']);
    assert.equal(refused.code, 2);
    assert.deepEqual(w.calls, []);
    assert.equal((await list(w, ['--scale', 'node=3', '--yes'])).code, 0);
    assert.equal((await list(w, ['--scale', 'node=8'])).code, 0);
    assert.deepEqual(w.calls, ['UpdateAutoScalingGroup ec2term-node 3', 'UpdateAutoScalingGroup ec2term-node 8']);
    assert.equal((await list(w, ['--scale', 'nosuch=1'])).code, 3);
  });

  it('--snapshot NAME --yes --wait snapshots each attached volume, tagged as ec2term\'s, and waits for them', async () => {
    const w = memoryWorld();
    const lab = addInstance(w, 'lab');
    w.volumes.push({ VolumeId: 'vol-0a', Size: 8, Attachments: [{ InstanceId: lab.id, Device: '/dev/sda1' }] });
    const r = await list(w, ['--snapshot', 'lab', '--yes', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, ['CreateSnapshot vol-0a']);
    const [snap] = [...w.snapshots.values()];
    assert.equal(snap!.Tags!.find((t) => t.Key === TAGS.managed)?.Value, 'true');
  });

  it('--delete-snapshot ID --yes deletes a snapshot ec2term made; one it did not make needs --include-unmanaged', async () => {
    const w = memoryWorld();
    w.snapshots.set('snap-0123456789abcdef0', { SnapshotId: 'snap-0123456789abcdef0', State: 'completed', Tags: [{ Key: TAGS.managed, Value: 'true' }] });
    w.snapshots.set('snap-0123456789abcdef1', { SnapshotId: 'snap-0123456789abcdef1', State: 'completed', Tags: [] });
    assert.equal((await list(w, ['--delete-snapshot', 'snap-0123456789abcdef0', '--yes'])).code, 0);
    assert.deepEqual(w.calls, ['DeleteSnapshot snap-0123456789abcdef0']);
    const foreign = await list(w, ['--delete-snapshot', 'snap-0123456789abcdef1', '--yes']);
    assert.match(foreign.stderr + foreign.stdout, /not made by ec2term \(add --include-unmanaged/);
    assert.deepEqual(w.calls, ['DeleteSnapshot snap-0123456789abcdef0'], 'skipped, not deleted');
    assert.equal((await list(w, ['--delete-snapshot', 'snap-0123456789abcdef1', '--include-unmanaged', '--yes'])).code, 0);
    assert.deepEqual(w.calls.at(-1), 'DeleteSnapshot snap-0123456789abcdef1');
  });
});
