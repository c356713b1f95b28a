// ec2launch --tag KEY=VALUE: the user's own tags, checked as AWS checks them before any request, on the
// instance and its volumes, in the printed command line and the dry run.
import assert from 'node:assert/strict';
import { parseLaunchArgv } from '../helpers/launch-argv.js';
import { describe, it } from 'node:test';
import { runRequest, type Preflight } from '../../src/commands/launch/launcher.js';
import { commandLine, instanceTags, MAX_USER_TAGS, parseTags, planLaunch, type LaunchOptions } from '../../src/commands/launch/plan.js';
import { UsageError } from '../../src/lib/errors.js';
import { runInProcess } from '../helpers/inprocess.js';
import { memoryDeps, memoryWorld } from '../helpers/memory-aws.js';

const parse = parseLaunchArgv;

describe('--tag KEY=VALUE', () => {
  it('accepts what AWS accepts', () => {
    const cases: [string[], Record<string, string>][] = [
      [[], {}],
      [['project=atlas'], { project: 'atlas' }],
      [['project=atlas', 'owner=me@example.com'], { project: 'atlas', owner: 'me@example.com' }],
      [['empty='], { empty: '' }],
      [['k=a=b'], { k: 'a=b' }],
      [['cost center=R&D 7'.replace('&', '+')], { 'cost center': 'R+D 7' }],
      [['team:unit/sub=x.y_z-1'], { 'team:unit/sub': 'x.y_z-1' }],
      [['équipe=données'], { équipe: 'données' }],
      [['Project=1', 'project=2'], { Project: '1', project: '2' }],
      [[`${'k'.repeat(128)}=${'v'.repeat(256)}`], { ['k'.repeat(128)]: 'v'.repeat(256) }],
    ];
    for (const [values, want] of cases) assert.deepEqual(parseTags(values), want, values.join(' '));
  });

  it('refuses what AWS refuses, and what is not the user\'s to set', () => {
    const bad: [string[], RegExp][] = [
      [['project'], /expected KEY=VALUE/],
      [['=x'], /expected KEY=VALUE/],
      [[`${'k'.repeat(129)}=v`], /at most 128/],
      [[`k=${'v'.repeat(257)}`], /at most 256/],
      [['k=a;b'], /letters, digits, spaces/],
      [['k=$(id)'], /letters, digits, spaces/],
      [['k=line\nbreak'], /letters, digits, spaces/],
      [['aws:cloudformation:stack=x'], /aws: are reserved/],
      [['AWS:x=1'], /aws: are reserved/],
      [['ec2term:managed=false'], /ec2term: tags are ec2term's own/],
      [['Name=other'], /Name tag is NAME/],
      [['a=1', 'a=2'], /given twice/],
      [['  =1'], /blank/],
      [[...Array.from({ length: MAX_USER_TAGS + 1 }, (_, i) => `k${i}=v`)], /at most 38/],
    ];
    for (const [values, want] of bad) {
      assert.throws(() => parseTags(values), (err: Error) => err instanceof UsageError && want.test(err.message) && !err.message.includes('\n'), values.join(' '));
    }
  });

  it('is repeatable on the command line, goes on the instance under ec2term\'s own tags, and is printed back', () => {
    const o = parse(['--tag', 'project=atlas', '--tag=owner=me', 'lab']);
    assert.deepEqual(o.tag, ['project=atlas', 'owner=me']);
    const plan = planLaunch(o);
    const tags = instanceTags(plan, plan.hosts[0]!);
    assert.equal(tags.project, 'atlas');
    assert.equal(tags['ec2term:managed'], 'true');
    assert.equal(commandLine(o), 'ec2launch --tag=project=atlas --tag=owner=me lab');
    assert.equal(commandLine(parse(['--tag', 'cost center=a b', 'lab'])), "ec2launch '--tag=cost center=a b' lab");
  });

  it('tags the volumes too', () => {
    const plan = planLaunch(parse(['--tag', 'project=atlas', '--volume-size', '20', 'lab']));
    const pre = { image: { id: 'ami-0123456789abcdef0', rootDevice: '/dev/sda1' } } as unknown as Preflight;
    const req = runRequest(plan, pre, { host: plan.hosts[0]!, userData: '#!/bin/sh\n', tags: instanceTags(plan, plan.hosts[0]!) } as never, {});
    const volume = req.TagSpecifications!.find((t) => t.ResourceType === 'volume')!.Tags!;
    assert.deepEqual(volume.find((t) => t.Key === 'project'), { Key: 'project', Value: 'atlas' });
    assert.ok(volume.some((t) => t.Key === 'ec2term:managed'));
  });

  it('a bad tag stops ec2launch with exit 2 before any AWS request', async () => {
    const world = memoryWorld();
    const r = await runInProcess('ec2launch', ['--tag', 'aws:x=1', '--dry-run', 'lab'], { deps: memoryDeps(world) });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'ec2launch: bad --tag "aws:x=1": keys starting with aws: are reserved for AWS\n');
    assert.deepEqual(world.calls, []);
  });
});
