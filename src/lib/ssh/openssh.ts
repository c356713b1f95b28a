// Pure: the OpenSSH equivalents of an ec2ssh target: a command line (--print) and a ~/.ssh/config block
// (--ssh-config), both checking the host key against ec2term's own pins via HostKeyAlias. Names, users
// and addresses come from tags anyone in the account can set: they are checked or quoted by the rules
// in ../untrusted.ts, and what cannot be written safely is refused, never written raw.
import { UsageError } from '../errors.js';
import { LOOKS_LIKE_INSTANCE_ID } from '../ids.js';
import { shellQuote } from '../shellquote.js';
import {
  hasUnsafeTerminalChars,
  hostProblem,
  loginUserProblem,
  shellWord,
  sshConfigAlias,
  sshConfigComment,
  sshConfigValue,
} from '../untrusted.js';

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
  /** The words of a ProxyCommand (`ec2ssh --stdio ID`): the block then names no HostName or Port. */
  proxyCommand?: string[];
}

/**
 * Pure: a ProxyCommand value from words (each single-quoted for the shell OpenSSH runs it with, '%'
 * doubled because ProxyCommand expands %-tokens), or undefined when a word cannot be written safely.
 */
export function proxyCommandValue(words: string[]): string | undefined {
  const out: string[] = [];
  for (const w of words) {
    if (w === '' || hasUnsafeTerminalChars(w) || w.includes('${')) return undefined;
    out.push(shellQuote(w).replace(/%/g, '%%'));
  }
  return out.join(' ');
}

/** Pure: why `t` cannot be handed to OpenSSH (a user or host it would misread), or undefined. */
export function targetProblem(t: Pick<OpenSshTarget, 'user' | 'host'>): string | undefined {
  const user = loginUserProblem(t.user);
  if (user) return `login user ${JSON.stringify(t.user)}: ${user}`;
  const host = hostProblem(t.host);
  if (host) return `address ${JSON.stringify(t.host)}: ${host}`;
  return undefined;
}

/** The argv of the equivalent `ssh` invocation (without a remote command); `--` ends the options. */
export function opensshArgs(t: OpenSshTarget): string[] {
  const problem = targetProblem(t);
  if (problem) throw new UsageError(`cannot write an ssh command for ${t.instanceId}: ${problem}`);
  const args = ['ssh'];
  if (t.identityFile) args.push('-i', t.identityFile, '-o', 'IdentitiesOnly=yes');
  if (t.port !== 22) args.push('-p', String(t.port));
  args.push('-o', `HostKeyAlias=${t.instanceId}`, '-o', `UserKnownHostsFile=${t.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes');
  args.push('--', `${t.user}@${t.host}`);
  return args;
}

/** The equivalent `ssh` command as one shell line, with the remote command (if any) quoted as one word. */
export function opensshCommand(t: OpenSshTarget, remoteCommand?: string): string {
  const args = opensshArgs(t).map(shellWord);
  if (remoteCommand) args.push(shellWord(remoteCommand));
  return args.join(' ');
}

export type ConfigBlock = { text: string; problem?: undefined } | { problem: string; text?: undefined };

/** A `Host` block for ~/.ssh/config so plain `ssh ALIAS` works with the pinned key; or why it cannot be written. */
export function sshConfigBlock(t: OpenSshTarget, notes: string[] = []): ConfigBlock {
  const problem = targetProblem(t);
  if (problem) return { problem };
  const alias = sshConfigAlias(t.alias);
  if (!alias) return { problem: `Host alias ${JSON.stringify(t.alias)} is not a plain word` };
  const lines = [sshConfigComment(`ec2term: ${t.instanceId}`), ...notes.map(sshConfigComment), `Host ${alias}`];
  // HostName, IdentityFile and UserKnownHostsFile expand %-tokens (HostName only %h and %%).
  const direct = !t.proxyCommand;
  const directives: [string, string, boolean][] = [
    ...(direct ? [['HostName', t.host, true] as [string, string, boolean]] : []),
    ['User', t.user, false],
    ...(direct && t.port !== 22 ? [['Port', String(t.port), false] as [string, string, boolean]] : []),
    ...(t.identityFile ? [['IdentityFile', t.identityFile, true], ['IdentitiesOnly', 'yes', false]] as [string, string, boolean][] : []),
    ['HostKeyAlias', t.instanceId, false],
    ['UserKnownHostsFile', t.knownHostsFile, true],
    ['StrictHostKeyChecking', 'yes', false],
  ];
  for (const [key, value, tokens] of directives) {
    const written = sshConfigValue(value, { tokens });
    if (written === undefined) return { problem: `its ${key} ${JSON.stringify(value)} cannot be written safely in ssh_config` };
    lines.push(`    ${key} ${written}`);
  }
  if (t.proxyCommand) {
    const proxy = proxyCommandValue(t.proxyCommand);
    if (proxy === undefined) return { problem: `its ProxyCommand ${JSON.stringify(t.proxyCommand.join(' '))} cannot be written safely in ssh_config` };
    lines.push(`    ProxyCommand ${proxy}`);
  }
  return { text: lines.join('\n') };
}

/**
 * Pure: a Host alias from the Name tag: runs of other characters become '-'. A Name holding control or
 * bidi characters, or one that looks like another instance's id, gives the instance's own id instead.
 */
export function hostAlias(name: string | undefined, id: string): string {
  if (!name || hasUnsafeTerminalChars(name)) return id;
  const clean = name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  if (LOOKS_LIKE_INSTANCE_ID.test(clean) && clean.toLowerCase() !== id.toLowerCase()) return id;
  return sshConfigAlias(clean) ?? id;
}
