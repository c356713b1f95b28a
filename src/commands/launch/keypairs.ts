// EC2 key pairs for ec2launch: use an existing one, import a local public key, or create one (ed25519)
// and save its private key where the other commands look for it (keyFilePath, mode 0600, atomically).
// Writes go through LaunchWrites (a dry run checks them with EC2's DryRun and writes no file).
import { promises as fs } from 'node:fs';
import type { Clock } from '../../lib/clock.js';
import type { Ec2 } from '../../lib/ec2.js';
import { awsErrorCode, TimeoutError, UsageError } from '../../lib/errors.js';
import { expandHome } from '../../lib/config-files.js';
import { readIfExists, writeFileAtomic } from '../../lib/fsutil.js';
import { TAGS } from '../../lib/instances.js';
import { keyFileCandidates, keyFilePath, type KeyLocation } from '../../lib/paths.js';
import { pollUntil } from '../../lib/wait.js';
import type { LaunchWrites } from './writes.js';

export interface KeyPairOutcome {
  keyName: string;
  /** True when this run created (or imported) the key pair, so undo may delete it. */
  created: boolean;
  imported: boolean;
  /** The private key file to log in with, when one is known. */
  keyFile?: string;
  /** True when this run wrote keyFile (undo removes it). */
  wroteKeyFile: boolean;
  /** With dryRun: the key pair does not exist and would be created or imported. */
  wouldCreate?: boolean;
}

export async function keyPairExists(ec2: Ec2, name: string): Promise<boolean> {
  return (await ec2.keyPairs(name)).some((k) => k.KeyName === name);
}

/** The first existing private key file for a key pair, if any. */
export async function findKeyFile(env: NodeJS.ProcessEnv, loc: KeyLocation): Promise<string | undefined> {
  for (const f of keyFileCandidates(env, loc)) {
    try {
      await fs.access(f);
      return f;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export interface EnsureKeyPairOptions {
  env: NodeJS.ProcessEnv;
  location: KeyLocation;
  /** A local public key file to import when the key pair does not exist. */
  importPublicKey?: string;
  clock: Clock;
}

/** Pure-ish: reads and checks --import-key's public key; the private key next to it, when there is one. */
async function readPublicKey(file: string, env: NodeJS.ProcessEnv): Promise<{ publicKey: string; privateFile?: string }> {
  const path = expandHome(file, env);
  const publicKey = await readIfExists(path);
  if (publicKey === undefined) throw new UsageError(`--import-key: cannot read ${path}`);
  if (!/^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+/.test(publicKey.trim())) {
    throw new UsageError(`--import-key: ${path} is not an OpenSSH public key (ssh-ed25519 or ssh-rsa ...)`, { hint: 'give the .pub file, e.g. ~/.ssh/id_ed25519.pub' });
  }
  const priv = path.replace(/\.pub$/, '');
  return { publicKey, privateFile: priv !== path && (await readIfExists(priv)) !== undefined ? priv : undefined };
}

/** Makes sure the key pair exists and says which private key file goes with it. */
export async function ensureKeyPair(writes: LaunchWrites, opts: EnsureKeyPairOptions): Promise<KeyPairOutcome> {
  const name = opts.location.keyName;
  const tags = { [TAGS.managed]: 'true' };
  const imported = opts.importPublicKey ? await readPublicKey(opts.importPublicKey, opts.env) : undefined;
  const none = { keyName: name, created: false, imported: false, wroteKeyFile: false };

  if (await keyPairExists(writes.ec2, name)) {
    // A dry run does not wait for a concurrent run's key file.
    const keyFile = imported?.privateFile ?? (await findKeyFile(opts.env, opts.location)) ?? (writes.dryRun ? undefined : await awaitKeyFile(opts.env, opts.location, opts.clock));
    return { ...none, keyFile };
  }
  if (imported) {
    const done = await writes.write('importKeyPair', `import the key pair ${name}`, [name, imported.publicKey, tags]);
    if (!done) return { ...none, keyFile: imported.privateFile, wouldCreate: true };
    return { ...none, created: true, imported: true, keyFile: imported.privateFile };
  }
  const keyFile = keyFilePath(opts.env, opts.location);
  let made: { value: string } | undefined;
  try {
    made = await writes.write('createKeyPair', `create the key pair ${name}`, [name, tags]);
  } catch (err) {
    if (writes.dryRun || awsErrorCode(err) !== 'InvalidKeyPair.Duplicate') throw err;
    // A concurrent launch created it a moment ago: use it once its private key is saved.
    return { ...none, keyFile: await awaitKeyFile(opts.env, opts.location, opts.clock) };
  }
  if (!made) return { ...none, keyFile, wouldCreate: true };
  try {
    await writeFileAtomic(keyFile, `${made.value.trimEnd()}\n`, 0o600);
  } catch (err) {
    await deleteKeyPair(writes, name).catch(() => {});
    throw new UsageError(`could not save the private key of ${name} to ${keyFile} (${(err as Error).message}); the key pair was deleted again`);
  }
  return { ...none, created: true, keyFile, wroteKeyFile: true };
}

/**
 * A key pair that exists without its private key here may have been created a moment ago by a
 * concurrent ec2term run that is writing the file now: wait a little for it.
 */
async function awaitKeyFile(env: NodeJS.ProcessEnv, loc: KeyLocation, clock: Clock, waitMs = 5_000): Promise<string | undefined> {
  const every100ms = { initialMs: 100, maxMs: 100, factor: 1 };
  return pollUntil(`the private key of ${loc.keyName}`, () => findKeyFile(env, loc), { clock, timeoutMs: waitMs, backoff: every100ms }).catch(
    (err: unknown) => {
      if (err instanceof TimeoutError) return undefined;
      throw err;
    },
  );
}

/** Deletes a key pair (and, when given, the private key file this run wrote). */
export async function deleteKeyPair(writes: LaunchWrites, name: string, keyFile?: string): Promise<void> {
  await writes.write('deleteKeyPair', `delete the key pair ${name}`, [name]);
  if (keyFile) await fs.rm(keyFile, { force: true });
}
