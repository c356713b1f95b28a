// After a direct connect (ec2ssh, ec2scp): remember the name and, unless a master for this connection
// answers already, start one for the runs after this one. Never fails the run: sharing is an optimisation.
import type { SshSession } from '../ssh/connect.js';
import type { IdentityCandidate } from '../ssh/keys.js';
import { pingShared, spawnMaster } from './client.js';
import { writeName } from './names.js';
import { keyOf, privateDirProblem, socketPath } from './paths.js';

export interface OfferSettings {
  dir: string;
  nameKey: string;
  scope: string[];
  persistMs: number;
}

export async function offerConnection(s: OfferSettings, session: SshSession, identities: IdentityCandidate[], detail: (t: string) => void): Promise<void> {
  try {
    const fingerprint = session.hostKeyFingerprint;
    if (!fingerprint) return;
    const problem = await privateDirProblem(s.dir);
    if (problem) {
      detail(`not sharing the connection: ${problem}`);
      return;
    }
    // Identities as the master can load them alone: files and agents (a key held in memory stays here).
    const ids = identities
      .filter((i) => i.kind !== 'key')
      .map((i) => (i.kind === 'file' ? { kind: 'file' as const, path: i.path, why: i.why, explicit: i.explicit } : i));
    const socketKey = keyOf([...s.scope, session.instance.id, session.host, session.port, session.user, ids]);
    const socket = socketPath(s.dir, socketKey);
    const live = await pingShared(socket);
    if (!live || live.instanceId !== session.instance.id || live.fingerprint !== fingerprint) {
      spawnMaster({ socket, persistMs: s.persistMs, host: session.host, port: session.port, user: session.user, identities: ids, fingerprint, instanceId: session.instance.id });
      detail(`sharing this connection for ${Math.round(s.persistMs / 1000)} s idle (--no-share to not)`);
    }
    await writeName(s.dir, s.nameKey, {
      instanceId: session.instance.id, host: session.host, port: session.port, user: session.user, fingerprint, socketKey,
      expiresAt: Date.now() + s.persistMs,
    });
  } catch (err) {
    detail(`not sharing the connection: ${(err as Error).message}`);
  }
}
