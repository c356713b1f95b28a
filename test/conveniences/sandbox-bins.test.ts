// The conveniences through the real bins against a private sandbox: a config file, an environment
// variable and a flag each set one launch value (the dry run shows the precedence), --tag reaches the
// instance and its volumes, and ec2list --query/--output text read what was made.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { runBin, tempHome } from '../helpers/run.js';
import { sandboxEc2 } from '../helpers/fixture.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

describe('conveniences against the sandbox (spawned bins)', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  let env: Record<string, string>;
  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    const home = tempHome();
    mkdirSync(join(home, '.config', 'ec2term'), { recursive: true });
    writeFileSync(join(home, '.config', 'ec2term', 'config'), '[launch]\ntype = t3.medium\nkey = from-config\nallow-from = 10.0.0.0/8\n');
    env = { ...sb.env, HOME: home };
  });
  after(async () => {
    await sb?.stop();
  });

  it('a dry run shows flag > environment > config file, and the --tag tags', async () => {
    const r = await runBin('ec2launch', ['--dry-run', '--json', '--allow-from', '203.0.113.7/32', '--tag', 'project=atlas', 'lab'], { env: { ...env, EC2TERM_KEY: 'from-env' } });
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { type: string; keyPair: { name: string }; securityGroup: { rules: { from: string[] }[] }; hosts: { tags: Record<string, string> }[] };
    assert.equal(plan.type, 't3.medium', 'config file');
    assert.equal(plan.keyPair.name, 'from-env', 'environment over config file');
    assert.deepEqual(plan.securityGroup.rules[0]!.from, ['203.0.113.7/32'], 'flag over config file');
    assert.equal(plan.hosts[0]!.tags.project, 'atlas');
  });

  it('--tag is on the launched instance and its root volume; ec2list --query and --output text read it', async () => {
    const launched = await runBin('ec2launch', ['--yes', '--wait', 'running', '--tag', 'project=atlas', '--tag', 'cost center=R+D', '--query', 'instanceId', '--output', 'text', 'web'], { env, timeoutMs: 120_000 });
    assert.equal(launched.code, 0, launched.stderr);
    const id = launched.stdout.trim();
    assert.match(id, /^i-[0-9a-f]{17}$/);

    const volumes = await sandboxEc2(sb).send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }));
    assert.ok((volumes.Volumes ?? []).length > 0);
    for (const v of volumes.Volumes ?? []) assert.equal(v.Tags?.find((t) => t.Key === 'project')?.Value, 'atlas', v.VolumeId);

    const listed = await runBin('ec2list', ['--query', "[?name=='web'].[id, tags.project, tags.\"cost center\"]", '--output', 'text'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, `${id}\tatlas\tR+D\n`);

    // The listing fed shell completion.
    const names = await runBin('ec2term', ['__complete-names'], { env });
    assert.match(names.stdout, /^web$/m);
  });
});
