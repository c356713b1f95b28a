// The one doorway between the product and a local stand-in for AWS (the embedded sandbox in src/sandbox).
// Everything else in lib/ and commands/ sees a generic LocalTarget: an endpoint and its own keys, a
// default region, a folder for launch keys (instead of ~/.ssh) and the flag to repeat in printed command
// lines. Nothing else imports src/sandbox.

/** The flag (or its variable set to 1) that selects the local target. */
export const LOCAL_TARGET_FLAG = '--sandbox';

export const LOCAL_TARGET_ENV = 'EC2TERM_SANDBOX';

export interface LocalTarget {
  /** One endpoint for every service (EC2, Auto Scaling, Route 53, Instance Connect). */
  endpoint: string;
  /** The target's own keys: it accepts no others. */
  accessKeyId: string;
  secretAccessKey: string;
  defaultRegion: string;
  /** Where launch keys are kept, so they stay out of ~/.ssh. */
  keyDir: string;
  /** For --verbose: where it runs and keeps its state. */
  description: string;
  /** What printed command lines repeat so a pasted line reaches the same place. */
  flag: string;
  /**
   * Where it serves every instance's SSH over IPv6: one machine has no route to the instances' own IPv6
   * addresses (2600:1f18::...), so a local target listens for all of them on this host (::1).
   */
  ipv6Host?: string;
  /** The certificate its instance identity documents are signed with (AWS's per region on EC2). */
  identityCertificate?(): string;
}

export function localTargetRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  const v = env[LOCAL_TARGET_ENV];
  return Boolean(flag) || v === '1' || v === 'true';
}

/** Which local target the environment points at (its state folder, when set): part of cache keys. */
export function localTargetIdentity(env: NodeJS.ProcessEnv): string {
  return env.EC2TERM_SANDBOX_DIR ?? '';
}

/** Finds (or starts) the local target. Lazy: only runs that asked for it load its client. */
export async function openLocalTarget(env: NodeJS.ProcessEnv, tildify: (p: string) => string): Promise<LocalTarget> {
  const [{ ensureSandbox }, { SANDBOX_DEFAULT_REGION }, { join }, { identityKey }] = await Promise.all([
    import('../sandbox/client.js'), import('../sandbox/constants.js'), import('node:path'), import('../sandbox/identity.js'),
  ]);
  const info = await ensureSandbox(env);
  return {
    endpoint: info.url,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
    defaultRegion: SANDBOX_DEFAULT_REGION,
    keyDir: join(info.dir, 'keys'),
    description: `sandbox: ${info.url} (state in ${tildify(info.dir)})`,
    flag: LOCAL_TARGET_FLAG,
    ipv6Host: '::1',
    identityCertificate: () => identityKey(info.dir).certificate,
  };
}
