// ed25519 key pairs in OpenSSH formats, for everything that makes one (a local target's host and launch
// keys, ec2ssh's one-time EC2 Instance Connect keys). Imports ssh2: load it lazily from the CLI.
import ssh2 from 'ssh2';

/** ed25519 public key blob: string "ssh-ed25519" (4+11) + string key (4+32). */
const ED25519_BLOB_LEN = 51;

/**
 * An ed25519 key pair as ssh-keygen would write it. ssh2 1.17's generator drops a leading zero byte of
 * the public key (about 1 key in 256, mscdex/ssh2#1513), producing a 31-byte key OpenSSH rejects ("error
 * in libcrypto"): such pairs are thrown away and drawn again. Use this for any ed25519 pair.
 */
export function generateEd25519KeyPair(comment = ''): { privateKey: string; publicKey: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment ? { comment } : {});
    const data = pair.public.trim().split(/\s+/)[1] ?? '';
    if (Buffer.from(data, 'base64').length === ED25519_BLOB_LEN) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
}
