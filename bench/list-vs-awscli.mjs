#!/usr/bin/env node
// ec2list vs the AWS CLI's `aws ec2 describe-instances` on the same sandbox:
//   5 instances (aim <= 0.4x), 10,000 instances with --json (aim <= 0.5x), and linearity 1k -> 10k
//   (the 10k time against a straight line through the 5- and 1k-instance times; aim <= 1.2x).
import { alternate, awsCli, bin, compareCase, emit, NODE, quick, rounds, skip, timeRun, whyNotRunnable } from './lib/bench.mjs';
import { startBenchSandbox } from './lib/sandbox.mjs';

const sbx = await startBenchSandbox({ delays: 'zero' });
try {
  const aws = awsCli();
  const awsSide = aws && { cmd: aws.path, args: [...sbx.awsArgs, 'ec2', 'describe-instances', '--output', 'json'], env: sbx.awsEnv };
  const peerName = aws ? 'aws ec2 describe-instances' : undefined;
  const noAws = 'no AWS CLI (install Debian awscli: apt-get install -y awscli)';
  const ours = (args) => ({ cmd: NODE, args: [bin('ec2list'), ...args], env: sbx.env });

  await sbx.bulk(5);
  const why = await whyNotRunnable('ec2list', [], sbx.env);
  if (why) {
    for (const c of ['ec2list, 5 instances', 'ec2list --json, 10,000 instances', 'ec2list --json linearity 1k -> 10k']) skip(c, '-', `ec2list does not run: ${why}`);
    process.exit(0);
  }
  if (aws) {
    const check = await timeRun(aws.path, awsSide.args, { env: awsSide.env, capture: true });
    const n = JSON.parse(check.stdout).Reservations.flatMap((r) => r.Instances).length;
    if (n !== 5) throw new Error(`awscli sees ${n} instances in the sandbox, not 5`);
    await compareCase({ caseName: 'ec2list, 5 instances', ours: ours([]), peer: awsSide, peerName, maxRatio: 0.4, rounds: rounds(10), warmup: 1 });
  } else skip('ec2list, 5 instances', '<= 0.4x', noAws);

  const t5 = (await alternate({ ours: ours(['--json']), rounds: rounds(quick() ? 3 : 7), warmup: 1 })).ours_ms;
  await sbx.bulk(995);
  const t1k = (await alternate({ ours: ours(['--json']), rounds: rounds(quick() ? 3 : 5), warmup: 1 })).ours_ms;
  await sbx.bulk(9000);
  const check = await timeRun(NODE, ours(['--json']).args, { env: sbx.env, capture: true });
  const listed = JSON.parse(check.stdout);
  const count = Array.isArray(listed) ? listed.length : (listed.instances ?? []).length;
  const n10 = rounds(quick() ? 1 : 3);
  let t10k;
  if (aws) {
    const r = await compareCase({
      caseName: 'ec2list --json, 10,000 instances', ours: ours(['--json']), peer: awsSide, peerName, maxRatio: 0.5, rounds: n10, warmup: 0,
      extra: { instances: count },
    });
    t10k = r.ours_ms;
  } else {
    t10k = (await alternate({ ours: ours(['--json']), rounds: n10, warmup: 0 })).ours_ms;
    skip('ec2list --json, 10,000 instances', '<= 0.5x', `${noAws}; ec2list alone: ${Math.round(t10k)} ms`);
  }
  const linear = t5 + ((t1k - t5) * (10_000 - 5)) / (1000 - 5);
  emit({
    case: 'ec2list --json linearity 1k -> 10k', ours_ms: t10k, peer_ms: linear, ratio: t10k / linear, aim: '<= 1.2x', ok: t10k / linear <= 1.2,
    peer: `straight line through 5 (${Math.round(t5)} ms) and 1k (${Math.round(t1k)} ms)`,
  });
} finally {
  await sbx.stop();
}
