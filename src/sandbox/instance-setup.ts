// An instance's first-boot setup once it runs: the real GraphTerm from its user-data's start script when
// the runtime is installed (graphterm/boot.ts), else a simulated setup (ssh/setup.ts). Was Sandbox.runSetup.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { userDataText } from '../lib/graphterm/userdata-wire.js';
import { bootGraphTerm, canBoot } from './graphterm/boot.js';
import { signedIdentity } from './identity.js';
import { findRuntime } from './graphterm/runtime.js';
import { publicDns } from './ec2/instances.js';
import { simulateSetup } from './sshbridge.js';
import type { Instance } from './state.js';
import { INSTANCE_USER } from './constants.js';
import type { Sandbox } from './world.js';

export async function runSetup(s: Sandbox, i: Instance): Promise<void> {
  const fail = !!s.faults.forInstance('setup-error', i.id, i.tags.Name);
  const userData = userDataText(i.userData || '');
  // EC2TERM_SANDBOX_GRAPHTERM: real (boot GraphTerm; fail without the runtime), simulate, or auto (the default).
  const mode = process.env.EC2TERM_SANDBOX_GRAPHTERM || 'auto';
  const runtime = fail || mode === 'simulate' ? undefined : findRuntime();
  if (mode === 'real' && !runtime && !fail) process.stderr.write('sandbox: EC2TERM_SANDBOX_GRAPHTERM=real but no GraphTerm runtime is installed (npm run graphterm:runtime)\n');
  if (runtime && canBoot(userData)) {
    // The real GraphTerm: the user-data's own start script, on this instance's loopback address.
    // Which private address each instance's loopback stands for (a server's key responder checks it).
    const peerMap = join(s.dir, 'instances', 'peers');
    await mkdir(join(s.dir, 'instances'), { recursive: true, mode: 0o700 });
    if (i.privateIp) await appendFile(peerMap, `${i.sshHost ?? i.publicIp} ${i.privateIp}\n`, { mode: 0o600 });
    const boot = bootGraphTerm({
      rootDir: s.instanceRoot(i), user: INSTANCE_USER, userData, runtime, peerMap,
      identity: signedIdentity(s.dir, i, new Date(i.launchTime).toISOString().replace(/\.\d+Z$/, 'Z')),
      address: i.sshHost ?? i.publicIp, publicDnsName: publicDns(i), instanceId: i.id,
      addressOfPrivateIp: (ip) => {
        const r = s.world.regions[i.region];
        const peer = r && (Object.values(r.instances).find((x) => x.privateIp === ip && x.state === 'running' && x.vpcId === i.vpcId)
          ?? Object.values(r.instances).find((x) => x.privateIp === ip && x.state === 'running'));
        return peer ? peer.sshHost ?? peer.publicIp : undefined;
      },
      alive: () => !s.closed && i.state === 'running' && s.boots.get(i.id) === boot,
    });
    s.boots.set(i.id, boot);
    const ok = await boot.done;
    if (s.boots.get(i.id) !== boot) return;
    i.setupDone = true;
    i.setupFailed = !ok;
    s.changed();
    return;
  }
  if (!runtime && !fail && canBoot(userData) && !s.saidSimulated) {
    s.saidSimulated = true;
    process.stderr.write('sandbox: no GraphTerm runtime (npm run graphterm:runtime): instance setup is simulated\n');
  }
  try {
    await simulateSetup({ rootDir: s.instanceRoot(i), user: INSTANCE_USER, userData, fail });
  } catch (e) {
    process.stderr.write(`sandbox: setup simulation for ${i.id} failed: ${(e as Error).message}\n`);
  }
  i.setupDone = true;
  i.setupFailed = fail;
  s.changed();
}
