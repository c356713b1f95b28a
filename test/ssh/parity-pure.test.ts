// OpenSSH parity, the pure parts as tables: ec2ssh's flags and -o keys (as ssh(1) and ssh_config(5)
// spell them), -F files, escape sequences, SOCKS requests, X11 setup rewriting, the managed ssh_config.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSsh } from '../../src/commands/ssh/options.js';
import { EscapeFilter, parseEscapeChar, type EscapeOutput } from '../../src/commands/ssh/escapes.js';
import { UsageError } from '../../src/lib/errors.js';
import { configOptionsFor } from '../../src/lib/ssh/config-file.js';
import { markBlock, parseManaged, renderManaged, withInclude } from '../../src/lib/ssh/managed-config.js';
import { proxyCommandValue, sshConfigBlock } from '../../src/lib/ssh/openssh.js';
import { parseDynamicSpec, parseSocks } from '../../src/lib/ssh/socks.js';
import { parseDisplay, rewriteSetup } from '../../src/lib/ssh/x11.js';
import { wrongFamily } from '../../src/lib/ssh/tunnel.js';

type Opts = Record<string, unknown>;
const plan = (args: string[], opts: Opts = {}, file?: string) => planSsh(args, opts, file) as unknown as Record<string, unknown>;

describe('ec2ssh flags with their OpenSSH meaning', () => {
  const cases: [string, string[], Opts, Record<string, unknown>][] = [
    ['-4', ['lab'], { 4: true }, { family: 4 }],
    ['-6', ['lab'], { 6: true }, { family: 6 }],
    ['-A', ['lab'], { A: true }, { forwardAgent: true }],
    ['-a', ['lab'], { a: true }, { forwardAgent: false }],
    ['-C', ['lab'], { C: true }, { compression: true }],
    ['-J one hop', ['lab'], { J: 'bastion' }, { jump: ['bastion'] }],
    ['-J two hops with user and port', ['lab'], { J: 'ec2-user@b1,b2:2222' }, { jump: ['ec2-user@b1', 'b2:2222'] }],
    ['-D port', ['lab'], { D: ['1080'], N: true }, { dynamicForwards: [{ bindAddress: undefined, bindPort: 1080 }] }],
    ['-D bind:port', ['lab'], { D: ['*:1080'], N: true }, { dynamicForwards: [{ bindAddress: '0.0.0.0', bindPort: 1080 }] }],
    ['-W', ['bastion'], { W: 'lab:22' }, { stdioForward: { host: 'lab', port: 22 }, noCommand: true }],
    ['-f with -N implies -n', ['lab'], { f: true, N: true }, { background: true, nullStdin: true }],
    ['-X', ['lab'], { X: true }, { x11: 'untrusted' }],
    ['-Y', ['lab'], { Y: true }, { x11: 'trusted' }],
    ['-x wins', ['lab'], { X: true, x: true }, { x11: 'none' }],
    ['-e none', ['lab'], { e: 'none' }, { escapeChar: null }],
    ['-e ^]', ['lab'], { e: '^]' }, { escapeChar: '\x1d' }],
    ['default escape ~', ['lab'], {}, { escapeChar: '~' }],
    ['--stdio', [], { stdio: 'i-0abc' }, { mode: 'stdio', target: 'i-0abc' }],
    ['--ssh-config --dry-run', [], { sshConfig: true, dryRun: true }, { mode: 'ssh-config', dryRun: true }],
  ];
  for (const [name, args, opts, want] of cases) {
    it(name, () => {
      const p = plan(args, opts);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k], v, k);
    });
  }
});

