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

/** ed25519 public key blob: string "ssh-ed25519" (4+11) + string key (4+32). */
const ED25519_BLOB_LEN = 51;

/**
 * An ed25519 key pair in OpenSSH formats, as ssh-keygen would write it. ssh2 1.17's generator drops a
 * leading zero byte of the public key (about 1 key in 256, mscdex/ssh2#1513), producing a 31-byte key OpenSSH rejects
 * ("error in libcrypto"): such pairs are thrown away and drawn again. Use this for any ed25519 pair.
 */
export function generateEd25519KeyPair(comment = ''): { privateKey: string; publicKey: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment ? { comment } : {});
    const data = pair.public.trim().split(/\s+/)[1] ?? '';
    if (Buffer.from(data, 'base64').length === ED25519_BLOB_LEN) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
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
