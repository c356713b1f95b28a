#!/usr/bin/env node
// ec2scp vs OpenSSH scp and sftp over a long fat pipe: 50 ms each way (100 ms round trip) at 1 Gbit/s,
// one file up and down, each tool in turn in every round (the order flips between rounds).
//   node bench/scp-link.mjs      (1 GiB; SCP_LINK_MB=128 for a quick run, BENCH_QUICK=1 gives 128;
//                                 SCP_LINK_ROUNDS / BENCH_ROUNDS rounds, default 1; SCP_LINK_RTT_MS, SCP_LINK_MBIT)
// The link is bench/lib/link.mjs's relay on loopback (these kernels have no netem); where `tc netem`
// works (probed in a throwaway network namespace) the run moves into its own namespace whose lo is
// shaped by netem instead, and the relay is not used. ec2scp is the real bin/ec2scp against a sandbox
// instance whose SSH port is the link in front of OpenSSH's sshd; scp and sftp go through the same link.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, createReadStream, openSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bin, emit, NODE, quick, ROOT, rounds, skip, timeRun, which } from './lib/bench.mjs';
import { netemSetup, netemUnavailable, startLink } from './lib/link.mjs';
import { instanceOnSshd, startBenchSandbox } from './lib/sandbox.mjs';

const MB = Number(process.env.SCP_LINK_MB ?? (quick() ? 128 : 1024));
const ROUNDS = Number(process.env.SCP_LINK_ROUNDS ?? rounds(1));
const RTT = Number(process.env.SCP_LINK_RTT_MS ?? 100);
const MBIT = Number(process.env.SCP_LINK_MBIT ?? 1000);
const LINK = `${RTT} ms RTT / ${MBIT >= 1000 ? `${MBIT / 1000} Gbit/s` : `${MBIT} Mbit/s`}`;
const AIM = '<= 0.33x (throughput >= 3x)';
const caseName = (dir, peer) => `ec2scp ${MB} MB ${dir} over ${LINK} vs ${peer}`;
const skipAll = (why) => {
  for (const dir of ['up', 'down']) for (const peer of ['scp', 'sftp']) skip(caseName(dir, peer), AIM, why);
  process.exit(0);
};
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;

