// ec2term's own known_hosts: OpenSSH format, one line per pinned key, the host field being the instance
// id, so `ssh -o HostKeyAlias=i-... -o UserKnownHostsFile=<this file>` reads the same pins.
import { createHmac } from 'node:crypto';
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
  /** OpenSSH's line marker: "@revoked" keys must never be accepted; "@cert-authority" keys sign host certificates. */
  marker?: 'revoked' | 'cert-authority';
}

/** Pure: the key type ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256") named inside a public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

const MARKERS: Record<string, KnownHostEntry['marker']> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };

/** Pure: one known_hosts line as an entry (markers and hashed hosts kept), or undefined for comments and junk. */
function parseLine(raw: string): KnownHostEntry | undefined {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return undefined;
  const words = line.split(/\s+/);
  let marker: KnownHostEntry['marker'];
  if (words[0]!.startsWith('@')) {
    marker = MARKERS[words[0]!];
    if (!marker) return undefined; // OpenSSH skips a line with an unknown marker
    words.shift();
  }
  const [hosts, keyType, keyBase64] = words;
  if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+={0,3}$/.test(keyBase64)) return undefined;
  return { hosts: hosts.split(','), keyType, keyBase64, fingerprint: sha256Fingerprint(Buffer.from(keyBase64, 'base64')), ...(marker ? { marker } : {}) };
}

/** Pure: every key line of known_hosts text, @revoked and @cert-authority ones included. */
export function parseKnownHostLines(text: string): KnownHostEntry[] {
  return text.split(/\r?\n/).map(parseLine).filter((e): e is KnownHostEntry => e !== undefined);
}

/** Pure: the plain pins (no marker, host names in clear); comments, hashed (|1|) and @marker lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  return parseKnownHostLines(text).filter((e) => !e.marker && !e.hosts.some((h) => h.startsWith('|')));
}

/** Pure: does one known_hosts host pattern match `name`? Wildcards * and ?, "[name]:port", hashed |1|salt|hash. */
function patternMatches(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(pattern);
  if (hashed) {
    const salt = Buffer.from(hashed[1]!, 'base64');
    return createHmac('sha1', salt).update(name).digest('base64') === hashed[2];
  }
  const bare = /^\[(.*)\]:\d+$/.exec(pattern)?.[1] ?? pattern;
  const re = new RegExp(`^${bare.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRe(c))).join('')}$`, 'i');
  return re.test(name);
}

/** Pure: OpenSSH's match_hostname for a line's host list: one pattern matches and no "!pattern" does. */
export function hostsMatch(hosts: string[], name: string): boolean {
  let matched = false;
  for (const h of hosts) {
    if (h.startsWith('!')) {
      if (patternMatches(h.slice(1), name)) return false;
    } else if (patternMatches(h, name)) matched = true;
  }
  return matched;
}

/** Pure: the keys revoked (@revoked) for `alias`. OpenSSH refuses these even where they are also pinned. */
export function revokedFor(entries: KnownHostEntry[], alias: string): KnownHostEntry[] {
  return entries.filter((e) => e.marker === 'revoked' && hostsMatch(e.hosts, alias));
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

/** Pure: the first line that is neither a comment, a marker line, a hashed entry nor `hosts type base64`. */
export function damagedLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#') || line.startsWith('@') || line.startsWith('|')) continue;
    if (!parseLine(line)) return i + 1;
  }
  return undefined;
}

/** The pins of one known_hosts file. A damaged file is refused, never silently rewritten. */
export class KnownHosts {
  constructor(readonly path: string) {}

  /** A pin file that keeps nothing (/dev/null): read as empty, never written. */
  get discards(): boolean {
    return this.path === '/dev/null';
  }

  private async read(): Promise<string> {
    if (this.discards) return '';
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

  /** The pins for `alias`, without keys revoked for it (a @cert-authority key is never a pin). */
  async pinned(alias: string): Promise<KnownHostEntry[]> {
    const text = await this.read();
    const revoked = new Set(revokedFor(parseKnownHostLines(text), alias).map((e) => e.keyBase64));
    return entriesFor(parseKnownHosts(text), alias).filter((e) => !revoked.has(e.keyBase64));
  }

  /** The keys marked @revoked for `alias`. */
  async revoked(alias: string): Promise<KnownHostEntry[]> {
    return revokedFor(parseKnownHostLines(await this.read()), alias);
  }

  /** Pins `blob` for `alias`, replacing any older pin of the same key type. */
  async pin(alias: string, blob: Buffer): Promise<void> {
    // UserKnownHostsFile=/dev/null: nothing is kept (and /dev/null is never replaced by a file).
    if (this.discards) return;
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
    if (this.discards || !(await this.exists())) return 0;
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
