// Host keys for sandbox instances: one ed25519 key per instance, kept by the sandbox across stop/start.
import { sha256Fingerprint } from '../../lib/console-fingerprints.js';
import { generateEd25519KeyPair } from '../../lib/ssh/ed25519.js';

export { generateEd25519KeyPair };

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
  const pair = generateEd25519KeyPair();
  const [algo, data] = pair.publicKey.split(/\s+/);
  return {
    privateKey: pair.privateKey,
    publicKey: `${algo} ${data}`,
    fingerprint: sha256Fingerprint(Buffer.from(data!, 'base64')),
    type: 'ED25519',
  };
}
