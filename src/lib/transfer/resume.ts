// --resume: finding what an interrupted copy left (one of our `.part` files, or a shorter file under
// the real name) and checking its end against the source before appending to it.
import { randomBytes } from 'node:crypto';
import { readFully } from './copy.js';
import type { ReadHandle } from './fs.js';
import type { FileJob } from './engine.js';

const PART_RE = /^\.(.+)\.ec2scp-[0-9a-f]{4}\.part$/;

/** Pure: the temporary name an upload or download is written under until it is complete. */
export function partName(base: string, tag = randomBytes(2).toString('hex')): string {
  return `.${base}.ec2scp-${tag}.part`;
}

/** Pure: is `name` one of our temporary files for `base`? */
export function isPartOf(name: string, base: string): boolean {
  const m = PART_RE.exec(name);
  return m !== null && m[1] === base;
}

/** How much of the end of an existing partial file is compared with the source before resuming. */
const RESUME_CHECK_BYTES = 1 << 20;

export interface Partial {
  path: string;
  size: number;
  /** The partial file is the target itself (appended in place), not one of our .part files. */
  inPlace: boolean;
}

export async function findPartial(job: FileJob): Promise<Partial | undefined> {
  const { dst, dstPath } = job;
  const dir = dst.dirname(dstPath);
  const base = dst.basename(dstPath);
  // The listing is lstat-like: a symbolic link (to a file anywhere) is never appended to, only replaced.
  const listing = await dst.list(dir).catch(() => []);
  const parts = listing
    .filter((e) => e.stat.isFile && isPartOf(e.name, base) && e.stat.size <= job.stat.size)
    .sort((a, b) => b.stat.size - a.stat.size);
  if (parts[0]) return { path: dst.join(dir, parts[0].name), size: parts[0].stat.size, inPlace: false };
  const existing = listing.find((e) => e.name === base)?.stat;
  if (existing?.isFile && existing.size <= job.stat.size) return { path: dstPath, size: existing.size, inPlace: true };
  return undefined;
}

/** Does the end of the partial file match the source at the same offsets? */
export async function tailMatches(src: ReadHandle, job: FileJob, partial: Partial, resumeAt: number): Promise<boolean> {
  if (resumeAt === 0) return true;
  const len = Math.min(RESUME_CHECK_BYTES, resumeAt);
  const pos = resumeAt - len;
  const r = await job.dst.openRead(partial.path);
  try {
    const [a, b] = await Promise.all([readFully(src, len, pos), readFully(r, len, pos)]);
    return a.length === len && a.equals(b);
  } finally {
    await r.close();
  }
}
