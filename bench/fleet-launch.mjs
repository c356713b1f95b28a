#!/usr/bin/env node
// A fleet against one host: `ec2launch --hosts 10 --connect-to lab fleet` (a launch template, an Auto Scaling
// group, ten hosts named, keyed and joined in parallel) against `ec2launch --connect-to lab node` (one
// host), both to --wait ready on the sandbox with its realistic delays and the real GraphTerm joining each
// host to the server (the runtime is installed first when missing; skipped, saying why, only when this
// machine cannot install it). Aim: the fleet in at most 1.5x one host.
import { bin, emit, NODE, skip, timeRun } from './lib/bench.mjs';
import { graphtermRuntime, startBenchSandbox } from './lib/sandbox.mjs';

const CASE = 'ec2launch --hosts 10 vs one host (--wait ready)';
const AIM = '<= 1.5x one host';
const HOSTS = Number(process.env.BENCH_FLEET_HOSTS ?? 10);
const { runtime, reason } = await graphtermRuntime();
if (!runtime) {
  skip(CASE, AIM, reason);
  process.exit(0);
}
const sbx = await startBenchSandbox({ delays: 'realistic', graphterm: runtime });
try {
  const launch = (args) => timeRun(NODE, [bin('ec2launch'), '--yes', '--type', 't3.micro', ...args], { env: sbx.env, allowFail: true, capture: true });
  const server = await launch(['--accept-hosts', 'lab']);
  if (server.code !== 0) skip(CASE, AIM, `the server did not launch: ${server.stderr.trim().split('\n').slice(-1)[0]}`);
  else {
    const one = await launch(['--connect-to', 'lab', 'node']);
    const fleet = await launch(['--hosts', String(HOSTS), '--connect-to', 'lab', 'fleet']);
    if (one.code !== 0 || fleet.code !== 0) skip(CASE, AIM, `exit ${one.code}/${fleet.code}: ${(one.code ? one : fleet).stderr.trim().split('\n').slice(-1)[0]}`);
    else emit({ case: CASE.replace('10', String(HOSTS)), ours_ms: fleet.ms, peer_ms: one.ms, ratio: fleet.ms / one.ms, aim: AIM, ok: fleet.ms <= 1.5 * one.ms, peer: 'one host, same flags', note: `${HOSTS} hosts` });
  }
} finally {
  await sbx.stop();
}
