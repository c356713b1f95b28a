#!/usr/bin/env node
// `ec2list --region all` vs `ec2list` on one region, both with 100 ms added to every sandbox request
// (fault {kind:'slow', delayMs:100}). Regions are listed concurrently, so all of them should cost about
// one more round trip (DescribeRegions) than one: aim at most 2x.
import { bin, compareCase, NODE, rounds, skip, whyNotRunnable } from './lib/bench.mjs';
import { startBenchSandbox } from './lib/sandbox.mjs';

const caseName = 'ec2list --region all, 100 ms latency';
const sbx = await startBenchSandbox({ delays: 'zero' });
try {
  for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) await sbx.bulk(3, region);
  const why = await whyNotRunnable('ec2list', ['--region', 'all'], sbx.env);
  if (why) skip(caseName, '<= 2x', `ec2list --region all does not run: ${why}`);
  else {
    await sbx.setFaults([{ kind: 'slow', delayMs: 100 }]);
    await compareCase({
      caseName,
      ours: { cmd: NODE, args: [bin('ec2list'), '--region', 'all'], env: sbx.env },
      peer: { cmd: NODE, args: [bin('ec2list'), '--region', 'us-east-1'], env: sbx.env },
      peerName: 'ec2list --region us-east-1, same latency',
      maxRatio: 2,
      rounds: rounds(8),
      warmup: 1,
    });
  }
} finally {
  await sbx.stop();
}
