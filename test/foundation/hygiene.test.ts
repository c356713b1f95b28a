// What a test run leaves behind never becomes part of the project: no known_hosts, key, socket, log or
// screenshot is committed (tests write them in temporary folders or test-artifacts/, which git ignores).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/run.js';

const ARTIFACT = /(^|\/)(known_hosts(\.old)?|id_(rsa|ecdsa|ed25519)(\.pub)?|[^/]+\.(pem|sock|log|part|tmp|png))$|(^|\/)(test-artifacts|\.sandbox|\.config|\.ssh)\//;

test('the table of artifacts matches what tests leave, and not the sources', () => {
  for (const p of ['.config/ec2term/known_hosts', 'home/.ssh/id_ed25519', 'keys/lab.pem', 'sandbox.log', 'test-artifacts/graphterm-sandbox.png', 'x/big.bin.ec2scp-1a2b.part']) {
    assert.match(p, ARTIFACT, p);
  }
  for (const p of ['src/lib/ssh/knownhosts.ts', 'test/ssh/knownhosts.test.ts', 'scripts/build.mjs', '.ci/run', '.gitignore', 'docs/ssh.md']) {
    assert.doesNotMatch(p, ARTIFACT, p);
  }
});

test('no test artifact is committed', (t) => {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status !== 0) return t.skip('not a git checkout');
  const files = git.stdout.split('\0').filter(Boolean);
  assert.ok(files.length > 100, 'git lists the project');
  assert.deepEqual(files.filter((f) => ARTIFACT.test(f)), []);
});
