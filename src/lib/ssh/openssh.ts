// Pure: the OpenSSH equivalents of an ec2ssh target: a command line (--print) and a ~/.ssh/config block
// (--ssh-config), both checking the host key against ec2term's own pins via HostKeyAlias.

export interface OpenSshTarget {
  instanceId: string;
  /** A Host alias for ~/.ssh/config (the Name tag, or the id). */
  alias: string;
  host: string;
  port: number;
  user: string;
  /** The key file to use, when one is known (agent users may have none). */
  identityFile?: string;
  knownHostsFile: string;
}

/** Quotes one word for a POSIX shell (only when needed). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The argv of the equivalent `ssh` invocation (without a remote command). */
export function opensshArgs(t: OpenSshTarget): string[] {
  const args = ['ssh'];
  if (t.identityFile) args.push('-i', t.identityFile, '-o', 'IdentitiesOnly=yes');
  if (t.port !== 22) args.push('-p', String(t.port));
  args.push('-o', `HostKeyAlias=${t.instanceId}`, '-o', `UserKnownHostsFile=${t.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes');
  args.push(`${t.user}@${t.host}`);
  return args;
}

/** The equivalent `ssh` command as one shell line, with the remote command (if any) quoted as one word. */
export function opensshCommand(t: OpenSshTarget, remoteCommand?: string): string {
  const args = opensshArgs(t).map(shellQuote);
  if (remoteCommand) args.push(shellQuote(remoteCommand));
  return args.join(' ');
}

/** Quotes a ~/.ssh/config value containing spaces. */
function configValue(v: string): string {
  return /[\s"]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v;
}

/** A `Host` block for ~/.ssh/config so plain `ssh ALIAS` works with the pinned key. */
export function sshConfigBlock(t: OpenSshTarget, notes: string[] = []): string {
  const lines = [`# ec2term: ${t.instanceId}`, ...notes.map((n) => `# ${n}`), `Host ${t.alias}`];
  const opt = (k: string, v: string) => lines.push(`    ${k} ${configValue(v)}`);
  opt('HostName', t.host);
  opt('User', t.user);
  if (t.port !== 22) opt('Port', String(t.port));
  if (t.identityFile) {
    opt('IdentityFile', t.identityFile);
    opt('IdentitiesOnly', 'yes');
  }
  opt('HostKeyAlias', t.instanceId);
  opt('UserKnownHostsFile', t.knownHostsFile);
  opt('StrictHostKeyChecking', 'yes');
  return lines.join('\n');
}

/** Pure: a Host alias usable in ~/.ssh/config (no spaces or wildcards). */
export function hostAlias(name: string | undefined, id: string): string {
  const clean = (name ?? '').trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean || id;
}
