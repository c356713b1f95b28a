// EC2 key pairs for ec2launch: use an existing one, import a local public key, or create one (ed25519)
// and save its private key where the other commands look for it (keyFilePath, mode 0600, atomically).
import { promises as fs } from 'node:fs';
import { call, type Ec2 } from './ec2.js';
import { systemClock } from './clock.js';
import { awsErrorCode, fromAwsError, TimeoutError, UsageError } from './errors.js';
import { expandHome } from './config-files.js';
import { readIfExists, writeFileAtomic } from './fsutil.js';
import { TAGS } from './instances.js';
import { keyFileCandidates, keyFilePath, type KeyLocation } from './paths.js';
import { dryRunCheck } from './security-groups.js';
import { pollUntil } from './wait.js';

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

export async function keyPairExists(ec2: Ec2, name: string, signal?: AbortSignal): Promise<boolean> {
  const sdk = await import('@aws-sdk/client-ec2');
  const res = await call(`looking up the key pair ${name}`, () =>
    ec2.client.send(new sdk.DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: [name] }] }), { abortSignal: signal }),
  );
  return (res.KeyPairs ?? []).some((k) => k.KeyName === name);
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
  dryRun: boolean;
  signal?: AbortSignal;
}

/** Makes sure the key pair exists and says which private key file goes with it. */
export async function ensureKeyPair(ec2: Ec2, opts: EnsureKeyPairOptions): Promise<KeyPairOutcome> {
  const sdk = await import('@aws-sdk/client-ec2');
  const name = opts.location.keyName;
  const send = { abortSignal: opts.signal };
  const tags = [{ ResourceType: 'key-pair' as const, Tags: [{ Key: TAGS.managed, Value: 'true' }] }];
  let publicKey: string | undefined;
  let importedPrivate: string | undefined;
  if (opts.importPublicKey) {
    const path = expandHome(opts.importPublicKey, opts.env);
    publicKey = await readIfExists(path);
    if (publicKey === undefined) throw new UsageError(`--import-key: cannot read ${path}`);
    if (!/^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+/.test(publicKey.trim())) {
      throw new UsageError(`--import-key: ${path} is not an OpenSSH public key (ssh-ed25519 or ssh-rsa ...)`, { hint: 'give the .pub file, e.g. ~/.ssh/id_ed25519.pub' });
    }
    const priv = path.replace(/\.pub$/, '');
    if (priv !== path && (await readIfExists(priv)) !== undefined) importedPrivate = priv;
  }

  if (await keyPairExists(ec2, name, opts.signal)) {
    const keyFile = importedPrivate ?? (await findKeyFile(opts.env, opts.location)) ?? (opts.dryRun ? undefined : await awaitKeyFile(opts.env, opts.location));
    return { keyName: name, created: false, imported: false, keyFile, wroteKeyFile: false };
  }
  if (publicKey !== undefined) {
    if (opts.dryRun) {
      await dryRunCheck(`importing the key pair ${name}`, () =>
        ec2.client.send(new sdk.ImportKeyPairCommand({ KeyName: name, PublicKeyMaterial: Buffer.from(publicKey!.trim()), DryRun: true }), send),
      );
      return { keyName: name, created: false, imported: false, keyFile: importedPrivate, wroteKeyFile: false, wouldCreate: true };
    }
    await call(`importing the key pair ${name}`, () =>
      ec2.client.send(new sdk.ImportKeyPairCommand({ KeyName: name, PublicKeyMaterial: Buffer.from(publicKey!.trim()), TagSpecifications: tags }), send),
    );
    return { keyName: name, created: true, imported: true, keyFile: importedPrivate, wroteKeyFile: false };
  }
  const keyFile = keyFilePath(opts.env, opts.location);
  if (opts.dryRun) {
    await dryRunCheck(`creating the key pair ${name}`, () => ec2.client.send(new sdk.CreateKeyPairCommand({ KeyName: name, KeyType: 'ed25519', DryRun: true }), send));
    return { keyName: name, created: false, imported: false, keyFile, wroteKeyFile: false, wouldCreate: true };
  }
  let res;
  try {
    res = await ec2.client.send(new sdk.CreateKeyPairCommand({ KeyName: name, KeyType: 'ed25519', TagSpecifications: tags }), send);
  } catch (err) {
    const code = awsErrorCode(err);
    if (code !== 'InvalidKeyPair.Duplicate') throw fromAwsError(err, `creating the key pair ${name}`);
    // A concurrent launch created it a moment ago: use it once its private key is saved.
    return { keyName: name, created: false, imported: false, keyFile: await awaitKeyFile(opts.env, opts.location), wroteKeyFile: false };
  }
  try {
    await writeFileAtomic(keyFile, `${(res.KeyMaterial ?? '').trimEnd()}\n`, 0o600);
  } catch (err) {
    await deleteKeyPair(ec2, name).catch(() => {});
    throw new UsageError(`could not save the private key of ${name} to ${keyFile} (${(err as Error).message}); the key pair was deleted again`);
  }
  return { keyName: name, created: true, imported: false, keyFile, wroteKeyFile: true };
}

/**
 * A key pair that exists without its private key here may have been created a moment ago by a
 * concurrent ec2term run that is writing the file now: wait a little for it.
 */
async function awaitKeyFile(env: NodeJS.ProcessEnv, loc: KeyLocation, waitMs = 5_000): Promise<string | undefined> {
  const every100ms = { initialMs: 100, maxMs: 100, factor: 1 };
  return pollUntil(`the private key of ${loc.keyName}`, () => findKeyFile(env, loc), { clock: systemClock, timeoutMs: waitMs, backoff: every100ms }).catch(
    (err: unknown) => {
      if (err instanceof TimeoutError) return undefined;
      throw err;
    },
  );
}

/** Deletes a key pair (and, when given, the private key file this run wrote). */
export async function deleteKeyPair(ec2: Ec2, name: string, keyFile?: string): Promise<void> {
  const sdk = await import('@aws-sdk/client-ec2');
  await call(`deleting the key pair ${name}`, () => ec2.client.send(new sdk.DeleteKeyPairCommand({ KeyName: name })));
  if (keyFile) await fs.rm(keyFile, { force: true });
}
