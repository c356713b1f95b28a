// ec2scp's sources: remote wildcards expanded segment by segment, and every name a server lists
// checked before it becomes a path component.
import { TransferFsError, type TransferFs } from './fs.js';
import { hasGlob, matchNames, unescapeGlob } from './glob.js';
import { nameProblem, refusedName, UntrustedServerError } from './names.js';

/** Pure: strips trailing slashes (but keeps "/"), so `dir/` copies as `dir` like scp does. */
export function trimSlashes(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? (p.startsWith('/') ? '/' : '.') : t;
}

/**
 * The entries of a folder listing that may be used as path components. From a server every name is
 * checked (names.ts): one no folder can hold stops the copy (UntrustedServerError); one unsafe to write
 * is reported through `refuse` and left out. Local listings are the user's own and pass as they are.
 */
export function usableEntries<T extends { name: string }>(fs: TransferFs, dir: string, entries: T[], refuse: (msg: string) => void): T[] {
  if (fs.host === undefined) return entries;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const e of entries) {
    const problem = seen.has(e.name) ? { reason: 'listed twice', lie: true } : nameProblem(e.name);
    seen.add(e.name);
    if (problem?.lie) throw new UntrustedServerError(fs.display(dir), e.name, problem.reason);
    if (problem) refuse(refusedName(fs.display(fs.join(dir, e.name)), problem.reason));
    else out.push(e);
  }
  return out;
}

/**
 * Expands one source: plain paths as they are, remote wildcards segment by segment over readdir. The
 * client matches the pattern itself, so a name the server lists but the pattern does not match is never used.
 */
export async function expandSource(fs: TransferFs, path: string, refuse: (msg: string) => void = () => {}): Promise<string[]> {
  if (fs.host === undefined) return [path];
  const segments = path.split('/');
  if (!segments.some(hasGlob)) return [segments.map(unescapeGlob).join('/')];
  let bases = [path.startsWith('/') ? '/' : ''];
  for (const [index, seg] of segments.entries()) {
    if (seg === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlob(seg)) {
        next.push(base === '' ? unescapeGlob(seg) : fs.join(base, unescapeGlob(seg)));
        continue;
      }
      const dir = base === '' ? '.' : base;
      const entries = await fs.list(dir).catch((err) => {
        if (err instanceof TransferFsError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return [];
        throw err;
      });
      usableEntries(fs, dir, entries, () => {}); // a lie anywhere in the listing stops the copy
      // Before the last segment (`proj/*/*.log`) only folders (or links, perhaps to one) lead on, as in the shell.
      const leads = segments.slice(index + 1).some((x) => x !== '') ? entries.filter((e) => e.stat.isDirectory || e.stat.isSymlink) : entries;
      const wanted = matchNames(leads.map((e) => e.name), seg).map((name) => ({ name }));
      for (const { name } of usableEntries(fs, dir, wanted, refuse)) next.push(base === '' ? name : fs.join(base, name));
    }
    bases = next;
    if (bases.length === 0) break;
  }
  return bases;
}
