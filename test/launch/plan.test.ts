// ec2launch's pure core: argv -> LaunchPlan, as tables (like antfu/ni's parse tests).
import assert from 'node:assert/strict';
import { parseLaunchArgv } from '../helpers/launch-argv.js';
import { describe, it } from 'node:test';
import { architectureFor, isLts, pickUbuntuImage, ubuntuVersion } from '../../src/commands/launch/image.js';
import { commandLine, defaultClientToken, hostName, instanceTags, launchTag, planLaunch, userDataInput, type LaunchOptions } from '../../src/commands/launch/plan.js';
import { UsageError } from '../../src/lib/errors.js';
import { allows, describePermissions, extraRules, missingRules } from '../../src/commands/launch/security-groups.js';
import { shellJoin, shellQuote, shellSplit } from '../../src/lib/shellquote.js';

const parse = parseLaunchArgv;
const plan = (argv: string[]) => planLaunch(parse(argv));

describe('ec2launch argv -> plan', () => {
  const cases: [string[], (p: ReturnType<typeof plan>) => unknown, unknown][] = [
    [['lab'], (p) => [p.baseName, p.domain, p.hosts], ['lab', undefined, [{ name: 'lab', dnsName: undefined }]]],
    [['lab.myterm.com'], (p) => [p.domain, p.hosts[0]!.dnsName], ['myterm.com', 'lab.myterm.com']],
    [['lab'], (p) => [p.instanceType, p.ami, p.keyName, p.user, p.role], ['t3.small', undefined, 'ec2term', 'ubuntu', 'server']],
    [['lab'], (p) => [p.authCode.kind, p.graphterm.authType, p.graphterm.authMode], ['random', 'singleuser', 'file']],
    [['--auth_code=none', 'lab'], (p) => [p.authCode.kind, p.securityGroup.name, p.securityGroup.rules.map((r) => r.port)], ['none', 'ec2term-ssh', [22]]],
    [['--auth_code', 'Abc123xyz', 'lab'], (p) => p.authCode, { kind: 'given', value: 'Abc123xyz' }],
    [['--auth_type=multiuser', 'lab'], (p) => p.graphterm.authType, 'multiuser'],
    [['lab'], (p) => [p.securityGroup.name, p.securityGroup.rules.map((r) => `${r.port}:${r.cidrs}`), p.allowFromDefaulted], ['ec2term-graphterm-server', ['22:0.0.0.0/0', '80:0.0.0.0/0', '81:0.0.0.0/0', '8900:0.0.0.0/0', '8901:0.0.0.0/0'], true]],
    [['--https', 'lab'], (p) => p.securityGroup.rules.map((r) => r.port), [22, 443, 444, 8900, 8901]],
    [['--allow-from', '203.0.113.7/32,10.0.0.0/8', 'lab'], (p) => [p.allowFrom, p.allowFromDefaulted], [['203.0.113.7/32', '10.0.0.0/8'], false]],
    [['--accept-hosts', 'lab'], (p) => [p.securityGroup.name, p.securityGroup.rules.map((r) => `${r.port}:${r.fromGroup ?? r.cidrs}`)], ['ec2term-graphterm-primary', ['22:0.0.0.0/0', '80:0.0.0.0/0', '81:0.0.0.0/0', '8900:0.0.0.0/0', '8901:0.0.0.0/0', '8899:ec2term-graphterm-host', '8898:ec2term-graphterm-host']]],
    [['--connect_to_gterm=lab.myterm.com', 'node1'], (p) => [p.role, p.connectTo, p.authCode.kind, p.securityGroup.name, p.wait], ['host', 'lab.myterm.com', 'none', 'ec2term-ssh', 'ready']],
    [['--connect-to', 'lab', '--wait', 'running', 'node1.myterm.com'], (p) => [userDataInput(p, p.hosts[0]!).hostName, p.wait], ['node1', 'ssh']],
    [['--auth-type', 'name', 'lab'], (p) => [p.authCode.kind, p.graphtermPortOpen, p.securityGroup.name], ['none', false, 'ec2term-ssh']],
    [['--auth-type', 'name', '--open-server', 'lab'], (p) => [p.authCode.kind, p.graphtermPortOpen, p.securityGroup.name], ['none', true, 'ec2term-graphterm-server']],
    [['--auth-code', 'abcd-EFGH-1234-5678', 'lab'], (p) => p.authCode, { kind: 'given', value: 'abcdEFGH12345678' }],
    [['--copy_files=a.txt,b.txt', 'lab'], (p) => p.copy, ['a.txt', 'b.txt']],
    [['--pylab', '--R', '--netcdf', '--install', 'htop,pip:requests==2.31.0', 'lab'], (p) => [p.aptPackages, p.pipPins.map((x) => x.name).slice(0, 2), p.pipPins.some((x) => x.name === 'netCDF4'), p.pipPackages], [['libfreetype6', 'libpng16-16', 'r-base', 'r-recommended', 'libnetcdf-dev', 'netcdf-bin', 'htop'], ['numpy', 'matplotlib'], true, ['requests==2.31.0']]],
    [['--count', '3', 'lab.myterm.com'], (p) => p.hosts.map((h) => h.dnsName), ['lab-1.myterm.com', 'lab-2.myterm.com', 'lab-3.myterm.com']],
    [['--ttl', '4h', 'lab'], (p) => p.ttlMs, 4 * 3_600_000],
    [['--wait', 'running', 'lab'], (p) => [p.wait, p.waitRequested], ['ssh', 'running']],
    [['--wait', 'running', '--auth-code', 'none', 'lab'], (p) => p.wait, 'running'],
    [['--wait', 'none', '--auth-code', 'none', 'lab.x.com'], (p) => p.wait, 'running'],
    [['--timeout', '90s', 'lab'], (p) => p.timeouts, { running: 90_000, ssh: 90_000, ready: 90_000 }],
    [['--dry_run', '--gmail_addr=me@example.org', '--allow_embed', '--allow_share', '--notebook_server', '--logging', '--oshell', '--screen', 'lab'], (p) => [p.dryRun, p.graphterm.gmailAddr, p.graphterm.allowEmbed, p.graphterm.allowShare, p.graphterm.notebookServer, p.graphterm.logging, p.graphterm.oshell, p.graphterm.screen], [true, 'me@example.org', true, true, true, true, true, true]],
    [['--other_opts=--lc_export=telephone --prompts=x', 'lab'], (p) => p.graphterm.otherOpts, ['--lc_export=telephone', '--prompts=x']],
    [['--data-volume', '20', '--volume-size', '30', 'lab'], (p) => [p.dataVolume, p.volumeSize], [{ sizeGb: 20, snapshotId: undefined }, 30]],
    [['--from-snapshot', 'snap-0123456789abcdef0', 'lab'], (p) => p.dataVolume, { sizeGb: undefined, snapshotId: 'snap-0123456789abcdef0' }],
    [['--client-token', 'my-token-1', 'lab'], (p) => p.clientToken, 'my-token-1'],
    [['--type', 'm7i.large', '--ami', 'ami-0123456789abcdef0', '--key', 'mine', 'lab'], (p) => [p.instanceType, p.ami, p.keyName], ['m7i.large', 'ami-0123456789abcdef0', 'mine']],
  ];
  for (const [argv, pick, want] of cases) {
    it(argv.join(' '), () => assert.deepEqual(pick(plan(argv)), want));
  }
});

