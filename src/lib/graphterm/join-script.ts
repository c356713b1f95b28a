// The wrapper's key responder (`keys`, server) and its client (`join`, fleet host): bash functions
// around one Python 2 program, spliced into wrapperScript (wrapper-script.ts). docs/fleets.md, "How a
// replacement host joins".
import { JOIN_PORT } from './places.js';

/** Pure constant text: the bash functions joinhelper, keys and join (template-literal escaped). */
export function joinFunctions(): string {
  return `# The key responder (server) and its client (fleet host): docs/fleets.md, "How a replacement host joins".
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

`;
}
