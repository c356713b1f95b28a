// What ec2launch hands a GraphTerm instance over SSH after boot, and the names both sides agree on:
// where a server's code and a host's key live, a host's GraphTerm name, and the POSIX sh script that
// stores a secret arriving on stdin (first writer wins). Pure; shared by ec2launch and the local target's
// boot of the real GraphTerm.
import { shellQuoteAlways as qs } from '../shellquote.js';
import { hostAuthFileName, serverAuthFileName } from './wrapper.js';

/** Pure: the file (relative to the login user's home) where ec2launch puts a server's code. */
export function serverAuthFile(externalHost: string): string {
  return `.graphterm/${serverAuthFileName(externalHost)}`;
}

/** Pure: the file (relative to the login user's home) where ec2launch puts a host's key. */
export function hostAuthFile(hostName: string): string {
  return `.graphterm/${hostAuthFileName(hostName)}`;
}

/** Pure: the first label of a Name tag, which is what gtermhost accepts (no dots). */
export function graphtermHostName(name: string): string {
  return name.split('.')[0]!;
}

/** Pure: a fleet host's Name and GraphTerm name: the fleet's name and the instance id without "i-". */
export function fleetHostName(fleet: string, instanceId: string): string {
  return `${graphtermHostName(fleet)}-${instanceId.replace(/^i-/, '')}`;
}

/**
 * Pure: the POSIX sh script ec2launch runs over SSH (as the login user, in its home) to deliver the auth
 * code. The code arrives on stdin only (never on a command line, in user-data or in a log) and is
 * written to a private temp file (umask 077), which is then hard-linked to AUTH_CODE_FILE: link(2) is
 * atomic and fails when the name exists, so the FIRST complete code stays (first writer wins; two
 * concurrent or repeated runs against one instance never replace the code GraphTerm started with, and
 * no reader ever sees a half-written file). The script then prints the code actually in force on
 * stdout, for ec2launch to report instead of its own. Exit 1 with a message on stderr (never the code)
 * when nothing usable could be stored.
 */
export function authCodeDeliveryScript(file: string, o: { replace?: boolean } = {}): string {
  const slash = file.lastIndexOf('/');
  const dir = slash > 0 ? file.slice(0, slash) : '.';
  const what = o.replace ? 'key' : 'auth code';
  const receive = [
    'umask 077',
    `f=${qs(file)}`,
    't="$f.$$.tmp"',
    `mkdir -p ${qs(dir)} || exit 1`,
    'cat >"$t" || { rm -f "$t"; exit 1; }',
    `if [ ! -s "$t" ]; then rm -f "$t"; echo 'no ${what} arrived on stdin' >&2; exit 1; fi`,
  ];
  // A host's key follows its server's code: a newer key must win (rename(2) is atomic too).
  const store = o.replace
    ? ['mv -f "$t" "$f" || { rm -f "$t"; exit 1; }']
    : ['ln "$t" "$f" 2>/dev/null || :', 'rm -f "$t"', `if [ ! -f "$f" ] || [ ! -s "$f" ]; then echo "no auth code could be stored in ~/$f" >&2; exit 1; fi`];
  return [
    ...receive,
    ...store,
    'cat "$f"',
    '',
  ].join('\n');
}

/**
 * Pure: the code the delivery script printed back (the one in force on the instance), or undefined when
 * it is not one usable code (empty, several lines, spaces or control characters), so that nothing odd is
 * ever printed to a terminal.
 */
export function parseDeliveredAuthCode(stdout: string): string | undefined {
  const code = stdout.replace(/[\r\n]+$/, '');
  return /^[\x21-\x7e]{1,256}$/.test(code) ? code : undefined;
}
