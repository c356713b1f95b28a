// The login's identities offered one at a time, as ssh2's authHandler asks for the next: keys load
// (and ask for passphrases) only when their turn comes; what the server refused and what was skipped
// are kept for the "permission denied" message (handshake-errors.ts).
import type { ParsedKey } from 'ssh2';
import { loadKeyFile, parsePrivateKey, type IdentityCandidate, type LoadDeps } from './keys.js';

export type AuthMethod = { type: 'publickey'; username: string; key: ParsedKey } | { type: 'agent'; username: string; agent: string };

export class AuthMethods {
  /** The keys the server refused, in the order offered. */
  readonly refused: string[] = [];
  /** The keys not offered, each with why (a missing default key is not worth naming). */
  readonly skipped: string[] = [];
  private index = 0;
  /** The key last offered, until the server answers. */
  private current: string | undefined;

  constructor(
    private readonly user: string,
    private readonly identities: IdentityCandidate[],
    private readonly loadDeps: LoadDeps,
    private readonly detail: (text: string) => void,
  ) {}

  /** The next method to offer, or false when none is left (or the server takes no public keys). */
  async next(methodsLeft: string[] | null): Promise<AuthMethod | false> {
    if (this.current) {
      this.refused.push(this.current);
      this.detail(`server refused ${this.current}`);
      this.current = undefined;
    }
    if (methodsLeft && !methodsLeft.includes('publickey')) return false;
    while (this.index < this.identities.length) {
      const id = this.identities[this.index++]!;
      if (id.kind === 'agent') {
        this.current = `the keys in ssh-agent (${id.socket})`;
        this.detail(`offering ${this.current}`);
        return { type: 'agent', username: this.user, agent: id.socket };
      }
      const loaded = id.kind === 'file' ? await loadKeyFile(id.path, this.loadDeps) : await parsePrivateKey(id.key, id.label, this.loadDeps, id.passphrase);
      if ('skip' in loaded) {
        if (!(loaded as { missing?: boolean }).missing || (id.kind === 'file' && id.explicit)) this.skipped.push(loaded.skip);
        this.detail(`skipped ${loaded.skip}`);
        continue;
      }
      this.current = `${loaded.ok.label} (${loaded.ok.fingerprint})`;
      this.detail(`offering ${this.current}`);
      return { type: 'publickey', username: this.user, key: loaded.ok.key };
    }
    return false;
  }
}