describe('ec2launch rejects bad input before any request (UsageError, exit 2)', () => {
  const bad: [string[], RegExp][] = [
    [['Lab'], /bad NAME "Lab"/],
    [['1lab'], /bad NAME/],
    [['lab_1'], /bad NAME/],
    [['lab..x'], /bad NAME/],
    [['lab.'], /bad NAME/],
    [['lab-.x.com'], /bad NAME/],
    [['lab;rm -rf'], /bad NAME/],
    [['$(id)'], /bad NAME/],
    [[], /missing NAME/],
    [['--type', 'huge', 'lab'], /bad --type/],
    [['--ami', 'ubuntu', 'lab'], /bad --ami/],
    [['--count', '0', 'lab'], /bad --count/],
    [['--count', '2x', 'lab'], /bad --count/],
    [['--count', '99', 'lab'], /bad --count/],
    [['--allow-from', '1.2.3.4', 'lab'], /bad --allow-from/],
    [['--allow-from', '300.1.1.1/32', 'lab'], /bad --allow-from/],
    [['--ttl', 'soon', 'lab'], /bad --ttl/],
    [['--auth-code', 'short1', 'lab'], /bad --auth-code: use 8 to 16/],
    [['--auth-code', 'Abcdefgh123456789', 'lab'], /bad --auth-code: use 8 to 16/],
    [['--auth-code', 'abc.def_ghi', 'lab'], /bad --auth-code/],
    [['--auth-type', 'name', '--auth-code', 'Abcdefgh1234', 'lab'], /cannot protect --auth-type name/],
    [['--auth-type', 'multiuser', '--auth-code', 'none', 'lab'], /contradicts --auth-type multiuser/],
    [['--other-opts', '--auth_code=x', 'lab'], /bad --other-opts word/],
    [['--other-opts', '--host=0.0.0.0', 'lab'], /bad --other-opts word/],
    [['--other-opts', '--gmail_addr=a@b.c', 'lab'], /bad --other-opts word/],
    [['--pylab', '--type', 't4g.small', 'lab'], /--pylab needs an x86_64/],
    [['--oauth-file', 'x.json', '--connect-to', 'lab', 'node1'], /--oauth-file/],
    [['--ttl', '1m', 'lab'], /bad --ttl/],
    [['--timeout', 'x', 'lab'], /bad --timeout/],
    [['--install', 'htop;reboot', 'lab'], /bad --install package/],
    [['--install', 'pip:$(id)', 'lab'], /bad --install package/],
    [['--auth-code', 'a b', 'lab'], /bad --auth-code/],
    [['--auth-code', 'x', 'lab'], /bad --auth-code/],
    [['--other-opts', '--daemon=stop', 'lab'], /bad --other-opts/],
    [['--other-opts', '--x=1;id', 'lab'], /bad --other-opts/],
    [['--gmail-addr', 'nobody', 'lab'], /bad --gmail-addr/],
    [['--volume-size', '4', 'lab'], /bad --volume-size/],
    [['--from-snapshot', 'vol-1', 'lab'], /bad --from-snapshot/],
    [['--client-token', 'has space', 'lab'], /bad --client-token/],
    [['--client-token', 't', '--count', '2', 'lab'], /cannot be combined with --count/],
    [['--key', 'bad key', 'lab'], /bad --key/],
    [['--connect-to', 'a;b', 'lab'], /bad --connect-to/],
    [['--connect-to', 'x', '--accept-hosts', 'lab'], /--accept-hosts/],
  ];
  for (const [argv, msg] of bad) {
    it(argv.join(' ') || '(nothing)', () => {
      assert.throws(() => plan(argv), (err: unknown) => err instanceof UsageError && msg.test((err as Error).message));
    });
  }
});

