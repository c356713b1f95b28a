// Each running instance's SSH endpoint: where it listens (its loopback address, [::1] for IPv6, nowhere
// for a private-only instance), which keys it takes (its key pair, Instance Connect's) and which VPC peers
// it forwards to. The Sandbox (world.ts) calls these; they were its methods.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { TAGS } from '../lib/instances.js';
import { instanceConnectKeys } from './connect/keys.js';
import { startInstanceEndpoint } from './sshbridge.js';
import type { Instance } from './state.js';
import { INSTANCE_USER } from './constants.js';
import type { Sandbox } from './world.js';

export async function startEndpoint(s: Sandbox, i: Instance): Promise<void> {
  if (!i.hostKey || s.endpoints.has(i.id)) return;
  const region = s.world.regions[i.region];
  const kp = i.keyName ? region?.keyPairs[i.keyName] : undefined;
  const v4 = !i.noPublicIp, v6 = !!i.ipv6Addresses?.length;
  const base = {
    instanceId: i.id, hostKey: i.hostKey, authorizedKeys: kp ? [kp.publicKey] : [],
    rootDir: s.instanceRoot(i), user: INSTANCE_USER,
    sessionEnv: () => s.boots.get(i.id)?.sessionEnv,
    extraKeys: (user: string) => instanceConnectKeys(s, i, user),
    vpcPeer: (ip: string, port: number) => {
      const peer = Object.values(s.world.regions[i.region]?.instances ?? {})
        .find((x) => x.privateIp === ip && x.state === 'running' && (x.vpcId ?? '') === (i.vpcId ?? ''));
      if (!peer) return undefined;
      const ep = s.endpoints.get(peer.id);
      return port === 22 ? (ep ? { inject: (st: Duplex) => ep.inject(st) } : undefined) : { host: peer.sshHost ?? peer.publicIp };
    },
    listenV4: v4, listenV6: v6,
  };
  mkdirSync(join(base.rootDir, 'home', INSTANCE_USER), { recursive: true, mode: 0o700 });
  const attempts: { host: string; port: number }[] = [];
  const host = i.sshHost ?? i.publicIp;
  attempts.push({ host, port: v4 || v6 ? i.sshPort ?? 0 : 0 });
  if (i.sshPort) attempts.push({ host, port: 0 });
  // Where 127.10.x.y cannot be bound (non-Linux loopback), fall back to 127.0.0.1 with its own port.
  if (host !== '127.0.0.1' && v4) attempts.push({ host: '127.0.0.1', port: 0 });
  let lastErr: unknown;
  for (const a of attempts) {
    try {
      const ep = await startInstanceEndpoint({ ...base, ...a });
      if (s.closed || (i.state !== 'pending' && i.state !== 'running')) { await ep.close(); return; }
      s.endpoints.set(i.id, ep);
      i.sshHost = ep.host;
      // Its SSH endpoint is not on port 22: the tag ec2ssh honours everywhere. A private-only instance
      // listens nowhere: no port to publish (it is reached through an Instance Connect Endpoint).
      if (ep.port) { i.sshPort = ep.port; i.tags[TAGS.sshPort] = String(ep.port); } else delete i.tags[TAGS.sshPort];
      s.changed();
      return;
    } catch (e) { lastErr = e; }
  }
  throw lastErr;
}

/** After the instance's public address changed while it runs (an Elastic IP): SSH moves to it. */
export async function rebindEndpoint(s: Sandbox, i: Instance): Promise<void> {
  const ep = s.endpoints.get(i.id);
  if (!ep) return;
  s.endpoints.delete(i.id);
  await ep.close().catch(() => {});
  if (i.state === 'running') await startEndpoint(s, i).catch((e) => { process.stderr.write(`sandbox: SSH endpoint for ${i.id} failed to move: ${(e as Error).message}\n`); });
}

/** After a restart: running instances get their endpoints back. */
export async function restoreEndpoints(s: Sandbox): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const r of Object.values(s.world.regions)) {
    for (const i of Object.values(r.instances)) {
      if (i.state === 'running' && !i.bulk) jobs.push(startEndpoint(s, i).catch((e) => { process.stderr.write(`sandbox: ${i.id}: ${(e as Error).message}\n`); }));
    }
  }
  await Promise.all(jobs);
  s.settle();
}
