// Reads the SSH host key blocks that cloud-init writes to an instance's console, so a client can pin the
// host key before its first SSH login. Pure (no I/O, no local-target imports): the CLI uses it against AWS too.
import { createHash } from 'node:crypto';

export interface ConsoleFingerprints {
  /** Fingerprints as printed, e.g. "SHA256:abc..." (no base64 padding); legacy colon-hex ones get "MD5:". */
  fingerprints: string[];
  /** Public key lines as printed, e.g. "ssh-ed25519 AAAA... root@ip-10-0-0-1". */
  keys: string[];
}

const FP_BEGIN = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
const FP_END = '-----END SSH HOST KEY FINGERPRINTS-----';
const KEYS_BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
const KEYS_END = '-----END SSH HOST KEY KEYS-----';

// "256 SHA256:xxxx root@host (ED25519)"; older images print "2048 aa:bb:...:ff /etc/ssh/ssh_host_rsa_key.pub (RSA)".
const FP_LINE = /^\d+\s+(\S+)\s/;
const KEY_LINE = /^((?:ssh-|ecdsa-|sk-)\S+)\s+([A-Za-z0-9+/]+={0,3})(?:\s+(.*))?$/;

/**
 * Extracts every fingerprint and public key line from console output. Handles the plain form, the
 * "ec2: " prefix some images add, syslog-style "<14>Jan  1 00:00:00 cloud-init: " prefixes, CRLF line
 * ends and repeated blocks (a rebooted instance prints them again); results are de-duplicated, in order.
 */
export function parseConsoleFingerprints(text: string): ConsoleFingerprints {
  const fingerprints: string[] = [];
  const keys: string[] = [];
  let block: 'fp' | 'keys' | null = null;
  let prefix = '';
  for (const raw of text.split(/\r?\n|\r/)) {
    if (block === null) {
      for (const [marker, kind] of [[FP_BEGIN, 'fp'], [KEYS_BEGIN, 'keys']] as const) {
        const at = raw.indexOf(marker);
        if (at >= 0) {
          block = kind;
          // Lines inside the block carry the same prefix as the BEGIN line (e.g. "ec2: ").
          prefix = raw.slice(0, at);
        }
      }
      continue;
    }
    let line = raw.startsWith(prefix) ? raw.slice(prefix.length) : stripKnownPrefix(raw);
    line = line.trim();
    if (line.includes(block === 'fp' ? FP_END : KEYS_END)) {
      block = null;
      continue;
    }
    if (line === '' || /^#+$/.test(line)) continue;
    if (block === 'fp') {
      const m = FP_LINE.exec(line);
      if (!m) continue;
      let fp = m[1]!;
      if (/^[0-9a-f]{2}(:[0-9a-f]{2}){15}$/i.test(fp)) fp = `MD5:${fp.toLowerCase()}`;
      if (!/^[A-Z0-9]+:/.test(fp)) continue;
      if (!fingerprints.includes(fp)) fingerprints.push(fp);
    } else {
      const m = KEY_LINE.exec(line);
      if (!m) continue;
      const key = m[3] ? `${m[1]} ${m[2]} ${m[3].trim()}` : `${m[1]} ${m[2]}`;
      if (!keys.includes(key)) keys.push(key);
    }
  }
  return { fingerprints, keys };
}

function stripKnownPrefix(line: string): string {
  return line
    .replace(/^ec2:\s?/, '')
    .replace(/^<\d+>\w{3}\s+\d+\s+[\d:]+\s+[\w.-]+(?:\[\d+\])?:\s?/, '')
    .replace(/^\[\s*[\d.]+\]\s+[\w.-]+(?:\[\d+\])?:\s?/, '');
}

/** OpenSSH's SHA256 fingerprint of a public key blob: "SHA256:" + unpadded base64, as `ssh-keygen -lf` prints. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The SHA256 fingerprint of an OpenSSH public key line ("ssh-ed25519 AAAA... comment"). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const m = KEY_LINE.exec(line.trim());
  if (!m) throw new Error('not an OpenSSH public key line');
  return sha256Fingerprint(Buffer.from(m[2]!, 'base64'));
}
