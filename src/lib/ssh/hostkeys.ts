// Host key policy for instances: a pinned key must match; a first contact must match a fingerprint the
// instance printed on its console (cloud-init), and is then pinned under the instance id.
import { createHash } from 'node:crypto';
import { parseConsoleFingerprints, sha256Fingerprint } from '../console-fingerprints.js';
import { ConnectionError, TimeoutError } from '../errors.js';
import type { Clock } from '../clock.js';
import { pollUntil } from '../wait.js';
import { hostKeyAlgorithmsFor } from './connection.js';
import { keyTypeOfBlob, type KnownHosts } from './knownhosts.js';

export type HostKeyPolicy = 'verify' | 'accept-new';

/** Pure: the fingerprints of a key blob in both forms a console may print. */
export function fingerprintsOfBlob(blob: Buffer): string[] {
  const md5 = createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
  return [sha256Fingerprint(blob), `MD5:${md5}`];
}

/** Pure: does a key blob match one of the printed fingerprints? */
export function blobMatchesFingerprints(blob: Buffer, printed: string[]): boolean {
  const mine = fingerprintsOfBlob(blob);
  return printed.some((p) => mine.includes(p));
}

/** Pure: the loud message for a changed host key (OpenSSH's banner, with ec2term's way to clear it). */
export function changedHostKeyBanner(o: { label: string; alias: string; seen: string; pinned: string[]; knownHostsFile: string; forgetCommand: string }): string {
  const bar = '@'.repeat(59);
  return [
    bar,
    '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
    bar,
    'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
    `The host key of ${o.label} is not the one pinned on first contact.`,
    `It offered:  ${o.seen}`,
    `Pinned:      ${o.pinned.join(', ')}  (${o.knownHostsFile}, host ${o.alias})`,
    `If the instance really was rebuilt or its keys regenerated, clear the pin and connect again:`,
    `  ${o.forgetCommand}`,
  ].join('\n');
}

export interface InstanceHostKeyOptions {
  /** The known_hosts host field: the instance id. */
  alias: string;
  /** "lab (i-0abc)" for messages. */
  label: string;
  knownHosts: KnownHosts;
  policy: HostKeyPolicy;
  /** Reads the instance's console output (GetConsoleOutput, Latest). */
  consoleOutput: () => Promise<string>;
  /** How long to keep asking while the console shows no fingerprints yet (EC2 fills it late). */
  consoleWaitMs: number;
  clock: Clock;
  signal?: AbortSignal;
  info: (text: string) => void;
  warn: (text: string) => void;
  /** Writes the changed-key banner (stderr, even with --quiet). */
  banner: (text: string) => void;
  /** The command that clears the pin, for messages. */
  forgetCommand: string;
}

export interface HostKeyCheck {
  /** Host key algorithms to ask for (pinned types first). */
  algorithms: string[];
  /** Was a key already pinned? */
  pinned: boolean;
  verify(blob: Buffer): Promise<void>;
}

/** Reads console fingerprints, retrying while the console is empty or has no fingerprint block yet. */
export async function waitForConsoleFingerprints(o: Pick<InstanceHostKeyOptions, 'label' | 'alias' | 'consoleOutput' | 'consoleWaitMs' | 'clock' | 'signal' | 'info'>): Promise<string[]> {
  let told = false;
  try {
    return await pollUntil(
      `SSH host key fingerprints in the console output of ${o.alias}`,
      async () => {
        const { fingerprints } = parseConsoleFingerprints(await o.consoleOutput());
        if (fingerprints.length > 0) return fingerprints;
        if (!told && o.consoleWaitMs > 0) {
          told = true;
          o.info(`waiting for the console output of ${o.label} to show its SSH host key fingerprints (EC2 fills it in late)...`);
        }
        return undefined;
      },
      { clock: o.clock, signal: o.signal, timeoutMs: o.consoleWaitMs, backoff: { initialMs: 1_000, maxMs: 10_000, factor: 1.5 } },
    );
  } catch (err) {
    if (err instanceof TimeoutError) return [];
    throw err;
  }
}

/** Prepares the host key check for one instance (reads the pin; on first contact, the console fingerprints). */
export async function instanceHostKeyCheck(o: InstanceHostKeyOptions): Promise<HostKeyCheck> {
  const [pinned, revoked] = await Promise.all([o.knownHosts.pinned(o.alias), o.knownHosts.revoked(o.alias)]);
  // As OpenSSH: a key marked @revoked is refused whatever else vouches for it (a pin, the console).
  const refuseRevoked = (blob: Buffer) => {
    const b64 = blob.toString('base64');
    if (!revoked.some((r) => r.keyBase64 === b64)) return;
    const seen = `${keyTypeOfBlob(blob)} ${sha256Fingerprint(blob)}`;
    throw new ConnectionError(`host key of ${o.label} (${seen}) is marked @revoked in ${o.knownHosts.path}; refusing to connect`, {
      hint: 'the key was revoked on purpose: find out why before removing that line',
    });
  };
  if (pinned.length > 0) {
    return {
      pinned: true,
      algorithms: hostKeyAlgorithmsFor(pinned.map((p) => p.keyType)),
      async verify(blob) {
        refuseRevoked(blob);
        const b64 = blob.toString('base64');
        if (pinned.some((p) => p.keyBase64 === b64)) return;
        const seen = `${keyTypeOfBlob(blob)} ${sha256Fingerprint(blob)}`;
        o.banner(
          changedHostKeyBanner({
            label: o.label,
            alias: o.alias,
            seen,
            pinned: pinned.map((p) => `${p.keyType} ${p.fingerprint}`),
            knownHostsFile: o.knownHosts.path,
            forgetCommand: o.forgetCommand,
          }),
        );
        throw new ConnectionError(`host key of ${o.label} has changed (${seen}); refusing to connect`, {
          hint: `if the change is expected, clear the old key with: ${o.forgetCommand}`,
        });
      },
    };
  }
  const printed = await waitForConsoleFingerprints({ ...o, consoleWaitMs: o.policy === 'accept-new' ? 0 : o.consoleWaitMs });
  return {
    pinned: false,
    algorithms: hostKeyAlgorithmsFor([]),
    async verify(blob) {
      refuseRevoked(blob);
      const seen = `${keyTypeOfBlob(blob)} ${sha256Fingerprint(blob)}`;
      if (printed.length > 0 && blobMatchesFingerprints(blob, printed)) {
        await o.knownHosts.pin(o.alias, blob);
        o.info(`verified the host key of ${o.label} against its console output and pinned it (${seen})`);
        return;
      }
      if (printed.length > 0) {
        throw new ConnectionError(
          `host key of ${o.label} (${seen}) matches none of the fingerprints in its console output (${printed.join(', ')}); refusing to connect`,
          { hint: 'someone may be intercepting the connection, or the address now belongs to another machine' },
        );
      }
      if (o.policy === 'accept-new') {
        await o.knownHosts.pin(o.alias, blob);
        o.warn(`--accept-new: pinned the host key of ${o.label} (${seen}) WITHOUT verifying it (its console output shows no fingerprints)`);
        return;
      }
      throw new ConnectionError(`cannot verify the host key of ${o.label}: its console output shows no SSH host key fingerprints`, {
        hint: 'wait a minute and retry (EC2 fills the console in late), or use --accept-new to trust the key on first use (weaker: not verified)',
      });
    },
  };
}
