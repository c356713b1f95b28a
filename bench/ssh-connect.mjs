#!/usr/bin/env node
// `ec2ssh TARGET true` vs `ssh -i key ... true` on the same loopback OpenSSH sshd, alternating rounds.
//   node bench/ssh-connect.mjs        (BENCH_ROUNDS to change the rounds; needs npm run build)
// ec2ssh does everything a user's run does: start Node, resolve the name through the (sandbox) EC2 API,
// read the pinned host key, connect with ssh2, authenticate, run `true`, pass the exit status back.
// The instance comes from a sandbox; its ec2term:ssh-port tag points at the sshd, whose host key is
// pinned in ec2term's known_hosts as a first ec2ssh contact would have done.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bin, compareCase, NODE, ROOT, rounds, skip, which } from './lib/bench.mjs';
import { instanceOnSshd, startBenchSandbox } from './lib/sandbox.mjs';

const CASE = 'ec2ssh TARGET true vs ssh true (loopback sshd)';
const AIM = '<= 1.5x';
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;

const ssh = which('/usr/bin/ssh') ?? which('ssh');
const sshdHelper = await import(dist('test/helpers/sshd.js')).catch(() => undefined);
if (!sshdHelper) {
  skip(CASE, AIM, 'dist/test/helpers/sshd.js missing: run npm run build');
  process.exit(0);
}
if (!sshdHelper.sshdAvailable() || !ssh) {
  skip(CASE, AIM, 'OpenSSH sshd or ssh not installed');
  process.exit(0);
}

const sb = await startBenchSandbox({ delays: 'zero' });
let sshd;
try {
  const made = await instanceOnSshd(sb, { prefix: 'ec2term-bench-ssh-' });
  ({ sshd } = made);
  const { lab, key, knownHosts } = made;
  // A cold connect each time: no shared connection (bench/ssh-reconnect.mjs measures that).
  const env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts, EC2TERM_SHARE: '0' };

  const check = spawnSync(NODE, [bin('ec2ssh'), 'lab', 'exit 7'], { env, encoding: 'utf8' });
  if (check.status !== 7) throw new Error(`ec2ssh lab 'exit 7' exited ${check.status}: ${check.stderr}`);

  const sshArgs = ['-i', key, '-o', 'IdentitiesOnly=yes', '-p', String(sshd.port), '-o', `HostKeyAlias=${lab.id}`, '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${sshd.user}@${lab.publicIp}`, 'true'];
  await compareCase({
    caseName: CASE,
    ours: { cmd: NODE, args: [bin('ec2ssh'), 'lab', 'true'], env },
    peer: { cmd: ssh, args: sshArgs, env: { ...process.env, HOME: sb.home } },
    peerName: 'OpenSSH ssh',
    maxRatio: 1.5,
    rounds: rounds(10),
    warmup: 1,
    note: 'ec2ssh includes Node start-up and the name lookup (DescribeInstances on the sandbox), and ssh2 does its key exchange in JavaScript; ssh gets the address and key handed to it. The remote shell skips the bench user\'s ~/.bashrc (bench/lib/sandbox.mjs), so this fixed cost no longer dilutes the ratio; a shared connection (the reconnect row) is the answer for repeated runs',
  });
} catch (err) {
  skip(CASE, AIM, `failed: ${err.message}`);
} finally {
  await sshd?.stop();
  await sb.stop();
}
