#!/usr/bin/env node
// Builds (tsc + bundle), then runs every compiled test file with node:test.
// `npm test` runs all; `npm test -- sandbox launch` runs the files whose path contains a word.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// scripts/build.mjs: tsc (dist/src, dist/test) and the esbuild bundle the bins run (dist/bundle).
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit' });
// Type errors or a refused bundle fail the run, here as in CI: tests of half-built code prove nothing.
if (build.status !== 0) {
  console.error('test: the build reported errors (see above); no tests run.');
  process.exit(build.status ?? 1);
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
// The slowest files (TEST_TIMES shows them) start first, so none of them ends the run alone.
const SLOW_FIRST = [
  'reliability/faults', 'launch/graphterm-real', 'reliability/recipes', 'ssh/parity-sandbox', 'list/list-sandbox',
  'launch/fleet-sandbox', 'ssh/ec2ssh-sshd', 'reliability/cleanup', 'scp/ec2scp-sandbox', 'conveniences/completion',
  'ssh/shared-connection', 'security/hostile-sandbox', 'graphterm/sandbox-boot', 'access/ec2ssh-access',
];
const rank = (f) => {
  const i = SLOW_FIRST.findIndex((s) => f.endsWith(`/${s}.test.js`));
  return i < 0 ? SLOW_FIRST.length : i;
};
const words = process.argv.slice(2);
const files = walk(join(root, 'dist/test'))
  .filter((f) => words.length === 0 || words.some((w) => relative(root, f).includes(w)))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error(`test: no test files match ${words.join(' ') || '(all)'}`);
  process.exit(1);
}
const env = {
  ...process.env,
  AWS_EC2_METADATA_DISABLED: 'true',
  NO_UPDATE_NOTIFIER: '1',
};
// TEST_TIMES=FILE also writes each file's time there (scripts/test-times.mjs), slowest first.
const times = process.env.TEST_TIMES
  ? ['--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts/test-times.mjs')}`, `--test-reporter-destination=${process.env.TEST_TIMES}`]
  : [];
const run = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', ...times, `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: 'inherit', env, cwd: root },
);
process.exit(run.status ?? 1);