// netem where the kernel has it: rerun this file inside a new network namespace with lo shaped.
const inNetns = process.argv[2] === '--in-netns';
if (!inNetns && process.env.SCP_LINK_SHAPER !== 'relay' && netemUnavailable() === undefined) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${netemSetup({ delayMs: RTT / 2, rateBitsPerSec: MBIT * 1e6 })} && exec "$0" "$1" --in-netns`, NODE, self], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const sshdHelper = await import(dist('test/helpers/sshd.js')).catch(() => undefined);
if (!sshdHelper) skipAll('dist/test/helpers/sshd.js missing: run npm run build');
const why = sshdHelper.sshdUnavailable();
if (why) skipAll(why);
for (const tool of ['scp', 'sftp']) if (!which(tool)) skipAll(`${tool} not installed`);

const sb = await startBenchSandbox({ delays: 'zero' });
let sshd;
let link;
try {
  // The instance's SSH port is the link (relay) or, under netem, sshd itself (lo is the shaped link).
  const made = await instanceOnSshd(sb, {
    prefix: 'ec2term-bench-link-',
    portFor: async (server, instance) => {
      link = inNetns
        ? { host: instance.publicIp, port: server.port, close: async () => {} }
        : await startLink({ target: { host: server.host, port: server.port }, listenHost: instance.publicIp, delayMs: RTT / 2, rateBitsPerSec: MBIT * 1e6 });
      return link.port;
    },
  });
  ({ sshd } = made);
  const { lab, key, dir, knownHosts } = made;
  // OpenSSH's scp and sftp (the peers) name the host by its address and the link's port.
  appendFileSync(knownHosts, `[${lab.publicIp}]:${link.port} ${sshd.hostPublicKey}\n`);
  // Its own connection each run (as scp's): a shared one would add a local hop and save only the handshake.
  const env = { ...sb.env, EC2TERM_KNOWN_HOSTS: knownHosts, EC2TERM_SHARE: '0' };

  const big = join(sshd.dir, 'big.bin');
  const fd = openSync(big, 'w');
  spawnSync('head', ['-c', String(MB * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  const sha = (p) => new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(p).on('data', (b) => h.update(b)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
  const want = await sha(big);

  const sshOpts = ['-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-F', '/dev/null', '-P', String(link.port)];
  const at = (p) => `${sshd.user}@${lab.publicIp}:${p}`;
  const sftpTo = `${sshd.user}@${lab.publicIp}`;
  const tools = {
    'ec2scp up': (dst) => ({ cmd: NODE, args: [bin('ec2scp'), '-q', big, `lab:${dst}`], env }),
    'scp up': (dst) => ({ cmd: 'scp', args: ['-q', ...sshOpts, big, at(dst)] }),
    'sftp up': (dst) => ({ cmd: 'sftp', args: ['-q', '-b', '-', ...sshOpts, sftpTo], input: `put ${big} ${dst}\n` }),
    'ec2scp down': (dst) => ({ cmd: NODE, args: [bin('ec2scp'), '-q', `lab:${big}`, dst], env }),
    'scp down': (dst) => ({ cmd: 'scp', args: ['-q', ...sshOpts, at(big), dst] }),
    'sftp down': (dst) => ({ cmd: 'sftp', args: ['-q', '-b', '-', ...sshOpts, sftpTo], input: `get ${big} ${dst}\n` }),
  };
  const names = Object.keys(tools);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const shaper = inNetns ? 'netem on a namespace lo' : 'bench/lib/link.mjs relay';
  console.error(`scp-link: ${MB} MB, ${LINK} (${shaper}), ${ROUNDS} round(s), ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const dst = join(sshd.dir, `out-${name.replace(/ /g, '-')}`);
      rmSync(dst, { force: true });
      const spec = tools[name](dst);
      const { ms } = await timeRun(spec.cmd, spec.args, spec);
      if (statSync(dst).size !== MB * 1024 * 1024 || (r === 0 && (await sha(dst)) !== want)) throw new Error(`${name}: the copy differs`);
      rmSync(dst, { force: true });
      times[name].push(ms);
      console.error(`  round ${r + 1}: ${name.padEnd(12)} ${((MB * 1000) / ms).toFixed(1).padStart(6)} MB/s (${(ms / 1000).toFixed(1)} s)`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const d of ['up', 'down']) {
    const ours = median(times[`ec2scp ${d}`]);
    for (const peer of ['scp', 'sftp']) {
      const p = median(times[`${peer} ${d}`]);
      const ratio = ours / p;
      emit({
        case: caseName(d, peer), ours_ms: ours, peer_ms: p, ratio, aim: AIM, ok: ratio <= 1 / 3, peer: `OpenSSH ${peer}`, rounds: ROUNDS,
        ours_mbps: Math.round((MB * 1000) / ours), peer_mbps: Math.round((MB * 1000) / p), shaper,
        note: `${Math.round((MB * 1000) / ours)} vs ${Math.round((MB * 1000) / p)} MB/s${ratio > 1 / 3 ? `; ${whyShort(d)}` : ''}`,
      });
    }
  }
} catch (err) {
  skipAll(`failed: ${err.message}`);
} finally {
  await link?.close();
  await sshd?.stop();
  await sb.stop();
}

function whyShort(d) {
  const common = 'OpenSSH is bound by its 2 MiB window per round trip and does not slow down on a loaded machine; ec2scp is bound by CPU (ssh2 encrypts in one JavaScript thread, and sshd and the relay share the cores), so its lead shrinks with the load';
  return d === 'up'
    ? `${common}; uploads use 6 channels (12 MiB per round trip): a second connection, i.e. a second process encrypting, would close it`
    : `${common}; a download keeps 16 MiB in flight per file: more in flight, or a second connection decrypting, would close it`;
}
