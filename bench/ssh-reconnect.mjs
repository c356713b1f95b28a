#!/usr/bin/env node
// A reconnect: the second and later `ec2ssh TARGET true` within the persist time, through the shared
// connection the first run left (src/lib/share), vs `ssh -i KEY HOST true` (a full handshake each time)
// and vs ssh with ControlMaster/ControlPersist (OpenSSH's own shared connection), alternating rounds.
//   node bench/ssh-reconnect.mjs        (BENCH_ROUNDS to change the rounds; needs npm run build)
// Same set-up as ssh-connect.mjs: a sandbox instance whose ec2term:ssh-port tag points at a loopback sshd.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { alternate, bin, emit, NODE, ROOT, rounds, skip, which } from './lib/bench.mjs';
import { instanceOnSshd, startBenchSandbox } from './lib/sandbox.mjs';

const CASE = 'ec2ssh TARGET true, shared connection, vs ssh true (loopback sshd)';
const CASE_CM = 'ec2ssh TARGET true, shared connection, vs ssh ControlMaster true';
const AIM = '<= 0.5x';
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;
const skipBoth = (why) => {
  skip(CASE, AIM, why);
  skip(CASE_CM, '-', why);
};

const ssh = which('/usr/bin/ssh') ?? which('ssh');
const sshdHelper = await import(dist('test/helpers/sshd.js')).catch(() => undefined);
if (!sshdHelper) {
  skipBoth('dist/test/helpers/sshd.js missing: run npm run build');
  process.exit(0);
}
if (!sshdHelper.sshdAvailable() || !ssh) {
  skipBoth('OpenSSH sshd or ssh not installed');
  process.exit(0);
}

const sb = await startBenchSandbox({ delays: 'zero' });
let sshd;
const cmArgs = [];
try {
  const made = await instanceOnSshd(sb, { prefix: 'ec2term-bench-reconnect-' });
  ({ sshd } = made);
  const { lab, key, dir, knownHosts } = made;
  const env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts };

  // The first run connects directly and leaves a master; wait until a run goes through it.
  const first = spawnSync(NODE, [bin('ec2ssh'), 'lab', 'exit 7'], { env, encoding: 'utf8' });
  if (first.status !== 7) throw new Error(`ec2ssh lab 'exit 7' exited ${first.status}: ${first.stderr}`);
  let shared = false;
  for (let i = 0; i < 100 && !shared; i++) {
    const r = spawnSync(NODE, [bin('ec2ssh'), '--verbose', 'lab', 'exit 3'], { env, encoding: 'utf8' });
    if (r.status !== 3) throw new Error(`ec2ssh lab 'exit 3' exited ${r.status}: ${r.stderr}`);
    shared = /ran over the shared connection/.test(r.stderr);
    if (!shared) spawnSync('sleep', ['0.1']);
  }
  if (!shared) throw new Error('no run went through the shared connection');

  const base = ['-i', key, '-o', 'IdentitiesOnly=yes', '-p', String(sshd.port), '-o', `HostKeyAlias=${lab.id}`, '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-F', '/dev/null'];
  const target = `${sshd.user}@${lab.publicIp}`;
  cmArgs.push(...base, '-o', 'ControlMaster=auto', '-o', `ControlPath=${join(dir, 'cm-%C')}`, '-o', 'ControlPersist=600');
  const warm = spawnSync(ssh, [...cmArgs, target, 'true'], { encoding: 'utf8', env: { ...process.env, HOME: sb.home } });
  if (warm.status !== 0) throw new Error(`ssh ControlMaster warm-up failed: ${warm.stderr}`);
  cmArgs.push(target);
  const ours = { cmd: NODE, args: [bin('ec2ssh'), 'lab', 'true'], env };
  const n = rounds(10);
  const peerEnv = { ...process.env, HOME: sb.home };
  const plain = await alternate({ ours, peer: { cmd: ssh, args: [...base, target, 'true'], env: peerEnv }, rounds: n, warmup: 1 });
  // The floor: bare Node start-up, alternated with plain ssh as ours was (the same neighbours on the cores).
  const floor = await alternate({ ours: { cmd: NODE, args: ['-e', '0'] }, peer: { cmd: ssh, args: [...base, target, 'true'], env: peerEnv }, rounds: n, warmup: 1 });
  const nodeShare = floor.ours_ms / floor.peer_ms;
  emit({
    case: CASE, ours_ms: plain.ours_ms, peer_ms: plain.peer_ms, ratio: plain.ratio, aim: AIM, ok: plain.ratio <= 0.5, peer: 'OpenSSH ssh', rounds: n,
    node_ms: Math.round(floor.ours_ms), node_ratio: Math.round(nodeShare * 100) / 100,
    note: plain.ratio <= 0.5
      ? `ec2ssh: Node start-up (node -e 0 ${Math.round(floor.ours_ms)} ms), the name cache, one session over the master (no DescribeInstances, no handshake); ssh: a full handshake`
      : `bare \`node -e 0\` alone takes ${Math.round(floor.ours_ms)} ms here, ${nodeShare.toFixed(2)}x of plain ssh; on top come the fast entry's modules (~30-50 ms) and the remote session through the master (what ssh ControlMaster takes in all); a Node start-up snapshot or compile cache (not in Node 20) or a resident client would close it`,
  });
  const cm = await alternate({ ours, peer: { cmd: ssh, args: [...cmArgs, 'true'], env: peerEnv }, rounds: n, warmup: 1 });
  emit({
    case: CASE_CM, ours_ms: cm.ours_ms, peer_ms: cm.peer_ms, ratio: cm.ratio, aim: '-', ok: null, peer: 'ssh -o ControlMaster=auto', rounds: n,
    note: 'both reuse a connection; ec2ssh pays Node start-up (~40 ms) where the ssh mux client is a small C program',
  });
} catch (err) {
  skipBoth(`failed: ${err.message}`);
} finally {
  if (cmArgs.length) spawnSync(ssh, [...cmArgs.slice(0, -1), '-O', 'exit', cmArgs.at(-1)], { stdio: 'ignore' });
  await sshd?.stop();
  await sb.stop(); // removes the sandbox HOME and with it the master's socket: the master then exits
}