describe('ec2launch pure helpers', () => {
  it('hostName', () => {
    for (const [b, i, n, want] of [['lab', 1, 1, 'lab'], ['lab', 2, 3, 'lab-2'], ['lab.a.com', 3, 3, 'lab-3.a.com']] as const) assert.equal(hostName(b, i, n), want);
  });
  it('tags', () => {
    const p = plan(['--pylab', '--https', 'lab.myterm.com']);
    assert.deepEqual(instanceTags(p, p.hosts[0]!), { Name: 'lab.myterm.com', 'ec2term:managed': 'true', 'ec2term:user': 'ubuntu', 'ec2term:role': 'server', 'ec2term:launch': 'server t3.small pylab https' });
    assert.equal(launchTag(plan(['--connect-to', 'lab', 'n1'])), 'host t3.small to=lab');
  });
  it('client tokens: same request and day -> same token; anything else -> another; <= 64 chars', () => {
    const a = defaultClientToken({ x: 1 }, '2026-01-01');
    assert.equal(a, defaultClientToken({ x: 1 }, '2026-01-01'));
    assert.notEqual(a, defaultClientToken({ x: 2 }, '2026-01-01'));
    assert.notEqual(a, defaultClientToken({ x: 1 }, '2026-01-02'));
    assert.notEqual(a, defaultClientToken({ x: 1 }, '2026-01-01', 1));
    assert.ok(a.length <= 64 && /^[\x21-\x7e]+$/.test(a));
  });
  it('commandLine leaves a given auth code out (it runs as printed, no secret in history) and quotes', () => {
    const line = commandLine(parse(['--auth-code', 'S3cret999', '--install', 'htop,git', '--pylab', 'lab.x.com']));
    assert.ok(!line.includes('S3cret999') && !line.includes('--auth-code'));
    assert.equal(line, 'ec2launch --pylab --install=htop,git lab.x.com');
    assert.deepEqual(shellSplit(line).slice(1), ['--pylab', '--install=htop,git', 'lab.x.com']);
    assert.equal(commandLine(parse(['--auth-code', 'none', 'lab'])), 'ec2launch --auth-code=none lab', 'not a secret: kept');
  });
  it('shell quoting round-trips', () => {
    for (const w of ['', 'plain', "it's", 'a b', '$(id)', '`id`', '"q"', 'x\\y', 'new\nline', '*', '~', '-n']) {
      assert.deepEqual(shellSplit(shellJoin([w, 'z'])), [w, 'z'], JSON.stringify(w));
    }
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.throws(() => shellQuote('a\0b'));
  });
  it('picks the newest Ubuntu LTS', () => {
    const img = (Name: string, CreationDate: string) => ({ ImageId: `ami-${Name.length}`, Name, CreationDate, State: 'available' as const });
    const images = [
      img('ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250516', '2025-05-16'),
      img('ubuntu/images/hvm-ssd-gp3/ubuntu-plucky-25.04-amd64-server-20251001', '2025-10-02'),
      img('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250901', '2025-09-01'),
      img('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001', '2025-10-01'),
      img('ubuntu/images/hvm-ssd-gp3/ubuntu-pro-server/ubuntu-noble-24.04-amd64-pro-server-20251101', '2025-11-01'),
    ];
    assert.equal(pickUbuntuImage(images)?.Name, 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001');
    assert.equal(ubuntuVersion('ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-1'), '22.04');
    assert.deepEqual(['22.04', '24.04', '25.04', '24.10'].map(isLts), [true, true, false, false]);
    assert.deepEqual(['t3.small', 't4g.small', 'c7gn.large', 'm7i.large'].map(architectureFor), ['x86_64', 'arm64', 'arm64', 'x86_64']);
  });
  it('the warning about the default source reads as English for one port and for several', () => {
    const warning = (argv: string[]) => plan(argv).warnings.find((w) => w.includes('reachable from anywhere'));
    assert.equal(warning(['--connect-to', 'lab', 'node']), 'port 22 will be reachable from anywhere (0.0.0.0/0); narrow it with --allow-from YOUR.ADDRESS/32');
    assert.equal(warning(['lab']), 'ports 22, 80, 81, 8900 and 8901 will be reachable from anywhere (0.0.0.0/0); narrow them with --allow-from YOUR.ADDRESS/32');
    assert.equal(warning(['--allow-from', '203.0.113.7/32', 'lab']), undefined);
  });
  it('--allow-from gets a group of its own, named by purpose and a hash of its rules; the defaults share one', () => {
    const g = (argv: string[]) => plan(argv).securityGroup;
    const narrow = g(['--allow-from', '203.0.113.7/32', 'lab']);
    assert.match(narrow.name, /^ec2term-graphterm-server-[0-9a-f]{8}$/);
    assert.deepEqual(narrow.rules.map((r) => `${r.port}:${r.cidrs}`), [22, 80, 81, 8900, 8901].map((p) => `${p}:203.0.113.7/32`));
    assert.equal(narrow.exact, true);
    assert.match(narrow.description, /from 203\.0\.113\.7\/32$/);
    // Same sources, any order, any host: the same group. Other sources or ports: another group.
    assert.equal(g(['--allow-from', '10.0.0.0/8,203.0.113.7/32', 'a']).name, g(['--allow-from', '203.0.113.7/32,10.0.0.0/8', 'b']).name);
    assert.equal(g(['--allow-from', '203.0.113.7/32', 'other']).name, narrow.name);
    assert.notEqual(g(['--allow-from', '203.0.113.8/32', 'lab']).name, narrow.name);
    assert.match(g(['--allow-from', '203.0.113.7/32', '--accept-hosts', 'lab']).name, /^ec2term-graphterm-primary-[0-9a-f]{8}$/);
    assert.match(g(['--allow-from', '203.0.113.7/32', '--connect-to', 'lab', 'node']).name, /^ec2term-ssh-[0-9a-f]{8}$/);
    // The default sources, given or not, are the shared group (where only the defaults are).
    assert.deepEqual([g(['lab']).name, g(['lab']).exact], ['ec2term-graphterm-server', false]);
    assert.equal(g(['--allow-from', '0.0.0.0/0', 'lab']).name, 'ec2term-graphterm-server');
    // 8899 is open to the hosts' group only, whatever --allow-from says: 0.0.0.0/0 is still the default.
    assert.equal(g(['--allow-from', '0.0.0.0/0', '--accept-hosts', 'lab']).name, 'ec2term-graphterm-primary');
  });
  it('security group read back: every source it lets in, and what is beyond the rules asked for', () => {
    const perms = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }, { CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 8000, ToPort: 9000, IpRanges: [{ CidrIp: '203.0.113.7/32' }] },
      { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-1' }] },
      { IpProtocol: 'udp', FromPort: 53, ToPort: 53, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    ];
    assert.deepEqual(describePermissions(perms), ['22 from 203.0.113.7/32', '22 from 0.0.0.0/0', '8000-9000 from 203.0.113.7/32', 'all traffic from sg-1', '53/udp from ::/0']);
    assert.deepEqual(extraRules(perms, [{ port: 22, cidrs: ['203.0.113.7/32'], purpose: 'ssh' }]), ['22 from 0.0.0.0/0', '8000-9000 from 203.0.113.7/32', 'all traffic from sg-1', '53/udp from ::/0']);
    assert.deepEqual(extraRules(perms.slice(0, 1), [{ port: 22, cidrs: ['203.0.113.7/32', '0.0.0.0/0'], purpose: 'ssh' }]), []);
  });
  it('security group rules are only added where missing', () => {
    const perms = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
    assert.equal(allows(perms, 22, '10.0.0.0/8'), true);
    assert.equal(allows(perms, 22, '1.2.3.4/32'), false);
    assert.equal(allows([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }], 8900, '1.2.3.4/32'), true);
    assert.deepEqual(missingRules(perms, [{ port: 22, cidrs: ['10.0.0.0/8', '1.2.3.4/32'], purpose: 'ssh' }, { port: 8900, cidrs: ['1.2.3.4/32'], purpose: 'g' }]), [
      { port: 22, cidr: '1.2.3.4/32', purpose: 'ssh' },
      { port: 8900, cidr: '1.2.3.4/32', purpose: 'g' },
    ]);
  });
});
