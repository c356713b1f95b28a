// Host keys for sandbox instances: one ed25519 key per instance, kept by the sandbox across stop/start.
import ssh2 from 'ssh2';
import { sha256Fingerprint } from '../../lib/console-fingerprints.js';

export interface HostKey {
  /** OpenSSH-format private key ("-----BEGIN OPENSSH PRIVATE KEY-----"). */
  privateKey: string;
  /** "ssh-ed25519 AAAA..." (no comment). */
  publicKey: string;
  /** "SHA256:..." unpadded base64, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** "ED25519", as cloud-init prints it in parentheses. */
  type: string;
}

export function generateHostKey(): HostKey {
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  const [algo, data] = pair.public.trim().split(/\s+/);
  const blob = Buffer.from(data!, 'base64');
  return {
    privateKey: pair.private,
    publicKey: `${algo} ${data}`,
    fingerprint: sha256Fingerprint(blob),
    type: 'ED25519',
  };
}
