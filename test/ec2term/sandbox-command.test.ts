// `ec2term sandbox ...` through the real bin, on a private sandbox folder.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runBin } from '../helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'ec2term-sbx-cmd-'));
const env = { EC2TERM_SANDBOX_DIR: dir, EC2TERM_SANDBOX_DELAYS: 'fast' };
after(() => runBin('ec2term', ['sandbox', 'stop'], { env }));

test('ec2term sandbox: start, status, env, reset needs --yes, stop', async () => {
  const start = await runBin('ec2term', ['sandbox', 'start', '--json'], { env });
  assert.equal(start.code, 0, start.stderr);
  const started = JSON.parse(start.stdout) as { url: string; pid: number };
  assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const status = await runBin('ec2term', ['sandbox', 'status', '--json'], { env });
  assert.equal(status.code, 0);
  assert.equal((JSON.parse(status.stdout) as { pid: number }).pid, started.pid, 'reused, not restarted');

  const envOut = await runBin('ec2term', ['sandbox', 'env'], { env });
  assert.match(envOut.stdout, new RegExp(`export AWS_ENDPOINT_URL=${started.url}`));

  const reset = await runBin('ec2term', ['sandbox', 'reset'], { env });
  assert.equal(reset.code, 2, 'no terminal, no --yes: refused');
  assert.match(reset.stderr, /pass --yes/);
  assert.equal((await runBin('ec2term', ['sandbox', 'reset', '--yes'], { env })).code, 0);

  const stop = await runBin('ec2term', ['sandbox', 'stop'], { env });
  assert.equal(stop.code, 0);
  assert.match(stop.stdout, /sandbox stopped/);
  const after = await runBin('ec2term', ['sandbox', 'status'], { env });
  assert.equal(after.code, 1);
  assert.match(after.stdout, /not running/);
});

test('ec2term: unknown topic or action is a usage error', async () => {
  for (const args of [['bogus', 'start'], ['sandbox', 'explode']]) {
    const r = await runBin('ec2term', args, { env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
