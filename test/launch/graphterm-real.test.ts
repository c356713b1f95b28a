// The start script ec2launch generates, run against the REAL GraphTerm 0.57.0 (Python 2.7.18 + tornado
// 4.5.3 from the runtime in ~/.cache/ec2term/graphterm-runtime, which CI always installs). For every auth
// type, with and without https, and every GraphTerm flag ec2launch accepts (the table below), the
// generated wrapper starts the real server as a real user; we check the page, the websocket login
// (no code -> "authenticate", wrong code refused, right code -> a terminal that runs a command as that
// user), and that a host with its key joins (listed by the server) while one with a wrong key does not.
// The install commands run for real too: pip 20.3.4 from its PyPI wheel (sha256 checked), then the
// pinned GraphTerm set with --require-hashes, under the runtime's Python 2.7 into a temporary prefix.
// What cannot run here: the Ubuntu archive (apt-get install python2 ...; the runtime's Debian 11 Python
// 2.7.18 stands in for jammy's), systemd (the wrapper is run directly, as the unit's ExecStart would)
// and iptables (the 80 -> 8900 redirect needs root in a network namespace; only its rules are checked).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planLaunch, userDataInput, type LaunchOptions } from '../../src/commands/launch/plan.js';
import { GRAPHTERM_PIP_PINS, PIP_BOOTSTRAP, requirementsText } from '../../src/lib/graphterm/pins.js';
import { findRuntime, runtimeDir } from '../../src/sandbox/graphterm/runtime.js';
import { graphtermConf, GTERMHOST_OPTIONS, GTERMSERVER_OPTIONS, wrapperScript, type GraphTermConf } from '../../src/lib/graphterm/wrapper.js';
import { launchConf } from '../../src/lib/graphterm/userdata.js';
import { authCodeDeliveryScript, hostAuthFile, serverAuthFile } from '../../src/lib/graphterm/delivery.js';

const RUNTIME = runtimeDir(process.env);
const IS_ROOT = process.getuid?.() === 0;
/** Another user (the one GraphTerm runs as here) can reach the runtime: every folder above it is o+x. */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; d !== dirname(d); d = dirname(d)) if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
  return true;
}
const WHY_NOT = !findRuntime(process.env)
  ? `no GraphTerm runtime in ${RUNTIME} (npm run graphterm:runtime)`
  : !IS_ROOT
    ? 'needs root to run GraphTerm as a separate real user (useradd), since gtermserver insists that HOME is its user\'s passwd home'
    : !reachableByOthers(RUNTIME)
      ? `the runtime in ${RUNTIME} is not readable by other users (install it elsewhere with EC2TERM_GRAPHTERM_RUNTIME, as .ci/run does)`
      : undefined;
// CI must run these: a reason to skip is a failure there.
if (WHY_NOT && process.env.CI) throw new Error(`the real-GraphTerm tests cannot run in CI: ${WHY_NOT}`);
const READY = !WHY_NOT;
const SKIP = WHY_NOT;
/** The login user GraphTerm runs as (multiuser super user names must be letters and digits). */
const USER = 'gtlaunch';
const HOME = `/home/${USER}`;
const EXTERNAL = 'lab.myterm.test';
const PY = join(RUNTIME, 'bin/python2');

const children: ChildProcess[] = [];
let work = '';

