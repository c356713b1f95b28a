// ec2term's own known_hosts: OpenSSH format, one line per pinned key, the host field being the instance
// id, so `ssh -o HostKeyAlias=i-... -o UserKnownHostsFile=<this file>` reads the same pins.
import { promises as fs } from 'node:fs';
import { sha256Fingerprint } from '../console-fingerprints.js';
import { UsageError } from '../errors.js';
import { readIfExists, writeFileAtomic } from '../fsutil.js';

export interface KnownHostEntry {
  /** Host patterns of the line (comma list split), e.g. ["i-0abc"]. */
  hosts: string[];
  /** Key type as written, e.g. "ssh-ed25519". */
  keyType: string;
  /** Base64 key blob as written. */
  keyBase64: string;
  /** "SHA256:..." of the blob. */
  fingerprint: string;
}

/** Pure: the key type ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256") named inside a public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Pure: parses known_hosts text; comments, blank, hashed (|1|) and @marker lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@') || line.startsWith('|')) continue;
    const [hosts, keyType, keyBase64] = line.split(/\s+/);
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+={0,3}$/.test(keyBase64)) continue;
    out.push({ hosts: hosts.split(','), keyType, keyBase64, fingerprint: sha256Fingerprint(Buffer.from(keyBase64, 'base64')) });
  }
  return out;
}

/** Pure: entries pinned for `alias` (an instance id; also matches OpenSSH's "[alias]:port" form). */
export function entriesFor(entries: KnownHostEntry[], alias: string): KnownHostEntry[] {
  const a = alias.toLowerCase();
  return entries.filter((e) => e.hosts.some((h) => h.toLowerCase() === a || new RegExp(`^\\[${escapeRe(a)}\\]:\\d+$`).test(h.toLowerCase())));
}

export type PinCheck = 'match' | 'mismatch' | 'unknown';

/** Pure: does the server's key blob match a pin for `alias`? */
export function checkPinned(entries: KnownHostEntry[], alias: string, blob: Buffer): PinCheck {
  const mine = entriesFor(entries, alias);
  if (mine.length === 0) return 'unknown';
  const b64 = blob.toString('base64');
  return mine.some((e) => e.keyBase64 === b64) ? 'match' : 'mismatch';
}

/** Pure: the known_hosts line for a key: "i-0abc ssh-ed25519 AAAA... ec2term". */
export function knownHostsLine(alias: string, blob: Buffer, comment = 'ec2term'): string {
  return `${alias} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** Pure: `text` without the lines pinned for `alias`; returns the new text and how many lines went. */
export function removeAlias(text: string, alias: string): { text: string; removed: number } {
  let removed = 0;
  const kept = text.split(/\r?\n/).filter((line) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return true;
    const e = parseKnownHosts(t);
    if (e.length === 1 && entriesFor(e, alias).length > 0) {
      removed++;
      return false;
    }
    return true;
  });
  let out = kept.join('\n');
  if (out && !out.endsWith('\n')) out += '\n';
  return { text: out.replace(/^\n+/, ''), removed };
}

/** Pure: the first line that is neither a comment, a marker, a hashed entry nor `hosts type base64`. */
export function damagedLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#') || line.startsWith('@') || line.startsWith('|')) continue;
    if (parseKnownHosts(line).length !== 1) return i + 1;
  }
  return undefined;
}

/** The pins of one known_hosts file. A damaged file is refused, never silently rewritten. */
export class KnownHosts {
  constructor(readonly path: string) {}

  private async read(): Promise<string> {
    const text = (await readIfExists(this.path)) ?? '';
    const bad = damagedLine(text);
    if (bad !== undefined) {
      throw new UsageError(`${this.path} is damaged (line ${bad} is not "HOST KEYTYPE BASE64-KEY"); fix or move it aside`);
    }
    return text;
  }

  async entries(): Promise<KnownHostEntry[]> {
    return parseKnownHosts(await this.read());
  }

  async pinned(alias: string): Promise<KnownHostEntry[]> {
    return entriesFor(await this.entries(), alias);
  }

  /** Pins `blob` for `alias`, replacing any older pin of the same key type. */
  async pin(alias: string, blob: Buffer): Promise<void> {
    const text = await this.read();
    const type = keyTypeOfBlob(blob);
    const lines = text.split(/\r?\n/).filter((line) => {
      const e = parseKnownHosts(line);
      return !(e.length === 1 && entriesFor(e, alias).length > 0 && e[0]!.keyType === type);
    });
    const body = lines.filter((l, i) => l !== '' || i < lines.length - 1).join('\n');
    await writeFileAtomic(this.path, `${body ? `${body.replace(/\n+$/, '')}\n` : ''}${knownHostsLine(alias, blob)}\n`, 0o600);
  }

  /** Removes every pin for `alias`; returns how many lines went. */
  async forget(alias: string): Promise<number> {
    if (!(await this.exists())) return 0;
    const text = await this.read();
    const { text: next, removed } = removeAlias(text, alias);
    if (removed > 0) await writeFileAtomic(this.path, next, 0o600);
    return removed;
  }

  async exists(): Promise<boolean> {
    try {
      await fs.access(this.path);
      return true;
    } catch {
      return false;
    }
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
