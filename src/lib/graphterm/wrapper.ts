// The GraphTerm start script ("the wrapper") that the systemd unit runs, and the conf file it reads.
//
// CONTRACT (how to run it anywhere, not only on EC2; local targets and the tests do exactly this):
//   1. Write a conf file (bash assignments, every value shell-quoted: use graphtermConf()). Keys:
//        GTERM_ROLE           server | host
//        GTERM_BIN            folder holding gtermserver and gtermhost (default /usr/local/bin)
//        GTERM_PYTHON         Python 2.7 with tornado, for the helpers `hosts`/`hostkey` (default python2)
//        GTERM_PORT           server HTTP port (default 8900; the untrusted-content server is PORT+1)
//        GTERM_BIND           address gtermserver binds (--host; default 0.0.0.0)
//        GTERM_EXTERNAL_HOST  the public name users reach (--external_host; names the code file)
//        GTERM_EXTERNAL_PORT  80 or 443 when a redirect sits in front (--external_port; default none)
//        GTERM_INTERNAL_HOST  address the host port (PORT-1) listens on (--internal_host; default localhost)
//        GTERM_AUTH_TYPE      singleuser | multiuser | name | none
//        GTERM_SUPER_USERS    multiuser: --super_users (with --user_setup=auto, as the original did)
//        GTERM_HTTPS          yes | no  (yes: a 2048-bit certificate is made on first run, see below)
//        GTERM_SCREEN         yes | no  (run under GNU screen -D -m, attachable with `screen -r`)
//        GTERM_LOGGING        yes | no  (--logging)
//        GTERM_OSHELL         yes | no  (--oshell; with screen also --oshell_input)
//        GTERM_EXTRA          bash array of further gtermserver options (--allow_embed, --nb_server, ...)
//        GTERM_HOST_NAME      host: the dot-free name gtermhost joins as
//        GTERM_SERVER_ADDR    host: the server's (private) address;  GTERM_SERVER_PORT: its host port (8899)
//        GTERM_AUTH_FILE      host: its key file (default ~/.graphterm/NAME_gterm_auth.txt)
//        GTERM_JOIN_PORT      the key responder's port on the server's private address (default 8898)
//        GTERM_JOIN_CERT      server: the certificate that signs instance identity documents (AWS's for the
//                             region); set: the key responder runs beside gtermserver (docs/fleets.md)
//        GTERM_IDENTITY_DIR   local targets only: files `document` and `signature` instead of the metadata service
//        GTERM_SOURCE_ADDR    local targets only (host): the address a host asks from (its own loopback)
//        GTERM_PEER_MAP       local targets only (server): lines "SEEN_ADDRESS PRIVATE_IP" for the source check
//   2. Run, as the login user with HOME = that user's passwd home (gtermserver insists):
//        EC2TERM_GRAPHTERM_CONF=/path/graphterm.conf ec2term-graphterm run      # foreground; what systemd runs
//      GRAPHTERM_BIN=/dir overrides GTERM_BIN (e.g. the test runtime's bin/ with its python2 shims).
//   Other subcommands: `args` (print the command line, one word a line: it never holds a secret),
//   `ready [SECONDS]` (exit 0 once the server answers HTTP on its port, or the host has joined; else the
//   last lines of GraphTerm's output and exit 1), `hosts` (server: the joined host names, asked through
//   GraphTerm's own websocket with the code read from its file), `hostkey NAME` (server: the key a host
//   NAME needs, the HMAC `gauth NAME` prints), `authfile` (the code file's path), `redirect` (root: the
//   iptables redirect 80 -> PORT, 81 -> PORT+1; 443/444 with https), `keys` (server: the key responder,
//   foreground; `run` starts it beside gtermserver when GTERM_JOIN_CERT is set), `join [SECONDS]` (fleet host:
//   ask the server's responder for its own key with the instance's signed identity document, store it).
//
// Secrets: the server's code is only ever in ~/.graphterm/@EXTERNAL_HOST_gterm_auth.txt (0600), where
// GraphTerm 0.57 reads it; never on a command line. A host's key is only in its GTERM_AUTH_FILE.
// Why the certificate goes to ~/.graphterm/localhost.pem and not --certfile: in 0.57 --certfile crashes
// the server (run_server reads `server_name` before assigning it); localhost.pem is the file it uses when
// --certfile is absent, and it only makes its own (1024-bit, refused at OpenSSL level 2) when that is missing.
// The script's text is in wrapper-script.ts; the paths and ports in places.ts.
import { shellQuote } from '../shellquote.js';