function asUser(args: string[], o: { input?: string; env?: Record<string, string> } = {}) {
  return spawnSync('runuser', ['-u', USER, '--', 'env', `HOME=${HOME}`, 'PATH=/usr/bin:/bin', ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`), ...args], {
    input: o.input,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** Three free loopback ports in a row (host port, HTTP port, untrusted port). */
async function freePorts(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ok = await Promise.all([base - 1, base, base + 1].map((p) => new Promise<boolean>((res) => {
      const s = createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

interface Started {
  conf: string;
  port: number;
  wrapper: (sub: string[], input?: string) => ReturnType<typeof asUser>;
}

/** Writes conf + wrapper into a folder the user can read and starts `wrapper run` as the user. */
function start(name: string, conf: GraphTermConf): Started {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const confFile = join(dir, 'graphterm.conf');
  writeFileSync(confFile, graphtermConf(conf));
  const wrapperFile = join(dir, 'ec2term-graphterm');
  writeFileSync(wrapperFile, wrapperScript());
  chmodSync(wrapperFile, 0o755);
  const env = { EC2TERM_GRAPHTERM_CONF: confFile, GRAPHTERM_BIN: join(RUNTIME, 'bin'), GTERM_LOG: join(dir, 'out.log') };
  const wrapper = (sub: string[], input?: string) => asUser(['bash', wrapperFile, ...sub], { input, env });
  const out = join(dir, 'out.log');
  writeFileSync(out, '');
  chmodSync(out, 0o666);
  const child = spawn('runuser', ['-u', USER, '--', 'env', `HOME=${HOME}`, 'PATH=/usr/bin:/bin', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', `exec bash "$0" run >>"$1" 2>&1`, wrapperFile, out], {
    stdio: 'ignore',
    detached: true,
  });
  children.push(child);
  return { conf: confFile, port: conf.port ?? 8900, wrapper };
}

/** The websocket client: GraphTerm's own protocol, spoken by tornado's client under the runtime's Python. */
const CLIENT = `
import sys, json, hmac, hashlib, ssl, urllib2, time
from tornado import gen, httpclient, ioloop, websocket
scheme, port, mode, code, user, marker = sys.argv[1:7]
base = "%s://127.0.0.1:%s" % (scheme, port)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
wsbase = base.replace("http", "ws", 1)
def ws(path, cookie=None):
    headers = {"Origin": base}
    if cookie: headers["Cookie"] = "GRAPHTERM_AUTH=" + cookie
    return websocket.websocket_connect(httpclient.HTTPRequest(wsbase + path, headers=headers, validate_cert=False))
@gen.coroutine
def main():
    if mode == "nocode":
        c = yield ws("/_websocket/local/new")
        m = yield c.read_message()
        raise gen.Return(json.loads(m)[0][0])
    nonce = urllib2.urlopen(base + "/_auth/?nonce=t", context=ctx).read().split(":")[0]
    h = hmac.new(code, nonce, hashlib.sha256).hexdigest()[:16] if code else ""
    c = yield ws("/_websocket/local/new?cauth=%s&code=%s&user=%s" % (nonce, h, user))
    m = json.loads((yield c.read_message()))[0]
    if m[0] != "redirect":
        raise gen.Return("refused:" + m[0])
    c = yield ws("/_websocket" + m[1], cookie=m[2])
    for _ in range(20):
        msg = yield c.read_message()
        if msg is None: raise gen.Return("closed")
        if any(x[0] == "setup" for x in json.loads(msg)): break
    # As the browser does: the terminal's size first (that makes the pty), then the keys.
    c.write_message(json.dumps([["set_size", [24, 80, 600, 800, ""]]]))
    c.write_message(json.dumps([["keypress", "id -un > %s\\n" % marker]]))
    for _ in range(100):
        try:
            if open(marker).read().strip(): raise gen.Return("terminal")
        except IOError:
            pass
        yield gen.sleep(0.1)
    raise gen.Return("no-output")
print(ioloop.IOLoop.current().run_sync(main, timeout=40))
`;

function client(scheme: string, port: number, mode: 'nocode' | 'code', code: string, user: string, marker: string): string {
  const r = spawnSync(PY, ['-c', CLIENT, scheme, String(port), mode, code, user, marker], { encoding: 'utf8', timeout: 60_000 });
  return (r.stdout.trim() || r.stderr.trim().split('\n').pop()) ?? '';
}

/** Every GraphTerm-related flag ec2launch accepts, each used by at least one row. */
const FLAGS = ['https', 'acceptHosts', 'logging', 'oshell', 'screen', 'allowEmbed', 'allowShare', 'notebookServer', 'gmailAddr', 'otherOpts'] as const;
const HAS_SCREEN = spawnSync('sh', ['-c', 'command -v screen']).status === 0;
const ROWS: { label: string; opts: LaunchOptions; hosts?: boolean }[] = [
  { label: 'singleuser, hosts join, logging', opts: { authType: 'singleuser', acceptHosts: true, logging: true }, hosts: true },
  { label: 'singleuser https, embed + share + other opts', opts: { authType: 'singleuser', https: true, allowEmbed: true, allowShare: true, otherOpts: '--lc_export=telephone --max_terminals=4' } },
  { label: 'multiuser, hosts join, notebook server', opts: { authType: 'multiuser', acceptHosts: true, notebookServer: true }, hosts: true },
  { label: 'multiuser https, oshell, e-mail', opts: { authType: 'multiuser', https: true, oshell: true, gmailAddr: 'lab@example.org' } },
  { label: `name${HAS_SCREEN ? ', screen' : ''}`, opts: { authType: 'name', openServer: true, screen: HAS_SCREEN || undefined } },
  { label: 'name https', opts: { authType: 'name', https: true } },
  { label: 'none', opts: { authType: 'none' } },
  { label: 'none https, logging', opts: { authType: 'none', https: true, logging: true } },
];

describe('GraphTerm 0.57 for real: the generated start script', { skip: SKIP }, () => {
  before(() => {
    if (spawnSync('id', [USER]).status !== 0) assert.equal(spawnSync('useradd', ['-m', '-s', '/bin/bash', USER]).status, 0, 'useradd');
    work = mkdtempSync('/tmp/ec2term-gt-');
    chmodSync(work, 0o755);
  });
  after(() => {
    for (const c of children) {
      try {
        process.kill(-c.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
    rmSync(join(HOME, '.graphterm'), { recursive: true, force: true });
  });

  it('every flag is covered by the table (screen only where GNU screen is installed)', () => {
    for (const f of FLAGS) {
      if (f === 'screen' && !HAS_SCREEN) continue;
      assert.ok(ROWS.some((r) => r.opts[f] !== undefined), `${f} has a row`);
    }
  });

  it("the option lists match the real gtermserver --help and gtermhost --help", () => {
    const help = (prog: string) => {
      const r = asUser([join(RUNTIME, 'bin', prog), '--help']);
      return [...r.stdout.matchAll(/^\s+(?:-\w, )?--([a-z_]+)/gm)].map((m) => m[1]!).filter((o) => o !== 'help').sort();
    };
    assert.deepEqual(help('gtermserver'), [...GTERMSERVER_OPTIONS].sort());
    assert.deepEqual(help('gtermhost'), [...GTERMHOST_OPTIONS].sort());
  });

  for (const [i, row] of ROWS.entries()) {
    it(`${row.label}: starts with only real options, serves the page, guards its terminals${row.hosts ? ', hosts join with their key only' : ''}`, async () => {
      rmSync(join(HOME, '.graphterm'), { recursive: true, force: true });
      const plan = planLaunch({ name: EXTERNAL, ...row.opts });
      const ud = userDataInput(plan, plan.hosts[0]!);
      const port = await freePorts();
      // As on EC2, but on loopback: bind and internal address 127.0.0.1, and no redirect in front.
      const conf: GraphTermConf = { ...launchConf(ud), bin: join(RUNTIME, 'bin'), python: PY, port, bind: '127.0.0.1', externalHost: EXTERNAL, externalPort: undefined, internalHost: row.hosts ? '127.0.0.1' : undefined };
      // The login user here is USER (ubuntu on EC2): the multiuser super user.
      if (conf.superUsers) conf.superUsers = USER;
      const name = `server${i}`;
      const code = 'Ab12Cd34Ef56Gh78';
      const scheme = row.opts.https ? 'https' : 'http';
      const withCode = plan.authCode.kind !== 'none';
      // The code arrives the way ec2launch sends it: the delivery script, as the user, on stdin.
      const wrap = (sub: string[]) => asUser(['bash', join(work, name, 'ec2term-graphterm'), ...sub], { env: { EC2TERM_GRAPHTERM_CONF: join(work, name, 'graphterm.conf'), GRAPHTERM_BIN: join(RUNTIME, 'bin') } });
      mkdirSync(join(work, name), { recursive: true });
      writeFileSync(join(work, name, 'graphterm.conf'), graphtermConf(conf));
      writeFileSync(join(work, name, 'ec2term-graphterm'), wrapperScript());
      if (withCode) {
        const d = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', `cd && ${authCodeDeliveryScript(serverAuthFile(EXTERNAL))}`], { input: 'Ab12-Cd34-Ef56-Gh78\n', encoding: 'utf8' });
        assert.equal(d.status, 0, d.stderr);
      }
      if (row.opts.gmailAddr) asUser(['sh', '-c', `mkdir -p .graphterm && printf '%s\\n' ${row.opts.gmailAddr} > .graphterm/gterm_email.txt`]);

      const args = wrap(['args']).stdout.trim().split('\n');
      for (const a of args.slice(1)) assert.ok((GTERMSERVER_OPTIONS as readonly string[]).includes(a.replace(/^--/, '').split('=')[0]!), `${a} is a gtermserver 0.57 option`);
      assert.ok(!args.some((a) => a.includes(code)), 'no code on the command line');

      const server = start(name, conf);
      const ready = server.wrapper(['ready', '60']);
      const out = readFileSync(join(work, name, 'out.log'), 'utf8');
      assert.equal(ready.status, 0, `${ready.stdout}${ready.stderr}\n${out}`);
      assert.doesNotMatch(out, /no such option/);
      const page = spawnSync('curl', ['-fsk', `${scheme}://127.0.0.1:${port}/`], { encoding: 'utf8' });
      assert.match(page.stdout, /graphterm page/);
      if (row.opts.https) {
        const bits = spawnSync('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -text | grep -o 'Public-Key: ([0-9]* bit)'`], { encoding: 'utf8' });
        assert.match(bits.stdout, /2048 bit/, 'the certificate the wrapper made');
      }

      const marker = join(work, name, 'whoami');
      writeFileSync(marker, '');
      chmodSync(marker, 0o666);
      const superUser = plan.graphterm.authType === 'multiuser' ? USER : plan.graphterm.authType === 'name' ? 'visitor' : '';
      if (withCode) {
        assert.equal(client(scheme, port, 'nocode', '', '', marker), 'authenticate');
        assert.match(client(scheme, port, 'code', 'WrongCode1234567', superUser, marker), /^refused:(authenticate|abort)$/);
        assert.equal(client(scheme, port, 'code', code, superUser, marker), 'terminal');
      } else if (plan.graphterm.authType === 'name') {
        assert.equal(client(scheme, port, 'nocode', '', '', marker), 'authenticate', 'name auth asks for a name');
        assert.equal(client(scheme, port, 'code', '', 'visitor', marker), 'terminal', 'and any name opens a terminal: why ec2launch keeps it closed');
      } else {
        assert.equal(client(scheme, port, 'code', '', '', marker), 'terminal', 'auth none: no login at all');
      }
      assert.equal(readFileSync(marker, 'utf8').trim(), USER, 'the terminal runs as the login user');

      if (row.hosts) {
        // The right key: what `hostkey` (gauth's HMAC) prints on the server, delivered like ec2launch does.
        const key = server.wrapper(['hostkey', 'node1']);
        assert.equal(key.status, 0, key.stderr);
        const gauth = asUser([join(RUNTIME, 'bin/gauth'), '-s', EXTERNAL, 'node1']);
        assert.equal(key.stdout.trim(), gauth.stdout.trim(), 'the same key gauth computes');
        const hosts = [
          { host: 'node1', key: key.stdout.trim(), joins: true },
          { host: 'node2', key: '0000-1111-2222-3333', joins: false },
        ];
        for (const h of hosts) {
          const d = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', `cd && ${authCodeDeliveryScript(hostAuthFile(h.host), { replace: true })}`], { input: `${h.key}\n`, encoding: 'utf8' });
          assert.equal(d.status, 0, d.stderr);
          const hostPlan = planLaunch({ name: `${h.host}.myterm.test`, connectTo: EXTERNAL, logging: row.opts.logging });
          const hud = userDataInput(hostPlan, hostPlan.hosts[0]!, '127.0.0.1');
          const hconf: GraphTermConf = { ...launchConf(hud), bin: join(RUNTIME, 'bin'), python: PY, serverPort: port - 1, authFile: `${HOME}/${hostAuthFile(h.host)}` };
          const hw = start(`${name}-${h.host}`, hconf);
          const hargs = hw.wrapper(['args']).stdout.trim().split('\n');
          for (const a of hargs.slice(1, -1)) assert.ok((GTERMHOST_OPTIONS as readonly string[]).includes(a.replace(/^--/, '').split('=')[0]!), `${a} is a gtermhost option`);
          assert.equal(hargs.at(-1), h.host, 'a dot-free host name');
          const joined = hw.wrapper(['ready', h.joins ? '60' : '6']);
          assert.equal(joined.status === 0, h.joins, `${h.host}: ${joined.stdout}${joined.stderr}`);
        }
        const list = server.wrapper(['hosts']);
        assert.equal(list.status, 0, list.stderr);
        assert.deepEqual(list.stdout.trim().split('\n'), ['node1'], 'node1 joined; node2 (wrong key) did not');
        assert.match(readFileSync(join(work, `${name}-node2`, 'out.log'), 'utf8'), /Invalid server token/);
      }
    });
  }
});