describe('-o keys (first value wins, as OpenSSH)', () => {
  const cases: [string[], Record<string, unknown>][] = [
    [['StrictHostKeyChecking=yes'], { hostKeyPolicy: 'verify' }],
    [['StrictHostKeyChecking=ask'], { hostKeyPolicy: 'verify' }],
    [['StrictHostKeyChecking=accept-new'], { hostKeyPolicy: 'accept-new' }],
    [['StrictHostKeyChecking=no'], { hostKeyPolicy: 'accept-new' }],
    [['UserKnownHostsFile=/dev/null'], { knownHostsFile: '/dev/null' }],
    [['UserKnownHostsFile ~/a ~/b'], { knownHostsFile: '~/a' }],
    [['IdentitiesOnly=yes'], { identitiesOnly: true }],
    [['IdentityFile=a', 'IdentityFile=b'], { identityFiles: ['a', 'b'] }],
    [['LogLevel=QUIET'], { logLevel: 'quiet' }],
    [['LogLevel=DEBUG3'], { logLevel: 'verbose' }],
    [['ProxyJump=bastion'], { jump: ['bastion'] }],
    [['ProxyJump=none'], { jump: [] }],
    [['ForwardAgent=yes'], { forwardAgent: true }],
    [['ServerAliveInterval=5', 'ServerAliveCountMax=7'], { keepAliveMs: 5000, keepAliveCountMax: 7 }],
    [['ConnectTimeout=3'], { connectTimeoutMs: 3000 }],
    [['Port=2222', 'Port=3333'], { port: 2222 }],
    [['User=admin'], { user: 'admin' }],
    [['Compression=yes'], { compression: true }],
    [['AddressFamily=inet6'], { family: 6 }],
    [['BatchMode=yes'], { batch: true }],
    [['RequestTTY=force'], { pty: 'force' }],
    [['LocalForward=8080 localhost:80'], { localForwards: [{ bindAddress: undefined, bindPort: 8080, host: 'localhost', hostPort: 80 }] }],
    [['DynamicForward=1080'], { dynamicForwards: [{ bindAddress: undefined, bindPort: 1080 }] }],
    [['ForwardX11=yes'], { x11: 'untrusted' }],
    [['EscapeChar=none'], { escapeChar: null }],
    [['PasswordAuthentication=no', 'CheckHostIP=no', 'TCPKeepAlive=yes', 'ProxyCommand=none'], { hostKeyPolicy: 'verify' }],
  ];
  for (const [o, want] of cases) {
    it(o.join(' '), () => {
      const p = plan(['lab'], { o });
      for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k], v, k);
    });
  }
  it('-p wins over -o Port, -o Port over the -F file', () => {
    assert.equal(plan(['lab'], { port: '2200', o: ['Port=3300'] }).port, 2200);
    assert.equal(plan(['lab'], { o: ['Port=3300'] }, 'Host lab\n  Port 4400\n').port, 3300);
    assert.equal(plan(['lab'], {}, 'Host lab\n  Port 4400\n').port, 4400);
  });
  it('StrictHostKeyChecking=no says what it became', () => {
    assert.match((plan(['lab'], { o: ['StrictHostKeyChecking=no'] }).notes as string[])[0]!, /treated as accept-new.*changed key is still refused/);
  });
  const bad: [string, RegExp][] = [
    ['NoSuchOption=1', /-o NoSuchOption=1: unknown or unsupported option/],
    ['ControlMaster=auto', /ControlMaster=auto: not supported: ec2ssh shares no connections/],
    ['ProxyCommand=nc %h %p', /ProxyCommand: not supported: .*use -J/],
    ['PasswordAuthentication=yes', /keys only/],
    ['HostKeyAlias=x', /pins host keys under the instance id/],
    ['ForwardAgent=maybe', /expected yes or no/],
    ['Port=0', /expected a port number/],
  ];
  for (const [o, re] of bad) it(`refuses ${o}`, () => assert.throws(() => planSsh(['lab'], { o: [o] }), (e: Error) => e instanceof UsageError && re.test(e.message)));
  it('refuses -4 with -6, -W with a command, -f without a command', () => {
    assert.throws(() => planSsh(['lab'], { 4: true, 6: true }), /-4 and -6/);
    assert.throws(() => planSsh(['lab', 'ls'], { W: 'x:22' }), /-W carries stdin/);
    assert.throws(() => planSsh(['lab'], { f: true }), /Cannot fork into background without a command/);
    assert.throws(() => planSsh(['lab'], { W: 'nope' }), /bad -W/);
  });
});

describe('-F ssh_config files', () => {
  const file = [
    'User global-first',
    'Host web* !web-admin',
    '  Port 2201',
    'Host lab "other"',
    '  HostName lab-real',
    '  Port=2202',
    '  IdentityFile "/keys/with space"',
    '  SomeOpenSshOnlyKey yes',
    'Match host lab exec "x"',
    '  Port 9999',
    'Host *',
    '  Port 2299',
    '  ServerAliveInterval 9',
  ].join('\n');
  const cases: [string, [string, string][]][] = [
    ['lab', [['user', 'global-first'], ['hostname', 'lab-real'], ['port', '2202'], ['identityfile', '/keys/with space'], ['someopensshonlykey', 'yes'], ['port', '2299'], ['serveraliveinterval', '9']]],
    ['web-1', [['user', 'global-first'], ['port', '2201'], ['port', '2299'], ['serveraliveinterval', '9']]],
    ['web-admin', [['user', 'global-first'], ['port', '2299'], ['serveraliveinterval', '9']]],
  ];
  for (const [host, want] of cases) it(`options for ${host}`, () => assert.deepEqual(configOptionsFor(file, host), want));
  it('gives the plan the first values and leaves OpenSSH-only keys alone', () => {
    const p = plan(['lab', 'true'], {}, file);
    assert.equal(p.port, 2202);
    assert.equal(p.user, 'global-first');
    assert.deepEqual(p.identityFiles, ['/keys/with space']);
    assert.equal(p.keepAliveMs, 9000);
    assert.equal(p.target, 'lab-real');
  });
});

