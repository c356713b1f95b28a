// A short-lived cache of name look-ups for shared connections: the words a user typed (in one AWS scope)
// -> the instance, address, port, user and host key a live master holds. It lets a reconnect skip
// DescribeInstances; it is only ever used together with a master that confirms the same instance, and
// an entry is dropped on any mismatch (another instance or host key, a master that refuses or is stale).
import { promises as fsp } from 'node:fs';
import { writeFileAtomic } from '../fsutil.js';
import { nameEntryPath } from './paths.js';

export interface NameEntry {
  instanceId: string;
  host: string;
  port: number;
  user: string;
  fingerprint: string;
  /** keyOf() of the master's socket. */
  socketKey: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Pure: is this a well-formed, unexpired entry? (The file is ours, but a bad one must not crash a run.) */
export function usableEntry(e: unknown, now: number): e is NameEntry {
  const x = e as NameEntry;
  return (
    typeof x === 'object' && x !== null &&
    typeof x.instanceId === 'string' && typeof x.host === 'string' && Number.isInteger(x.port) && typeof x.user === 'string' &&
    typeof x.fingerprint === 'string' && typeof x.socketKey === 'string' && /^[0-9a-f]+$/.test(x.socketKey) &&
    typeof x.expiresAt === 'number' && x.expiresAt > now
  );
}

export async function readName(dir: string, key: string, now = Date.now()): Promise<NameEntry | undefined> {
  try {
    const e: unknown = JSON.parse(await fsp.readFile(nameEntryPath(dir, key), 'utf8'));
    return usableEntry(e, now) ? e : undefined;
  } catch {
    return undefined;
  }
}

export function writeName(dir: string, key: string, e: NameEntry): Promise<void> {
  return writeFileAtomic(nameEntryPath(dir, key), `${JSON.stringify(e)}\n`, 0o600);
}

export async function dropName(dir: string, key: string): Promise<void> {
  await fsp.rm(nameEntryPath(dir, key), { force: true }).catch(() => undefined);
}