export { wrapperScript } from './wrapper-script.js';
export { CONF_PATH, GRAPHTERM_PORT, HOST_PORT, IDENTITY_CERT_PATH, JOIN_PORT, UNIT_NAME, WRAPPER_PATH } from './places.js';

/** The options gtermserver 0.57 has (optparse: any other exits 2 with "no such option"). */
export const GTERMSERVER_OPTIONS = [
  'config', 'select', 'auth_type', 'auth_users', 'host', 'port', 'terminal', 'external_host', 'external_port', 'internal_host',
  'internal_port', 'blob_host', 'nomathjax', 'nolocal', 'nogoog_auth', 'super_users', 'shell_command', 'oshell', 'oshell_input',
  'https', 'internal_https', 'user_setup', 'prompts', 'lc_export', 'nb_ext', 'nb_autosave', 'nb_server', 'allow_embed',
  'allow_share', 'users_dir', 'no_reset', 'no_formcheck', 'certfile', 'client_cert', 'term_type', 'term_encoding', 'term_opts',
  'term_settings', 'max_terminals', 'lterm_logfile', 'logging', 'widget_port', 'daemon',
] as const;

/** The options gtermhost 0.57 has (plus one positional host name). */
export const GTERMHOST_OPTIONS = [
  'server_addr', 'server_port', 'external_host', 'remote_port', 'auth_file', 'oshell', 'oshell_input', 'internal_certfile',
  'logging', 'lterm_logfile', 'daemon',
] as const;

/** gtermhost's host-name rule (HOST_RE in gtermhost.py, without its wildcards): no dots. */
export const GTERM_HOST_NAME_RE = /^[a-z][a-z0-9-]*$/;

export interface GraphTermConf {
  role: 'server' | 'host';
  bin?: string;
  python?: string;
  port?: number;
  bind?: string;
  externalHost?: string;
  externalPort?: number;
  internalHost?: string;
  authType?: string;
  superUsers?: string;
  https?: boolean;
  screen?: boolean;
  logging?: boolean;
  oshell?: boolean;
  extra?: string[];
  hostName?: string;
  serverAddr?: string;
  serverPort?: number;
  authFile?: string;
  joinCert?: string;
}

const yn = (b: boolean | undefined) => (b ? 'yes' : 'no');

/** Pure: the conf file for a GraphTermConf (unset values are left out, so the wrapper's defaults apply). */
export function graphtermConf(c: GraphTermConf): string {
  const lines: string[] = ['# ec2term GraphTerm settings, read by ec2term-graphterm (bash; every value quoted)'];
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') lines.push(`${k}=${shellQuote(String(v))}`);
  };
  set('GTERM_ROLE', c.role);
  set('GTERM_BIN', c.bin);
  set('GTERM_PYTHON', c.python);
  set('GTERM_PORT', c.port);
  set('GTERM_BIND', c.bind);
  set('GTERM_EXTERNAL_HOST', c.externalHost);
  set('GTERM_EXTERNAL_PORT', c.externalPort);
  set('GTERM_INTERNAL_HOST', c.internalHost);
  set('GTERM_AUTH_TYPE', c.authType);
  set('GTERM_SUPER_USERS', c.superUsers);
  set('GTERM_HTTPS', yn(c.https));
  set('GTERM_SCREEN', yn(c.screen));
  set('GTERM_LOGGING', yn(c.logging));
  set('GTERM_OSHELL', yn(c.oshell));
  lines.push(`GTERM_EXTRA=(${(c.extra ?? []).map(shellQuote).join(' ')})`);
  set('GTERM_HOST_NAME', c.hostName);
  set('GTERM_SERVER_ADDR', c.serverAddr);
  set('GTERM_SERVER_PORT', c.serverPort);
  set('GTERM_AUTH_FILE', c.authFile);
  set('GTERM_JOIN_CERT', c.joinCert);
  return lines.join('\n') + '\n';
}

/** Pure: the file name (in ~/.graphterm) holding a server's code, as GraphTerm 0.57 names it. */
export function serverAuthFileName(externalHost: string): string {
  return externalHost === '' || externalHost === 'localhost' ? '_gterm_auth.txt' : `@${externalHost}_gterm_auth.txt`;
}

/** Pure: the key file (in ~/.graphterm) gtermhost NAME reads when started without --external_host. */
export function hostAuthFileName(hostName: string): string {
  return `${hostName}_gterm_auth.txt`;
}

/** Pure: "abcdEFGH12345678" -> "abcd-EFGH-1234-5678" (GraphTerm's dashed groups of four). */
export function dashify(code: string): string {
  const s = code.replace(/[-\s]/g, '');
  return (s.match(/.{1,4}/g) ?? []).join('-');
}
