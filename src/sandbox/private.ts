// The sandbox's state folder is its owner's alone: 0700, files 0600, refused when someone else could
// have planted or swapped something in it. Its secrets (AWS keys for SigV4, the admin token) are made
// per folder and live in one 0600 file there. Shared by the CLI and the server: node builtins only.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SandboxSecrets {
  accessKeyId: string;
  secretAccessKey: string;
  /** Bearer token for /_sandbox/*. */
  adminToken: string;
}

export const SECRETS_FILE = 'secrets.json';
/** Folders the sandbox itself keeps under its state folder; what lies inside an instance's root is the instance's. */
const OWN_DIRS = ['keys'];
const OWN_DIRS_NO_DESCENT = ['instances'];

const uid = () => process.getuid?.();

/** A one-line refusal: the caller prints it as is. */
export class UnsafeStateDirError extends Error {}

function otherWritable(mode: number): boolean { return (mode & 0o002) !== 0; }

/**
 * Creates `dir` 0700 or checks an existing one: it must be a directory owned by this user that others
 * cannot write (nor swap, through a parent others can write without the sticky bit). Looser modes left
 * by older versions (0755 folder, 0644 files) are narrowed to 0700/0600.
 */
export function securePrivateDir(dir: string, create = true): void {
  if (!create && !existsSync(dir)) return;
  try { mkdirSync(dir, { recursive: true, mode: 0o700 }); } catch (e) {
    throw new UnsafeStateDirError(`cannot create the sandbox directory ${dir}: ${(e as Error).message}`);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new UnsafeStateDirError(`the sandbox directory ${dir} is not a directory (a symbolic link?): refusing to use it`);
  const me = uid();
  if (me !== undefined && st.uid !== me) throw new UnsafeStateDirError(`the sandbox directory ${dir} belongs to user ${st.uid}, not to you (${me}): refusing to use it`);
  if (otherWritable(st.mode)) throw new UnsafeStateDirError(`the sandbox directory ${dir} is writable by other users (mode ${(st.mode & 0o7777).toString(8)}): refusing to use it; remove it or chmod 700 it after checking its contents`);
  const parent = statSync(dirname(dir));
  if (otherWritable(parent.mode) && (parent.mode & 0o1000) === 0) {
    throw new UnsafeStateDirError(`the sandbox directory's parent ${dirname(dir)} is writable by other users without the sticky bit: refusing to use ${dir}`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  narrowModes(dir, true);
}

/** 0600 files and 0700 folders at the top of the state folder and in the sandbox's own sub-folders. */
function narrowModes(dir: string, top: boolean): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      // Another process starting at the same time removed its temporary file meanwhile.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    if (st.isSymbolicLink()) continue; // never chmod through a link
    if (st.uid !== uid()) continue;
    if (st.isDirectory()) {
      if ((st.mode & 0o077) !== 0) chmodIfThere(p, 0o700);
      if (top && OWN_DIRS.includes(name)) narrowModes(p, false);
      else if (top && OWN_DIRS_NO_DESCENT.includes(name)) continue;
    } else if ((st.mode & 0o077) !== 0) chmodIfThere(p, 0o600);
  }
}

function chmodIfThere(p: string, mode: number): void {
  try { chmodSync(p, mode); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}

/**
 * Creates `path` with `data`, mode 0600, atomically and only if it does not exist yet: a temporary
 * file is hard-linked into place, so of two racing creators one wins and both read its content.
 * Returns false when the file already existed.
 */
export function createPrivateFileOnce(path: string, data: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600); // whatever the umask
    writeSync(fd, data);
  } finally { closeSync(fd); }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally { unlinkSync(tmp); }
}

/** Random AWS-shaped keys (AKIA + 16 base-32 characters, 40-character secret) and a 256-bit admin token. */
export function newSecrets(): SandboxSecrets {
  const b32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((b) => b32[b & 31]).join('');
  return {
    accessKeyId: `AKIA${id}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    adminToken: randomBytes(32).toString('base64url'),
  };
}

function parseSecrets(text: string, file: string): SandboxSecrets {
  let v: Partial<SandboxSecrets>;
  try { v = JSON.parse(text) as Partial<SandboxSecrets>; } catch { v = {}; }
  if (typeof v.accessKeyId !== 'string' || typeof v.secretAccessKey !== 'string' || typeof v.adminToken !== 'string' || !v.adminToken) {
    throw new UnsafeStateDirError(`the sandbox secrets file ${file} is damaged: stop the sandbox and remove the file to make new keys`);
  }
  return { accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey, adminToken: v.adminToken };
}

/** The folder's secrets, made on first use. `dir` must have passed securePrivateDir. */
export function loadOrCreateSecrets(dir: string): SandboxSecrets {
  const file = join(dir, SECRETS_FILE);
  createPrivateFileOnce(file, JSON.stringify(newSecrets()) + '\n');
  return readSecrets(dir)!;
}

/** The folder's secrets, or undefined when it has none (yet) or they cannot be read. */
export function readSecrets(dir: string): SandboxSecrets | undefined {
  const file = join(dir, SECRETS_FILE);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  return parseSecrets(text, file);
}
