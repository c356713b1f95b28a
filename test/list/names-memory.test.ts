// ec2list's name semantics as specifications, in-process against EC2 held in memory: a PATTERN that
// matches nothing is exit 3 in every mode and action; a plain name before an action flag names the
// instance (no one-row picker); action results in --json carry every key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeClock } from '../../src/lib/clock.js';
import { scriptedPrompt } from '../../src/lib/prompt.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addFleet, addInstance, memoryDeps, memoryWorld, type MemoryWorld } from '../helpers/memory-aws.js';

const list = (w: MemoryWorld, args: string[]) => runInProcess('ec2list', args, { deps: { ...memoryDeps(w), clock: fakeClock() } });

/** On a terminal: the prompt answers as scripted and records what it was asked. */
function onTerminal(w: MemoryWorld, args: string[], answers: unknown[]) {
  const prompt = scriptedPrompt(answers);
  const run = runInProcess('ec2list', args, { deps: { ...memoryDeps(w), clock: fakeClock(), prompt: () => prompt } });
  return run.then((r) => ({ ...r, asked: prompt.asked }));
}

describe('ec2list: a pattern that matches nothing is exit 3, in every mode', () => {
  for (const mode of [[], ['--output', 'tsv'], ['--json'], ['--health'], ['--wide']]) {
    it(`ec2list nosuch ${mode.join(' ')}`.trim(), async () => {
      const w = memoryWorld();
      addInstance(w, 'lab');
      const r = await list(w, ['nosuch', ...mode]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /no instance matches "nosuch" in this region/);
      if (mode[0] === '--json') assert.deepEqual(JSON.parse(r.stdout), []);
    });
  }
  it('what matches is shown; the pattern that matched nothing is named (like ls a nosuch)', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    const r = await list(w, ['lab', 'nosuch', '--output', 'tsv', '--no-headers']);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^us-east-1\tlab\t/);
    assert.match(r.stderr, /"nosuch"/);
    assert.doesNotMatch(r.stderr, /"lab"/);
  });
  it('a pattern that matches is exit 0', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    assert.equal((await list(w, ['la*'])).code, 0);
  });
  for (const action of ['--terminate', '--stop', '--start', '--snapshot']) {
    it(`on a terminal: ec2list nosuch ${action} is exit 3, nothing asked, nothing changed`, async () => {
      const w = memoryWorld();
      addInstance(w, 'lab');
      const r = await onTerminal(w, ['nosuch', action], []);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.asked, []);
      assert.deepEqual(w.calls, []);
    });
    it(`on a terminal: a wildcard that matches nothing (ec2list 'nos*' ${action}) is exit 3, no picker`, async () => {
      const w = memoryWorld();
      addInstance(w, 'lab');
      const r = await onTerminal(w, ['nos*', action], []);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /no instance matches "nos\*"/);
      assert.deepEqual(r.asked, []);
    });
  }
  it('--terminate-all and --expired with a pattern that matches nothing: exit 3', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    for (const action of ['--terminate-all', '--expired']) {
      const r = await list(w, ['nosuch', action, '--yes']);
      assert.equal(r.code, 3, `${action}: ${r.stderr}`);
    }
    assert.deepEqual(w.calls, []);
  });
});

describe('ec2list NAME --ACTION acts on NAME (as ec2list --ACTION NAME does)', () => {
  it('ec2list lab --terminate on a terminal asks to confirm lab, with no one-row picker', async () => {
    const w = memoryWorld();
    const lab = addInstance(w, 'lab');
    addInstance(w, 'other');
    const r = await onTerminal(w, ['lab', '--terminate'], [true]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.asked.length, 1, r.asked.join('; '));
    assert.match(r.asked[0]!, /^Terminate lab\b/);
    assert.deepEqual(w.calls, [`TerminateInstances ${lab.id}`]);
  });
  it('ec2list lab --stop --yes without a terminal stops lab (it needed a NAME after --stop before)', async () => {
    const w = memoryWorld();
    const lab = addInstance(w, 'lab');
    const r = await list(w, ['lab', '--stop', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, [`StopInstances ${lab.id}`]);
  });
  it("a wildcard still picks among its matches: ec2list 'lab*' --terminate shows them in aligned rows", async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    const long = addInstance(w, 'lab-with-a-longer-name');
    addInstance(w, 'web');
    let offered: string[] = [];
    const prompt = {
      ...scriptedPrompt([true]),
      checkbox: async (_m: string, choices: { name: string; value: unknown }[]) => {
        offered = choices.map((c) => c.name);
        return [choices[1]!.value];
      },
    };
    const r = await runInProcess('ec2list', ['lab*', '--terminate'], { deps: { ...memoryDeps(w), clock: fakeClock(), prompt: () => prompt as never } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(offered.length, 2);
    assert.equal(offered[0]!.indexOf('i-'), offered[1]!.indexOf('i-'), `ids line up:\n${offered.join('\n')}`);
    assert.deepEqual(w.calls, [`TerminateInstances ${long.id}`]);
  });
});

describe('ec2list --json action results: every key, null when absent', () => {
  it('a stop and a failed start have the same keys', async () => {
    const w = memoryWorld();
    addInstance(w, 'lab');
    const r = await list(w, ['--stop', 'lab', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { results: Record<string, unknown>[] };
    const keys = ['subject', 'region', 'id', 'ok', 'done', 'state', 'snapshots', 'error', 'exitCode', 'warnings'];
    assert.deepEqual(Object.keys(out.results[0]!).sort(), [...keys].sort());
    assert.equal(out.results[0]!.error, null);
    assert.equal(out.results[0]!.exitCode, null);
    assert.equal(out.results[0]!.snapshots, null);
  });
  it('fleet actions: --scale and --terminate FLEET have the same keys with and without --dry-run', async () => {
    const w = memoryWorld();
    addFleet(w, 'node', 3);
    const keysOf = async (args: string[]) => {
      const r = await list(w, [...args, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return Object.keys(JSON.parse(r.stdout)).sort();
    };
    assert.deepEqual(await keysOf(['--scale', 'node=2', '--yes', '--dry-run']), await keysOf(['--scale', 'node=2', '--yes']));
    assert.deepEqual(await keysOf(['--terminate', 'node', '--yes', '--dry-run']), await keysOf(['--terminate', 'node', '--yes']));
  });
});
