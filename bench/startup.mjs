#!/usr/bin/env node
// Start-up: `--help` of the bins vs a bare `node -e 0` (aim: at most 1.3x). Plus, for information, the
// same help through commander (the path every real command takes before its own work).
import { bin, cleanEnv, compareCase, emit, NODE, rounds, skip, whyNotRunnable, alternate } from './lib/bench.mjs';

const env = cleanEnv();
const peer = { cmd: NODE, args: ['-e', '0'], env };
const n = rounds(20);
for (const program of ['ec2launch', 'ec2list', 'ec2ssh']) {
  const caseName = `${program} --help`;
  const why = await whyNotRunnable(program, ['--help'], env);
  if (why) { skip(caseName, '<= 1.3x', why); continue; }
  await compareCase({ caseName, ours: { cmd: NODE, args: [bin(program), '--help'], env }, peer, peerName: 'node -e 0', maxRatio: 1.3, rounds: n, warmup: 3 });
}
// Informational: `--help -q` is not answered by the fast path, so it loads commander and the spec.
if (!(await whyNotRunnable('ec2list', ['--help', '-q'], env))) {
  const r = await alternate({ ours: { cmd: NODE, args: [bin('ec2list'), '--help', '-q'], env }, peer, rounds: n, warmup: 3 });
  emit({ case: 'ec2list --help -q (through commander)', ours_ms: r.ours_ms, peer_ms: r.peer_ms, ratio: r.ratio, aim: 'info', ok: null, peer: 'node -e 0', rounds: n });
}
