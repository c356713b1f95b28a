// Where shared connections live: a 0700 folder of this user's ($XDG_RUNTIME_DIR/ec2term-share, else
// <config dir>/share), holding each master's socket (0600) and token file (0600), and the name cache.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { configDir } from '../paths.js';

export function shareDir(env: NodeJS.ProcessEnv): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'ec2term-share') : join(configDir(env), 'share');
}

/** Pure: a short stable name for a list of parts (no part can run into the next). */
export function keyOf(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

export const socketPath = (dir: string, key: string) => join(dir, `${key}.sock`);
export const tokenPath = (socket: string) => `${socket}.token`;
export const nameEntryPath = (dir: string, key: string) => join(dir, `${key}.name.json`);

/**
 * Creates the folder 0700 if missing, and says why it cannot be trusted if it is there already: owned by
 * someone else, or open to group or others (then another user could reach a master, or plant one).
 */
export async function privateDirProblem(dir: string): Promise<string | undefined> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fsp.lstat(dir);
  if (!st.isDirectory()) return `${dir} is not a folder`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to uid ${st.uid}, not to you`;
  if ((st.mode & 0o077) !== 0) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}; want 700)`;
  return undefined;
}
