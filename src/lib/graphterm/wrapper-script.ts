// The wrapper's own text (bash). Its contract, the conf file it reads and the paths it uses are in
// wrapper.ts, which re-exports wrapperScript.
import { CONF_PATH, GRAPHTERM_PORT, HOST_PORT, UNIT_NAME } from './places.js';
import { joinFunctions } from './join-script.js';

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

${joinFunctions()}case "\${1:-run}" in
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