describe('the user-data install commands, run for real (pip under Python 2.7 against PyPI)', { skip: !READY ? SKIP : undefined }, () => {
  it('bootstraps pip 20.3.4 from its hash-checked wheel, then installs the pinned GraphTerm set with --require-hashes', () => {
    const dir = mkdtempSync('/tmp/ec2term-pip-');
    try {
      const wheel = join(dir, PIP_BOOTSTRAP.file);
      // As the user-data does it: a python3 pip fetches the Python 2.7 wheel (the instance has Ubuntu's).
      const dl = spawnSync('python3', ['-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '2.7', '--dest', dir, `pip==${PIP_BOOTSTRAP.version}`], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(dl.status, 0, `download the pip wheel: ${dl.stderr}`);
      writeFileSync(join(dir, 'SHA256SUMS'), `${PIP_BOOTSTRAP.sha256}  ${PIP_BOOTSTRAP.file}\n`);
      assert.equal(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir }).status, 0, 'sha256 of the wheel');
      // --isolated: this machine's pip config points at local mirrors; the instance uses plain PyPI.
      // --ignore-installed: the runtime's Python already has these; the instance starts with none.
      const env = { ...process.env, PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
      const boot = spawnSync(PY, [join(wheel, 'pip'), 'install', '--isolated', '-q', '--ignore-installed', '--no-index', '--prefix', join(dir, 'prefix'), wheel], { encoding: 'utf8', env, timeout: 300_000 });
      assert.equal(boot.status, 0, boot.stderr);
      writeFileSync(join(dir, 'requirements.txt'), requirementsText(GRAPHTERM_PIP_PINS));
      const r = spawnSync(PY, ['-m', 'pip', 'install', '--isolated', '-q', '--ignore-installed', '--no-cache-dir', '--require-hashes', '--prefix', join(dir, 'prefix'), '-r', join(dir, 'requirements.txt')], { encoding: 'utf8', env, timeout: 600_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.ok(existsSync(join(dir, 'prefix/bin/gtermserver')), 'gtermserver installed');
      // A wrong hash is refused: the pins are checked, not decoration.
      writeFileSync(join(dir, 'bad.txt'), `six==1.17.0 --hash=sha256:${'0'.repeat(64)}\n`);
      const bad = spawnSync(PY, ['-m', 'pip', 'install', '--isolated', '-q', '--ignore-installed', '--no-cache-dir', '--require-hashes', '--prefix', join(dir, 'bad'), '-r', join(dir, 'bad.txt')], { encoding: 'utf8', env, timeout: 300_000 });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /HASHES|hash/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
