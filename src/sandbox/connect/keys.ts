// EC2 Instance Connect keys on an instance: pushed by SendSSHPublicKey, honoured by its SSH endpoint for
// 60 s of the sandbox clock, and only on images that carry the Instance Connect agent (as on EC2).
import type { Instance } from '../state.js';
import type { Sandbox } from '../world.js';
import { findImage } from '../ec2/catalog.js';

export const CONNECT_KEY_TTL_MS = 60_000;

/** Ubuntu (20.04 and later) and Amazon Linux images ship ec2-instance-connect; Debian's do not. */
export function imageHasConnectAgent(imageName: string | undefined): boolean {
  return !!imageName && /^(ubuntu\/|al2023-|amzn2-)/.test(imageName);
}

export function instanceConnectKeys(s: Sandbox, i: Instance, user: string): string[] {
  if (!i.connectKeys?.length) return [];
  const now = s.now();
  return i.connectKeys.filter((k) => k.user === user && now >= k.from && now < k.until).map((k) => k.publicKey);
}

/** Records a pushed key; expired ones are dropped. The agent ignores keys on images without it. */
export function pushConnectKey(s: Sandbox, i: Instance, user: string, publicKey: string): void {
  const now = s.now();
  const keys = (i.connectKeys ?? []).filter((k) => k.until > now);
  if (imageHasConnectAgent(findImage(i.region, i.imageId)?.name)) {
    const from = now + s.delays.instanceConnectKey;
    keys.push({ user, publicKey, from, until: now + CONNECT_KEY_TTL_MS });
  }
  i.connectKeys = keys;
  s.changed();
}
