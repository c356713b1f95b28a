#!/usr/bin/env node
// The whole build: `tsc` (type check + dist/src, dist/test for the tests and the sandbox server), then the
// esbuild bundle the bins run (dist/bundle/), then the --help/--version texts for the bins' fast path.
//   node scripts/build.mjs            all three; exits non-zero if tsc reported type errors
//   node scripts/build.mjs --no-tsc   bundle + help texts only
//   node scripts/build.mjs --clean    first remove dist/bundle (old chunks are otherwise kept for an hour,
//                                     for bins still running from the previous build); prepare uses it
// A failed or refused bundle (an override that matched nothing, over its size budget) removes dist/bundle/ and
// exits non-zero; the bins then run dist/src/cli.js rather than stale code (bin/lib/fallback.mjs).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let status = 0;

if (!args.includes('--no-tsc')) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('build: tsc reported type errors (see above); the bundle is still built from the sources.');
    status = tsc.status ?? 1;
  }
}

if (args.includes('--clean')) {
  const { rmSync } = await import('node:fs');
  rmSync(join(root, 'dist/bundle'), { recursive: true, force: true });
}

const { bundle } = await import('./build-bundle.mjs');
try {
  await bundle({ root, quiet: args.includes('--quiet') });
} catch (err) {
  console.error(`build: ${err.message}`);
  status ||= 1;
}
process.exit(status);