describe('escape sequences (ssh(1) ESCAPE CHARACTERS)', () => {
  const show = (out: EscapeOutput[]) => out.map((o) => ('data' in o ? o.data.toString('latin1') : `<${o.action}>`)).join('');
  const cases: [string, string, string][] = [
    ['~. at the start disconnects', '~.', '<disconnect>'],
    ['~. after a newline', 'ls\n~.', 'ls\n<disconnect>'],
    ['~. after a carriage return', 'ls\r~.', 'ls\r<disconnect>'],
    ['~ in the middle of a line is data', 'a~.', 'a~.'],
    ['~~ sends one ~', '\n~~.', '\n~.'],
    ['~? then ~. (a command keeps the line start)', '~?~.', '<help><disconnect>'],
    ['~#', '~#', '<list-forwards>'],
    ['~^Z', '~\x1a', '<suspend>'],
    ['~R', '~R', '<rekey>'],
    ['~C is a command (not supported, said so)', '~C', '<command-line>'],
    ['unknown ~x sends both', '~x', '~x'],
    ['~ then newline', '~\n~.', '~\n<disconnect>'],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.equal(show(new EscapeFilter('~').feed(Buffer.from(input, 'latin1'))), want));
  it('state carries across chunks', () => {
    const f = new EscapeFilter('~');
    assert.equal(show(f.feed(Buffer.from('x\n'))), 'x\n');
    assert.equal(show(f.feed(Buffer.from('~'))), '');
    assert.equal(show(f.feed(Buffer.from('.'))), '<disconnect>');
  });
  it('-e ^] uses that character and ~ is plain data', () => {
    assert.equal(show(new EscapeFilter(parseEscapeChar('^]')!).feed(Buffer.from('~.\n\x1d.'))), '~.\n<disconnect>');
  });
  it('parses -e values', () => {
    assert.equal(parseEscapeChar('none'), null);
    assert.equal(parseEscapeChar('%'), '%');
    assert.equal(parseEscapeChar('^A'), '\x01');
    assert.throws(() => parseEscapeChar('ab'), /bad escape character/);
  });
});

describe('SOCKS (-D)', () => {
  it('parses specs', () => {
    assert.deepEqual(parseDynamicSpec('1080'), { bindAddress: undefined, bindPort: 1080 });
    assert.deepEqual(parseDynamicSpec('[::1]:1080'), { bindAddress: '::1', bindPort: 1080 });
    assert.throws(() => parseDynamicSpec('x'), /bad -D/);
  });
  const cases: [string, Buffer, 'hello' | 'request5', unknown][] = [
    ['SOCKS5 hello', Buffer.from([5, 1, 0]), 'hello', { hello5: 3 }],
    ['SOCKS5 hello without no-auth', Buffer.from([5, 1, 2]), 'hello', { error: 'SOCKS5 client offers no "no authentication" method' }],
    ['SOCKS5 CONNECT ipv4', Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]), 'request5', { version: 5, host: '127.0.0.1', port: 8080, consumed: 10 }],
    ['SOCKS5 CONNECT name', Buffer.concat([Buffer.from([5, 1, 0, 3, 9]), Buffer.from('localhost'), Buffer.from([0, 80])]), 'request5', { version: 5, host: 'localhost', port: 80, consumed: 16 }],
    ['SOCKS5 partial', Buffer.from([5, 1, 0, 3, 9, 0x6c]), 'request5', 'more'],
    ['SOCKS4', Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0]), 'hello', { version: 4, host: '127.0.0.1', port: 80, consumed: 9 }],
    ['SOCKS4a', Buffer.concat([Buffer.from([4, 1, 0, 80, 0, 0, 0, 1, 0]), Buffer.from('web\0')]), 'hello', { version: 4, host: 'web', port: 80, consumed: 13 }],
    ['not SOCKS', Buffer.from('GET / HTTP/1.1'), 'hello', { error: 'not a SOCKS client (first byte 71)' }],
  ];
  for (const [name, buf, stage, want] of cases) it(name, () => assert.deepEqual(parseSocks(buf, stage), want));
});

