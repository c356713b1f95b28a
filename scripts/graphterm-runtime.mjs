#!/usr/bin/env node
// npm run graphterm:runtime: installs the real GraphTerm 0.57 (Python 2.7.18, tornado 4.5.3) into the
// user's cache, without root. Prints the folder of its commands on stdout. See src/sandbox/graphterm/runtime.ts.
const { ensureRuntime, RuntimeError } = await import('../dist/src/sandbox/graphterm/runtime.js');
const quiet = process.argv.includes('--quiet');
try {
  const rt = await ensureRuntime({ log: (l) => { if (!quiet) process.stderr.write(`${l}\n`); } });
  process.stdout.write(`${rt.bin}\n`);
} catch (e) {
  if (!(e instanceof RuntimeError)) throw e;
  process.stderr.write(`graphterm runtime: ${e.message}\n`);
  process.exit(1);
}
