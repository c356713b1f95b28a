// What ec2scp accepts from a server: every file name it lists is untrusted (the class of OpenSSH scp's
// CVE-2019-6111 / CVE-2018-20685, where a server chose where the client wrote). The client decides every
// path itself from what the user asked for plus names out of folder listings, and each such name must be
// one plain path component. Pure; the engine applies these rules to every listing from a server.
import { Ec2termError } from '../errors.js';

/** C0, DEL and C1 controls, format characters (bidi, zero-width), surrogates, line/paragraph separators. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
const CONTROL = /\p{Cc}/u;

/** A path or name as a terminal may show it: controls as \xNN, other invisible characters as \uNNNN. */
export function showName(name: string): string {
  return name.replace(UNSHOWABLE, (c) => {
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

export interface NameProblem {
  reason: string;
  /**
   * True when no real folder can hold such a name (a `/`, NUL, empty, listed twice): the server is lying,
   * and nothing more it says is trusted (the copy stops). False for names a file system can hold but that
   * are unsafe to write here (control characters): that file is refused, the rest go on.
   */
  lie: boolean;
}

/** Why a name from a folder listing may not be used as a path component, or undefined when it may. */
export function nameProblem(name: string): NameProblem | undefined {
  if (name === '') return { reason: 'empty', lie: true };
  if (name.includes('\0')) return { reason: 'contains a NUL byte', lie: true };
  if (name.includes('/')) return { reason: 'contains "/"', lie: true };
  if (name === '.' || name === '..') return { reason: `is "${name}"`, lie: true };
  if (CONTROL.test(name)) return { reason: 'contains control characters', lie: false };
  return undefined;
}

/**
 * A server sent a name no real folder holds: the whole copy stops before any file is written (exit 1,
 * as OpenSSH scp exits on "unexpected filename"). Not a ConnectionError: the connection works; the peer
 * is not to be trusted.
 */
export class UntrustedServerError extends Ec2termError {
  constructor(readonly where: string, readonly badName: string, readonly reason: string) {
    super(`${where}: refused file name "${showName(badName)}" from the server (${reason}; no real folder lists one); copy stopped, nothing copied`);
  }
}

/** The message for a name refused on its own (the other files are still copied). */
export function refusedName(where: string, reason: string): string {
  return `${where}: refused file name from the server (${reason}); not copied`;
}

/** OpenSSH's sftp stops at this folder depth (MAX_DIR_DEPTH): a server can list a folder inside itself forever. */
export const MAX_DEPTH = 64;