describe('X11 (-X)', () => {
  it('parses DISPLAY', () => {
    assert.deepEqual(parseDisplay(':0'), { path: '/tmp/.X11-unix/X0', screen: 0 });
    assert.deepEqual(parseDisplay('localhost:10.2'), { host: 'localhost', port: 6010, screen: 2 });
    assert.equal(parseDisplay(undefined), undefined);
    assert.equal(parseDisplay('garbage'), undefined);
  });
  const setup = (cookie: Buffer, le = true) => {
    const name = Buffer.from('MIT-MAGIC-COOKIE-1');
    const head = Buffer.alloc(12);
    head[0] = le ? 0x6c : 0x42;
    const w = (o: number, v: number) => (le ? head.writeUInt16LE(v, o) : head.writeUInt16BE(v, o));
    w(2, 11);
    w(6, name.length);
    w(8, cookie.length);
    return Buffer.concat([head, name, Buffer.alloc(2), cookie]);
  };
  const fake = Buffer.alloc(16, 1);
  const real = Buffer.alloc(16, 2);
  it('replaces the fake cookie with the real one (both byte orders)', () => {
    assert.deepEqual(rewriteSetup(setup(fake), fake, real), setup(real));
    assert.deepEqual(rewriteSetup(setup(fake, false), fake, real), setup(real, false));
  });
  it('refuses a connection with another cookie, waits for a whole setup', () => {
    assert.deepEqual(rewriteSetup(setup(real), fake, real), { error: 'X11 connection with the wrong authorization' });
    assert.equal(rewriteSetup(setup(fake).subarray(0, 20), fake, real), 'more');
  });
});

describe('address family (-4 / -6)', () => {
  it('refuses a literal of the other family', () => {
    assert.match(wrongFamily('127.0.0.1', 6)!, /-6/);
    assert.match(wrongFamily('::1', 4)!, /-4/);
    assert.equal(wrongFamily('127.0.0.1', 4), undefined);
    assert.equal(wrongFamily('host.example', 6), undefined);
  });
});

describe('managed ssh_config (--ssh-config)', () => {
  it('adds one Include at the top, once', () => {
    const user = 'Host *\n  ServerAliveInterval 5\n';
    const first = withInclude(user, '/home/u/.ssh/config.d/ec2term');
    assert.ok('text' in first);
    assert.match(first.text, /^# Added by ec2ssh[^\n]*\nInclude \/home\/u\/\.ssh\/config\.d\/ec2term\n\nHost \*/);
    assert.deepEqual(withInclude(first.text, '/home/u/.ssh/config.d/ec2term'), { already: true });
    const spaced = withInclude('', '/home/a b/.ssh/config.d/ec2term');
    assert.ok('text' in spaced && spaced.text.includes('Include "/home/a b/.ssh/config.d/ec2term"'));
    assert.ok('problem' in withInclude('', '/x\nHost evil'));
  });
  it('an Include inside a Host block does not count', () => {
    assert.ok('text' in withInclude('Host lab\n  Include /p\n', '/p'));
  });
  it('replaces a block as a whole and keeps the others', () => {
    const blocks = new Map([['i-1', markBlock('i-1', 'Host a\n    User x')], ['i-2', markBlock('i-2', 'Host b\n    User y')]]);
    const parsed = parseManaged(renderManaged(blocks));
    assert.deepEqual([...parsed.keys()], ['i-1', 'i-2']);
    parsed.set('i-1', markBlock('i-1', 'Host a\n    User z'));
    const text = renderManaged(parsed);
    assert.match(text, /User z/);
    assert.doesNotMatch(text, /User x/);
    assert.match(text, /User y/);
  });
  it('ProxyCommand words are shell-quoted where needed with % doubled; unsafe words refused', () => {
    assert.equal(proxyCommandValue(['/usr/bin/node', '/opt/x 1%/bin/ec2ssh', '--stdio', 'i-0abc']), "/usr/bin/node '/opt/x 1%%/bin/ec2ssh' --stdio i-0abc");
    assert.equal(proxyCommandValue(['a\nb']), undefined);
    assert.equal(proxyCommandValue(['${HOME}']), undefined);
  });
  it('a proxy block names no HostName or Port', () => {
    const b = sshConfigBlock({ instanceId: 'i-0abc', alias: 'lab', host: 'i-0abc', port: 2222, user: 'ubuntu', knownHostsFile: '/k', proxyCommand: ['node', 'ec2ssh', '--stdio', 'i-0abc'] });
    assert.ok(b.text);
    assert.doesNotMatch(b.text, /HostName|Port /);
    assert.match(b.text, /^    ProxyCommand node ec2ssh --stdio i-0abc$/m);
    assert.match(b.text, /HostKeyAlias i-0abc/);
  });
});
