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
import { shellQuote } from '../shellquote.js';

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

/** Where things live on an instance. */
export const WRAPPER_PATH = '/usr/local/sbin/ec2term-graphterm';
export const CONF_PATH = '/etc/ec2term/graphterm.conf';
export const IDENTITY_CERT_PATH = '/etc/ec2term/identity-cert.pem';
export const UNIT_NAME = 'ec2term-graphterm';
export const GRAPHTERM_PORT = 8900;
export const HOST_PORT = 8899;
/** The key responder: fleet hosts ask the server for their keys here (the server's private address). */
export const JOIN_PORT = 8898;

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

/**
 * The wrapper script. Pure constant text: everything it needs comes from the conf file, so the same bytes
 * run on EC2, on a local target and in the tests.
 */
export function wrapperScript(): string {
  return `#!/bin/bash
# ec2term-graphterm: runs GraphTerm 0.57 for ec2term (see the contract in ec2term's src/lib/graphterm/wrapper.ts).
# Usage: ec2term-graphterm run|args|ready [SECONDS]|hosts|hostkey NAME|authfile|redirect|keys|join [SECONDS]
set -euo pipefail
CONF=\${EC2TERM_GRAPHTERM_CONF:-${CONF_PATH}}
GTERM_EXTRA=()
# shellcheck disable=SC1090
. "$CONF"
BIN=\${GRAPHTERM_BIN:-\${GTERM_BIN:-/usr/local/bin}}
PY=\${GTERM_PYTHON:-python2}
PORT=\${GTERM_PORT:-${GRAPHTERM_PORT}}
BIND=\${GTERM_BIND:-0.0.0.0}
EXT=\${GTERM_EXTERNAL_HOST:-}
AUTH=\${GTERM_AUTH_TYPE:-singleuser}
APPDIR="$HOME/.graphterm"

die() { echo "ec2term-graphterm: $*" >&2; exit 1; }

authfile() {
  if [ -z "$EXT" ] || [ "$EXT" = localhost ]; then echo "$APPDIR/_gterm_auth.txt"; else echo "$APPDIR/@\${EXT}_gterm_auth.txt"; fi
}

# The command line, one word a line (never a secret: codes live in files).
args() {
  if [ "$GTERM_ROLE" = host ]; then
    local key=\${GTERM_AUTH_FILE:-$APPDIR/\${GTERM_HOST_NAME}_gterm_auth.txt}
    # A server without codes (auth none/name) gives hosts the key "none", which gtermhost spells --auth_file=none.
    if [ -f "$key" ] && [ "$(tr -d ' \\n' <"$key")" = none ]; then key=none; fi
    printf '%s\\n' "$BIN/gtermhost" "--server_addr=$GTERM_SERVER_ADDR" "--server_port=\${GTERM_SERVER_PORT:-${HOST_PORT}}" "--auth_file=$key"
    [ "\${GTERM_LOGGING:-no}" = yes ] && echo --logging
    [ "\${GTERM_OSHELL:-no}" = yes ] && echo --oshell
    [ "\${GTERM_OSHELL:-no}" = yes ] && [ "\${GTERM_SCREEN:-no}" = yes ] && echo --oshell_input
    printf '%s\\n' "$GTERM_HOST_NAME"
    return
  fi
  printf '%s\\n' "$BIN/gtermserver" "--auth_type=$AUTH" "--host=$BIND" "--port=$PORT"
  [ -n "$EXT" ] && echo "--external_host=$EXT"
  [ -n "\${GTERM_EXTERNAL_PORT:-}" ] && echo "--external_port=$GTERM_EXTERNAL_PORT"
  [ -n "\${GTERM_INTERNAL_HOST:-}" ] && echo "--internal_host=$GTERM_INTERNAL_HOST"
  if [ "$AUTH" = multiuser ]; then
    echo --user_setup=auto
    [ -n "\${GTERM_SUPER_USERS:-}" ] && echo "--super_users=$GTERM_SUPER_USERS"
  fi
  [ "\${GTERM_HTTPS:-no}" = yes ] && echo --https
  [ "\${GTERM_LOGGING:-no}" = yes ] && echo --logging
  [ "\${GTERM_OSHELL:-no}" = yes ] && echo --oshell
  [ "\${GTERM_OSHELL:-no}" = yes ] && [ "\${GTERM_SCREEN:-no}" = yes ] && echo --oshell_input
  if [ \${#GTERM_EXTRA[@]} -gt 0 ]; then printf '%s\\n' "\${GTERM_EXTRA[@]}"; fi
  return 0
}

# A 2048-bit self-signed certificate (GraphTerm's own is 1024-bit: refused at OpenSSL security level 2).
certificate() {
  local pem="$APPDIR/localhost.pem" tmp
  [ -s "$pem" ] && return 0
  mkdir -p "$APPDIR" && chmod 700 "$APPDIR"
  tmp=$(mktemp -d)
  openssl req -x509 -nodes -days 825 -newkey rsa:2048 -batch -subj "/O=GraphTerm/CN=\${EXT:-localhost}" \\
    -keyout "$tmp/key" -out "$tmp/crt" >/dev/null 2>&1 || { rm -rf "$tmp"; die 'openssl could not make the https certificate'; }
  (umask 077 && cat "$tmp/key" "$tmp/crt" >"$pem.tmp" && mv "$pem.tmp" "$pem")
  rm -rf "$tmp"
}

run() {
  local words=()
  mapfile -t words < <(args)
  if [ "$GTERM_ROLE" = server ]; then
    mkdir -p "$APPDIR" && chmod 700 "$APPDIR"
    [ "\${GTERM_HTTPS:-no}" = yes ] && certificate
    # With a code, never let GraphTerm invent one nobody was given: the delivered file must be there.
    case "$AUTH" in singleuser|multiuser) [ -s "$(authfile)" ] || die "no auth code in $(authfile) (ec2launch delivers it over SSH)";; esac
    # Fleet hosts ask for their keys beside the host port; it dies with the service (one process group).
    if [ -n "\${GTERM_JOIN_CERT:-}" ] && [ -n "\${GTERM_INTERNAL_HOST:-}" ]; then keys & fi
  else
    [ -s "\${words[3]#--auth_file=}" ] || [ "\${words[3]}" = --auth_file=none ] || die "no host key in \${words[3]#--auth_file=} (ec2launch delivers it over SSH)"
  fi
  cd "$HOME"
  if [ "\${GTERM_SCREEN:-no}" = yes ]; then
    local log=()
    [ "\${GTERM_LOGGING:-no}" = yes ] && log=(-L)
    # -D -m: detached but in the foreground, so the service manager still sees GraphTerm exit.
    exec screen -D -m "\${log[@]}" -S "$(basename "\${words[0]}")" "\${words[@]}"
  fi
  exec "\${words[@]}"
}

scheme() { if [ "\${GTERM_HTTPS:-no}" = yes ]; then echo https; else echo http; fi; }
probe_addr() { if [ "$BIND" = 0.0.0.0 ]; then echo 127.0.0.1; else echo "$BIND"; fi; }

last_lines() {
  echo '--- last lines of GraphTerm ---'
  if command -v journalctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    journalctl -u ${UNIT_NAME} -n 20 --no-pager 2>/dev/null || true
  fi
  if [ -n "\${GTERM_LOG:-}" ] && [ -f "$GTERM_LOG" ]; then tail -n 20 "$GTERM_LOG"; fi
  if [ "\${GTERM_SCREEN:-no}" = yes ] && [ -f "$HOME/screenlog.0" ]; then tail -n 20 "$HOME/screenlog.0"; fi
  return 0
}

# A host has joined when its gtermhost's own connection to the server's host port stays up (the server
# closes it at once when the key is wrong; gtermhost then logs "Invalid server token").
host_joined() {
  local dst="$GTERM_SERVER_ADDR:\${GTERM_SERVER_PORT:-${HOST_PORT}}" pid
  for pid in $(pgrep -f -- "gtermhost .* \${GTERM_HOST_NAME}\$" || true); do
    ss -Htnp state established dst "$dst" 2>/dev/null | grep -q "pid=$pid," || continue
    sleep 2
    ss -Htnp state established dst "$dst" 2>/dev/null | grep -q "pid=$pid," && return 0
  done
  return 1
}

ready() {
  local limit=\${1:-120} start=$SECONDS
  while [ $((SECONDS - start)) -lt "$limit" ]; do
    if [ "$GTERM_ROLE" = host ]; then
      host_joined && { echo "joined $GTERM_SERVER_ADDR as $GTERM_HOST_NAME"; return 0; }
    elif curl -fsk --max-time 5 "$(scheme)://$(probe_addr):$PORT/" 2>/dev/null | grep -qi graphterm; then
      echo "answering on $(scheme)://$(probe_addr):$PORT/"
      return 0
    fi
    sleep 1
  done
  if [ "$GTERM_ROLE" = host ]; then echo "gtermhost did not join $GTERM_SERVER_ADDR within \${limit}s" >&2
  else echo "gtermserver is not answering on $(scheme)://$(probe_addr):$PORT/ after \${limit}s" >&2; fi
  last_lines >&2
  return 1
}

# Python 2 + tornado (GraphTerm's own) for what bash cannot do: HMACs and GraphTerm's websocket.
helper() {
  "$PY" - "$@" <<'PY'
import sys, hmac, hashlib, json, os, ssl, urllib2
what, port, scheme, addr, auth, codefile, arg = sys.argv[1:8]
code = ""
if auth in ("singleuser", "multiuser"):
    code = open(codefile).read().split()[0].replace("-", "")
mac = lambda key, msg: hmac.new(key, msg, hashlib.sha256).hexdigest()[:16]
if what == "hostkey":
    key = mac(code, "1|" + arg) if code else "none"
    print("-".join(key[i:i + 4] for i in range(0, len(key), 4)) if code else key)
    sys.exit(0)
from tornado import gen, httpclient, ioloop, websocket
base = "%s://%s:%s" % (scheme, addr, port)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
nonce = urllib2.urlopen(base + "/_auth/?nonce=ec2term", context=ctx).read().split(":")[0]
user = arg if auth in ("multiuser", "name") else ""
@gen.coroutine
def ask():
    url = "%s/_websocket/?cauth=%s&code=%s&user=%s" % (base.replace("http", "ws", 1), nonce, mac(code, nonce) if code else "", user)
    ws = yield websocket.websocket_connect(httpclient.HTTPRequest(url, headers={"Origin": base}, validate_cert=False))
    msg = yield ws.read_message()
    raise gen.Return(json.loads(msg or "[]"))
for m in ioloop.IOLoop.current().run_sync(ask, timeout=20):
    if m[0] == "host_list":
        print("\\n".join(h for h in m[5] if h != "local"))
        sys.exit(0)
sys.stderr.write("GraphTerm did not list its hosts: %s\\n" % (m[0],))
sys.exit(1)
PY
}

# The key responder (server) and its client (fleet host): docs/fleets.md, "How a replacement host joins".
# A host sends its instance identity document and AWS's signature of it; the server answers with the key
# of NAME-<instance id> only when the signature verifies against GTERM_JOIN_CERT, the document is of the
# server's own account and region, NAME ends in that instance id and the request comes from the
# document's private address. Keys and codes are never logged; openssl verifies (Python 2 has no RSA).
joinhelper() {
  "$PY" - "$@" <<'PY'
import sys, os, json, hmac, hashlib, base64, subprocess, tempfile, shutil, socket, time, re, urllib2, httplib
import BaseHTTPServer, SocketServer
what, addr, port, auth, codefile, name, identity_dir, source, peer_map, arg = sys.argv[1:11]
port = int(port)
say = lambda m: sys.stderr.write("ec2term-graphterm %s: %s\\n" % (what, m))

def identity():
    if identity_dir:
        return open(os.path.join(identity_dir, "document")).read(), open(os.path.join(identity_dir, "signature")).read().strip()
    base = "http://169.254.169.254/latest"
    req = urllib2.Request(base + "/api/token", data="", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    req.get_method = lambda: "PUT"
    token = urllib2.urlopen(req, timeout=5).read()
    get = lambda p: urllib2.urlopen(urllib2.Request(base + p, headers={"X-aws-ec2-metadata-token": token}), timeout=5).read()
    return get("/dynamic/instance-identity/document"), get("/dynamic/instance-identity/signature").strip()

if what == "join":
    limit = time.time() + int(arg or "600")
    out = codefile
    body = None
    while time.time() < limit:
        if os.path.isfile(out) and os.path.getsize(out) > 0:
            say("%s is there already" % out)
            sys.exit(0)
        try:
            if body is None:
                doc, sig = identity()
                body = json.dumps({"name": name, "document": doc, "signature": sig})
            c = httplib.HTTPConnection(addr, port, timeout=10, source_address=(source, 0) if source else None)
            c.request("POST", "/hostkey", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            text = r.read(4096).strip()
            if r.status == 200 and re.match("^([0-9a-f]{4}-){3}[0-9a-f]{4}$|^none$", text):
                d = os.path.dirname(out)
                if not os.path.isdir(d): os.makedirs(d, 0700)
                fd, tmp = tempfile.mkstemp(dir=d)
                os.write(fd, text + "\\n")
                os.close(fd)
                os.rename(tmp, out)
                say("the server gave %s its key" % name)
                sys.exit(0)
            if r.status == 403:
                say("the server refused: %s" % text[:200])
                sys.exit(1)
            say("the server answered %d (%s); asking again" % (r.status, text[:200]))
        except (socket.error, httplib.HTTPException, urllib2.URLError, IOError) as e:
            say("cannot ask yet (%s); asking again" % (e,))
        time.sleep(2)
    say("no key from %s:%d in time" % (addr, port))
    sys.exit(1)

# what == "keys": the responder.
work = tempfile.mkdtemp()
pub = os.path.join(work, "pub.pem")
if subprocess.call(["openssl", "x509", "-pubkey", "-noout", "-in", arg, "-out", pub]) != 0:
    say("cannot read the identity certificate %s" % arg)
    sys.exit(1)
own = json.loads(identity()[0])
HOST_RE = re.compile("^[a-z][a-z0-9-]{0,62}$")

def verified(doc, sig):
    d = tempfile.mkdtemp(dir=work)
    try:
        open(os.path.join(d, "doc"), "wb").write(doc)
        open(os.path.join(d, "sig"), "wb").write(base64.b64decode(sig))
        p = subprocess.Popen(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", os.path.join(d, "sig"), os.path.join(d, "doc")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.communicate()
        return p.returncode == 0
    except (TypeError, ValueError):
        return False
    finally:
        shutil.rmtree(d, True)

def seen_as(src):
    # A local target's instances share one machine: its map says which private address a source stands for.
    found = src
    if peer_map and os.path.isfile(peer_map):
        for line in open(peer_map):
            w = line.split()
            if len(w) == 2 and w[0] == src: found = w[1]
    return found

def key_for(host):
    if auth not in ("singleuser", "multiuser"): return "none"
    code = open(codefile).read().split()[0].replace("-", "")
    k = hmac.new(code, "1|" + host, hashlib.sha256).hexdigest()[:16]
    return "-".join(k[i:i + 4] for i in range(0, 16, 4))

def decide(src, body):
    try:
        req = json.loads(body)
        host, doc, sig = req["name"], req["document"].encode("utf-8"), req["signature"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return 400, "expected JSON with name, document and signature", ""
    if not isinstance(host, basestring) or not HOST_RE.match(host): return 403, "not a GraphTerm host name", ""
    if not verified(doc, sig): return 403, "the identity document's signature does not verify", host
    d = json.loads(doc)
    iid = str(d.get("instanceId", ""))
    if d.get("accountId") != own.get("accountId") or d.get("region") != own.get("region"): return 403, "the instance is not of this server's account and region", host
    if not re.match("^i-[0-9a-f]{8,17}$", iid) or not host.endswith("-" + iid[2:]): return 403, "the name is not this instance's (NAME-<instance id>)", host
    if seen_as(src) != d.get("privateIp"): return 403, "the request does not come from the instance's private address", host
    if auth in ("singleuser", "multiuser") and not (os.path.isfile(codefile) and os.path.getsize(codefile) > 0): return 503, "the server has no code yet", host
    return 200, key_for(host), host

class Handler(BaseHTTPServer.BaseHTTPRequestHandler):
    timeout = 10
    def log_message(self, *a): pass
    def answer(self, status, text):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text) + 1))
        self.end_headers()
        self.wfile.write(text + "\\n")
    def do_POST(self):
        n = int(self.headers.getheader("content-length") or "0")
        if self.path != "/hostkey" or n <= 0 or n > 16384: return self.answer(400, "POST /hostkey with a body under 16 KB")
        status, text, host = decide(self.client_address[0], self.rfile.read(n))
        if status == 200: say("gave %s its key (asked from %s)" % (host, self.client_address[0]))
        else: say("refused %s from %s: %s" % (host or "a request", self.client_address[0], text))
        self.answer(status, text)

class Server(SocketServer.ThreadingMixIn, BaseHTTPServer.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
try:
    srv = Server((addr, port), Handler)
except socket.error as e:
    say("cannot listen on %s:%d (%s)" % (addr, port, e))
    sys.exit(1)
say("answering fleet hosts on %s:%d" % (addr, port))
srv.serve_forever()
PY
}

keys() {
  [ -n "\${GTERM_JOIN_CERT:-}" ] || die 'no GTERM_JOIN_CERT: the key responder needs the certificate that signs identity documents'
  joinhelper keys "\${GTERM_INTERNAL_HOST:?}" "\${GTERM_JOIN_PORT:-${JOIN_PORT}}" "$AUTH" "$(authfile)" '' "\${GTERM_IDENTITY_DIR:-}" '' "\${GTERM_PEER_MAP:-}" "$GTERM_JOIN_CERT"
}

join() {
  local key=\${GTERM_AUTH_FILE:-$APPDIR/\${GTERM_HOST_NAME}_gterm_auth.txt}
  joinhelper join "$GTERM_SERVER_ADDR" "\${GTERM_JOIN_PORT:-${JOIN_PORT}}" '' "$key" "$GTERM_HOST_NAME" "\${GTERM_IDENTITY_DIR:-}" "\${GTERM_SOURCE_ADDR:-}" '' "\${1:-600}"
}

# Who asks for the host list: multiuser needs a super user; name auth any unused name.
asker() { if [ "$AUTH" = multiuser ]; then echo "\${GTERM_SUPER_USERS%%,*}"; else echo ec2term; fi; }

redirect() {
  local from=80
  [ "\${GTERM_HTTPS:-no}" = yes ] && from=443
  for j in 0 1; do
    iptables -t nat -C PREROUTING -p tcp --dport $((from + j)) -j REDIRECT --to-ports $((PORT + j)) 2>/dev/null ||
      iptables -t nat -A PREROUTING -p tcp --dport $((from + j)) -j REDIRECT --to-ports $((PORT + j))
    # The instance reaching its own URL goes through OUTPUT, not PREROUTING.
    iptables -t nat -C OUTPUT -o lo -p tcp --dport $((from + j)) -j REDIRECT --to-ports $((PORT + j)) 2>/dev/null ||
      iptables -t nat -A OUTPUT -o lo -p tcp --dport $((from + j)) -j REDIRECT --to-ports $((PORT + j))
  done
}

case "\${1:-run}" in
  run) run ;;
  args) args ;;
  ready) ready "\${2:-120}" ;;
  authfile) authfile ;;
  hosts) helper hosts "$PORT" "$(scheme)" "$(probe_addr)" "$AUTH" "$(authfile)" "$(asker)" ;;
  hostkey) [ -n "\${2:-}" ] || die 'usage: ec2term-graphterm hostkey NAME'; helper hostkey "$PORT" "$(scheme)" "$(probe_addr)" "$AUTH" "$(authfile)" "$2" ;;
  redirect) redirect ;;
  keys) keys ;;
  join) join "\${2:-600}" ;;
  *) die "unknown subcommand $1 (run, args, ready, hosts, hostkey NAME, authfile, redirect, keys, join [SECONDS])" ;;
esac
`;
}
