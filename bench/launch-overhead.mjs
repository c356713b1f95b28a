#!/usr/bin/env node
// What ec2launch adds on top of the cloud's own waiting: `ec2launch NAME --wait ready --yes` on the sandbox
// with zero state delays (everything measured is overhead: start-up, requests, key and group setup, polls,
// SSH checks) - aim at most 1.5 s - and with the sandbox's own (realistic) delays against the sum of those
// delays on the launch's critical path (pending->running + setup): overhead = difference, aim <= 1.5 s.
import { bin, emit, median, NODE, quick, rounds, skip, timeRun } from './lib/bench.mjs';
import { startBenchSandbox } from './lib/sandbox.mjs';

const AIM = '<= 1.5 s overhead';
async function launches(delays, n, label) {
  const sbx = await startBenchSandbox({ delays });
  const times = [];
  try {
    for (let i = 0; i <= n; i++) {
      const name = `bench${i}`;
      const args = [bin('ec2launch'), name, '--wait', 'ready', '--yes', '--type', 't3.micro'];
      const r = await timeRun(NODE, args, { env: sbx.env, allowFail: true });
      if (r.code !== 0) return { error: `ec2launch (${label}) exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}` };
      if (i > 0) times.push(r.ms); // the first launch also creates the key pair and security group
    }
    return { ms: median(times), config: (await sbx.admin('GET', '/_sandbox/config')).delays };
  } finally {
    await sbx.stop();
  }
}

const zero = await launches('zero', rounds(quick() ? 2 : 4), 'zero delays');
if (zero.error) skip('ec2launch --wait ready, zero delays', AIM, zero.error);
else emit({ case: 'ec2launch --wait ready, zero delays', ours_ms: zero.ms, peer_ms: null, ratio: null, aim: AIM, ok: zero.ms <= 1500, note: 'all of it is overhead' });

const real = await launches('realistic', rounds(quick() ? 1 : 2), 'realistic delays');
if (real.error) skip('ec2launch --wait ready, realistic delays', AIM, real.error);
else {
  const floor = real.config.pendingToRunning + real.config.setup;
  emit({
    case: 'ec2launch --wait ready, realistic delays', ours_ms: real.ms, peer_ms: floor, ratio: real.ms / floor, aim: AIM, ok: real.ms - floor <= 1500,
    peer: `sandbox delays pending->running ${real.config.pendingToRunning} + setup ${real.config.setup} ms`, overhead_ms: Math.round(real.ms - floor),
    note: `overhead ${Math.round(real.ms - floor)} ms`,
  });
}
