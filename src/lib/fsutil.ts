// File writes that never leave a half-written or world-readable file behind.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** Creates `dir` (and parents) with mode 0700 where it has to create them. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, created with `mode`,
 * flushed, then renamed over the target. Readers see the old file or the new one, never a part.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // umask may have narrowed or widened it
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** A path that exists but is not a regular file (a FIFO, socket, device or folder). */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`it is ${kind}, not a regular file`);
  }
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Throws NotRegularFileError when `path` exists and is not a regular file (symlinks followed): reading a
 * FIFO waits for a writer forever. /dev/null counts as an empty file (a common way to switch one off).
 */
export async function checkRegularFile(path: string): Promise<'file' | 'missing'> {
  if (path === '/dev/null') return 'missing';
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) throw new NotRegularFileError(path, kindOf(st));
    return 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

/**
 * Reads a file, or undefined when it does not exist. Opened non-blocking and checked on the open handle,
 * so a FIFO (or a file swapped for one) is refused with NotRegularFileError instead of hanging.
 */
export async function readIfExists(path: string): Promise<string | undefined> {
  if (path === '/dev/null') return '';
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, kindOf(st));
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
