// ec2list --profile a,b: each profile listed with its own credentials and region, one PROFILE column; a
// profile that fails is one line on stderr and the others' rows are kept (exit 1, as for regions).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunnerDeps } from '../../src/cli.js';
import type { AwsContext } from '../../src/lib/aws.js';
import { AwsRefusedError } from '../../src/lib/errors.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addInstance, memoryDns, memoryEc2, memoryWorld, type MemoryWorld } from '../helpers/memory-aws.js';

/** One memory world per profile; the profile "expired" has credentials AWS refuses. */
function profileDeps(worlds: Record<string, MemoryWorld>): RunnerDeps & { opened: string[] } {
  const opened: string[] = [];
  const world = (profile = 'default') => worlds[profile] ?? memoryWorld();
  return {
    opened,
    aws: async (c) => {
      const profile = c.global.profile ?? 'default';
      opened.push(profile);
      if (profile === 'expired') throw new AwsRefusedError('the security token included in the request is expired (profile expired)');
      return { region: 'us-east-1', regionSource: 'test', credentialSource: `profile ${profile}`, endpoints: {} } as unknown as AwsContext;
    },
    ec2: async (region, _signal, ctx) => {
      await ctx.aws();
      return memoryEc2(world(ctx.global.profile), region ?? 'us-east-1');
    },
    dns: async (_signal, ctx) => memoryDns(world(ctx.global.profile)),
  };
}

describe('ec2list --profile a,b', () => {
  const work = memoryWorld();
  const home = memoryWorld();
  addInstance(work, 'build');
  addInstance(work, 'ci');
  addInstance(home, 'lab');

  it('lists every profile, with a PROFILE column in the table, the TSV and the JSON', async () => {
    const deps = profileDeps({ work, home });
    const table = await runInProcess('ec2list', ['--profile', 'work,home'], { deps });
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^PROFILE\s+NAME\s/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' ')), ['work build', 'work ci', 'home lab']);
    assert.deepEqual([...new Set(deps.opened)].sort(), ['home', 'work']);

    const tsv = await runInProcess('ec2list', ['--profile', 'work,home', '--output', 'text'], { deps: profileDeps({ work, home }) });
    assert.match(tsv.stdout.split('\n')[0]!, /^profile\tregion\tname\t/);
    const json = await runInProcess('ec2list', ['--profile', 'work,home', '--json'], { deps: profileDeps({ work, home }) });
    const rows = JSON.parse(json.stdout) as { profile: string; name: string }[];
    assert.deepEqual(rows.map((r) => `${r.profile}/${r.name}`), ['work/build', 'work/ci', 'home/lab']);
    assert.equal(Object.keys(rows[0]!)[0], 'profile');
  });

  it('a failing profile is one line on stderr; the other profiles\' rows stay; exit 1', async () => {
    const r = await runInProcess('ec2list', ['--profile', 'work,expired,home', '--json'], { deps: profileDeps({ work, home }) });
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name), ['build', 'ci', 'lab']);
    const errors = r.stderr.trim().split('\n');
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /^ec2list: warning: expired: .*expired.* \(listing the other profiles anyway\)$/);
  });

  it('--sort sorts across profiles; duplicates in the list count once', async () => {
    const r = await runInProcess('ec2list', ['--profile', 'work,home,work', '--sort', 'name', '--json'], { deps: profileDeps({ work, home }) });
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name), ['build', 'ci', 'lab']);
  });

  it('acts, watches and launches in one profile at a time (exit 2, nothing opened)', async () => {
    const cases: [string, string[]][] = [
      ['ec2list', ['--terminate', 'lab', '--yes']],
      ['ec2list', ['--watch']],
      ['ec2list', ['--fleets']],
      ['ec2list', ['--scale', 'node=2', '--yes']],
      ['ec2launch', ['--dry-run', 'lab']],
      ['ec2ssh', ['lab']],
    ];
    for (const [program, args] of cases) {
      const deps = profileDeps({ work, home });
      const r = await runInProcess(program, ['--profile', 'work,home', ...args], { deps });
      assert.equal(r.code, 2, `${program} ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /one profile at a time/);
      assert.deepEqual(deps.opened, []);
    }
  });
});
