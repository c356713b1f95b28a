// Pure: ec2ssh --ssh-config's own file (~/.ssh/config.d/ec2term), one block per instance, each block
// replaced as a whole when written again; and the one `Include` line it needs at the top of
// ~/.ssh/config (ssh_config(5): the first value obtained wins, and a line after a `Host` line belongs to
// that block, so an Include at the end would apply only inside the last block).
import { sshConfigValue } from '../untrusted.js';

const MARK = '# ec2term-instance ';
export const MANAGED_HEADER = [
  '# Written by `ec2ssh --ssh-config`; rewritten whole each time (edits here are lost).',
  '# Each Host reaches its instance through `ec2ssh --stdio ID`, which looks the instance up at connect',
  "# time, so stop/start (new addresses) needs no rewrite. Host keys: ec2term's pins (HostKeyAlias = id).",
].join('\n');

/** Pure: the managed file's blocks by instance id (anything before the first block is dropped). */
export function parseManaged(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let id: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (id) blocks.set(id, lines.join('\n').replace(/\n+$/, ''));
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith(MARK)) {
      flush();
      id = line.slice(MARK.length).trim();
      lines = [line];
    } else if (id) lines.push(line);
  }
  flush();
  return blocks;
}

/** Pure: one block's text with its marker line first. */
export function markBlock(id: string, block: string): string {
  return `${MARK}${id}\n${block}`;
}

/** Pure: the managed file from blocks (sorted by their Host line, so rewrites are stable). */
export function renderManaged(blocks: Map<string, string>): string {
  const hostOf = (b: string) => /^Host (.*)$/m.exec(b)?.[1] ?? '';
  const sorted = [...blocks.values()].sort((a, b) => hostOf(a).localeCompare(hostOf(b)));
  return `${MANAGED_HEADER}\n\n${sorted.join('\n\n')}${sorted.length ? '\n' : ''}`;
}

/**
 * Pure: ~/.ssh/config with `Include PATH` added at the top, or undefined when an Include of PATH is
 * already there (anywhere outside a Host/Match block) or PATH cannot be written safely.
 */
export function withInclude(config: string, includePath: string): { text: string } | { already: true } | { problem: string } {
  const value = sshConfigValue(includePath);
  if (value === undefined) return { problem: `the path ${JSON.stringify(includePath)} cannot be written in ssh_config` };
  let inBlock = false;
  for (const raw of config.split(/\r?\n/)) {
    const m = /^\s*(\w+)(?:\s*=\s*|\s+)(.*?)\s*$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'host' || key === 'match') inBlock = !/^(\*|all)$/i.test(m[2]!.trim());
    if (key === 'include' && !inBlock && m[2]!.split(/\s+/).some((w) => w.replace(/^"(.*)"$/, '$1') === includePath)) return { already: true };
  }
  const head = `# Added by ec2ssh --ssh-config (once): its Host blocks, kept current by it.\nInclude ${value}\n`;
  return { text: config === '' ? head : `${head}\n${config}` };
}
