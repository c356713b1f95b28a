// Which keys to offer, in order, and loading them the way OpenSSH does: a key file others can read is
// refused ("UNPROTECTED PRIVATE KEY FILE"), an encrypted one asks for its passphrase on a terminal.
import { promises as fs } from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { sha256Fingerprint } from '../console-fingerprints.js';
import { tildify } from '../config-files.js';
import { defaultIdentityFiles, keyFileCandidates } from '../paths.js';
import type { Prompt } from '../prompt.js';

/** One thing to try when logging in. */
export type IdentityCandidate =
  | { kind: 'file'; path: string; /** given with -i: a missing file is an error */ explicit?: boolean; why: string }
  | { kind: 'key'; /** private key text (OpenSSH or PEM) */ key: string | Buffer; passphrase?: string; label: string }
  | { kind: 'agent'; socket: string };

export interface IdentityPlanInput {
  env: NodeJS.ProcessEnv;
  /** -i FILE (several allowed). When given, only these are offered. */
  identityFiles?: string[];
  /** The instance's key pair name and region: the file ec2launch saved. */
  keyName?: string;
  region?: string;
  keyDir?: string;
  /** Offer the SSH agent (SSH_AUTH_SOCK) and ~/.ssh/id_*: default true. */
  fallbacks?: boolean;
}

/** Pure: the ordered list of identities to try: -i, else launch key, agent, ~/.ssh/id_*. */
export function identityPlan(p: IdentityPlanInput): IdentityCandidate[] {
  if (p.identityFiles && p.identityFiles.length > 0) {
    return p.identityFiles.map((path) => ({ kind: 'file' as const, path, explicit: true, why: '-i' }));
  }
  const out: IdentityCandidate[] = [];
  if (p.keyName && p.region) {
    for (const path of keyFileCandidates(p.env, { keyName: p.keyName, region: p.region, keyDir: p.keyDir })) {
      out.push({ kind: 'file', path, why: `key pair ${p.keyName}` });
    }
  }
  if (p.fallbacks !== false) {
    if (p.env.SSH_AUTH_SOCK) out.push({ kind: 'agent', socket: p.env.SSH_AUTH_SOCK });
    for (const path of defaultIdentityFiles(p.env)) out.push({ kind: 'file', path, why: 'default identity' });
  }
  return out;
}

/** A key ready to sign with. */
export interface LoadedKey {
  key: ParsedKey;
  label: string;
  fingerprint: string;
}

export type LoadResult = { ok: LoadedKey } | { skip: string; missing?: boolean };

/** Pure: OpenSSH's unprotected-key warning for a file with `mode`. */
export function unprotectedKeyWarning(path: string, mode: number): string {
  const bar = '@'.repeat(59);
  return [
    bar,
    '@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @',
    bar,
    `Permissions 0${(mode & 0o777).toString(8)} for '${path}' are too open.`,
    'It is required that your private key files are NOT accessible by others.',
    'This private key will be ignored.',
    `(fix: chmod 600 '${path}')`,
  ].join('\n');
}

export interface LoadDeps {
  env: NodeJS.ProcessEnv;
  prompt?: Prompt;
  /** Where warnings go (stderr). */
  warn: (text: string) => void;
  /** Called around a passphrase prompt (to pause connection timers). */
  onPrompt?: (asking: boolean) => void;
}

/** Parses a key, asking for the passphrase on a terminal when it is encrypted (3 tries, like ssh). */
export async function parsePrivateKey(data: string | Buffer, label: string, deps: LoadDeps, passphrase?: string): Promise<LoadResult> {
  const { utils } = (await import('ssh2')).default;
  let parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message)) {
    if (!deps.prompt?.interactive) {
      return { skip: `${label} is encrypted and there is no terminal to ask for its passphrase (add it to ssh-agent, or pass an unencrypted key with -i)` };
    }
    for (let tries = 0; tries < 3; tries++) {
      deps.onPrompt?.(true);
      let answer: string;
      try {
        answer = await deps.prompt.password(`Enter passphrase for key '${label}':`);
      } finally {
        deps.onPrompt?.(false);
      }
      if (answer === '') return { skip: `${label}: no passphrase given; key skipped` };
      parsed = utils.parseKey(data, answer);
      if (!(parsed instanceof Error)) break;
      deps.warn(`bad passphrase for ${label}${tries < 2 ? '; try again' : ''}`);
    }
  }
  if (parsed instanceof Error) return { skip: `${label}: cannot read the private key (${parsed.message})` };
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return { skip: `${label} holds no private key` };
  return { ok: { key, label, fingerprint: `${key.type} ${sha256Fingerprint(key.getPublicSSH())}` } };
}

/** Loads a key file: missing, too open, unreadable or encrypted-without-terminal keys are skipped with a reason. */
export async function loadKeyFile(path: string, deps: LoadDeps): Promise<LoadResult> {
  const label = tildify(path, deps.env);
  let st: import('node:fs').Stats;
  try {
    st = await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { skip: code === 'ENOENT' ? `${label}: no such file` : `${label}: ${code ?? (err as Error).message}`, missing: code === 'ENOENT' };
  }
  if (!st.isFile()) return { skip: `${label} is not a file` };
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  if (st.uid === uid && (st.mode & 0o077) !== 0) {
    deps.warn(unprotectedKeyWarning(path, st.mode));
    return { skip: `${label} is readable by others (mode 0${(st.mode & 0o777).toString(8)}); refused like OpenSSH does; chmod 600 it` };
  }
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (err) {
    return { skip: `${label}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  return parsePrivateKey(data, label, deps);
}
