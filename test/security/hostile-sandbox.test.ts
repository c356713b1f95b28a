// The attacks of issue 14 end to end: a third party (the SDK and the awscli, not ec2term) tags sandbox
// instances with the hostile corpus; the real bins then list, plan, watch, write ssh_config and --print.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cleanEnv, runBin } from '../helpers/run.js';
import { credentialsFor, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { assertOneSafeLine, assertTerminalSafe, HOSTILE } from '../helpers/hostile.js';
import { launch, waitState } from '../list/seed.js';

const AWSCLI = '/usr/bin/aws';
const PWNED = join(tmpdir(), `ec2term-pwned-${process.pid}`);
let sb: TestSandbox;
let env: Record<string, string>;
const ids: Record<string, string> = {};
// Tag values hold at most 256 characters (EC2's limit, which the sandbox keeps).
const CASES = Object.entries(HOSTILE).map(([what, s]) => [what, s.replace('/tmp/ec2term-pwned', PWNED).slice(0, 240)] as const);

const run = (program: string, args: string[], extra: Record<string, string> = {}) =>
  runBin(program, ['--sandbox', ...args], { env: { ...env, COLUMNS: '160', ...extra }, timeoutMs: 60_000 });

before(async () => {
  sb = await startTestSandbox();
  env = { ...sb.env, EC2TERM_KNOWN_HOSTS: join(mkdtempSync(join(tmpdir(), 'ec2term-kh-')), 'known_hosts') };
  for (const [what, s] of CASES) ids[what] = (await launch(sb.url, 'us-east-1', s, { 'ec2term:dns': `${s}.example.test` })).InstanceId!;
  ids.badUser = (await launch(sb.url, 'us-east-1', 'baduser', { 'ec2term:user': `-oProxyCommand=touch ${PWNED}` })).InstanceId!;
  ids.plain = (await launch(sb.url, 'us-east-1', 'plain')).InstanceId!;
  for (const id of Object.values(ids)) await waitState(sb.url, 'us-east-1', id, 'running');
  if (existsSync(AWSCLI)) {
    // The same kind of tag set with an independent client.
    const cli = spawnSync(AWSCLI, ['--endpoint-url', sb.url, 'ec2', 'create-tags', '--resources', ids.plain, '--tags', JSON.stringify([{ Key: 'ec2term:launch', Value: 'x\u001b]52;c;aWQK\u0007\nProxyCommand id' }])], {
      env: cleanEnv({ AWS_ACCESS_KEY_ID: credentialsFor(sb.url).accessKeyId, AWS_SECRET_ACCESS_KEY: credentialsFor(sb.url).secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' }),
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
  }
});
after(async () => {
  await sb?.stop();
  assert.ok(!existsSync(PWNED), 'an injected command ran');
});

describe('hostile tags against the real bins', () => {
  const n = CASES.length + 2;

  for (const args of [[], ['--wide'], ['--health'], ['--output', 'tsv']]) {
    it(`ec2list ${args.join(' ')}: nothing raw on the terminal, one line per instance`, async () => {
      const r = await run('ec2list', args);
      assert.equal(r.code, 0, r.stderr);
      assertTerminalSafe(r.stdout, 'stdout');
      assertTerminalSafe(r.stderr, 'stderr');
      if (args[0] !== '--health') assert.equal(r.stdout.trimEnd().split('\n').length, n + 1);
    });
  }

  it('ec2list --json: the exact values, and terminal-safe', async () => {
    const r = await run('ec2list', ['--json']);
    assertTerminalSafe(r.stdout.replace(/\n/g, ''), 'json');
    const names = new Set((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name));
    // XML turns a raw CR into LF on the way out of the sandbox (as it would any XML reader's).
    for (const [what, s] of CASES) assert.ok(names.has(s) || names.has(s.replace(/\r/g, '\n')), what);
  });

  it('ec2list --terminate (dry run and refused consent): plan, question, hints and errors stay one line each', async () => {
    const targets = Object.values(ids).slice(0, CASES.length);
    const dry = await run('ec2list', ['--terminate', ...targets, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assertTerminalSafe(dry.stdout + dry.stderr, 'plan');
    assert.ok(dry.stdout.split('\n').length >= targets.length);
    const missing = await run('ec2list', ['--terminate', HOSTILE['OSC 52 clipboard']!.replace('lab', 'nomatch')]);
    assertTerminalSafe(missing.stderr, 'not found');
  });

  it('ec2list --watch: every frame is safe (the frame\'s own clear-screen aside)', async () => {
    const child = spawn(process.execPath, [join(BIN, 'ec2list'), '--sandbox', '--watch', '--interval', '1s'], { env: cleanEnv({ ...env, COLUMNS: '160' }) });
    const closed = new Promise<number | null>((r) => child.on('close', r));
    let out = '';
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (b) => {
        out += b;
        if (out.includes('plain')) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGINT');
    assert.equal(await closed, 0, err);
    assert.match(out, /plain/);
    assertTerminalSafe(out, 'watch');
  });

  it('ec2ssh --ssh-config: OpenSSH reads only the intended directives; the bad user is left out with a warning', async () => {
    const r = await run('ec2ssh', ['--ssh-config', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assertTerminalSafe(r.stdout, 'ssh_config');
    assertTerminalSafe(r.stderr, 'warnings');
    assert.match(r.stderr, /left out baduser .*login user/);
    assert.doesNotMatch(r.stdout, /Host baduser/);
    // The one ProxyCommand is ec2ssh's own, naming the instance by id: no tag text in it.
    for (const line of r.stdout.split('\n').filter((l) => /^\s*ProxyCommand/i.test(l))) {
      assert.match(line, /^    ProxyCommand \S+ \S+ --sandbox --region [a-z0-9-]+ -q --stdio i-[0-9a-f]+$/, line);
    }
    const hosts = [...r.stdout.matchAll(/^Host (\S+)$/gm)].map((m) => m[1]!);
    assert.ok(hosts.includes('plain') && hosts.includes(ids['newline + ssh directive']!), hosts.join(' '));
    const directives = new Set(r.stdout.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('Host ')).map((l) => l.trim().split(' ')[0]));
    assert.deepEqual([...directives].sort(), ['HostKeyAlias', 'ProxyCommand', 'StrictHostKeyChecking', 'User', 'UserKnownHostsFile', ...(r.stdout.includes('IdentityFile ') ? ['IdentityFile', 'IdentitiesOnly'] : [])].sort());
    if (spawnSync('ssh', ['-V']).status === 0) {
      const file = join(mkdtempSync(join(tmpdir(), 'ec2term-cfg-')), 'config');
      writeFileSync(file, r.stdout);
      for (const h of hosts) {
        const g = spawnSync('ssh', ['-G', '-F', file, h], { encoding: 'utf8' });
        assert.equal(g.status, 0, g.stderr);
        assert.doesNotMatch(g.stdout, /^(localcommand|remotecommand|proxyjump) /m, h);
        assert.match(g.stdout, /^proxycommand \S+ \S+ --sandbox --region [a-z0-9-]+ -q --stdio i-[0-9a-f]+$/m, h);
      }
    }
  });

  it('ec2ssh --print: an ec2term:user tag that is an option is a clear error (exit 2); -l overrides it', async () => {
    const r = await run('ec2ssh', ['--print', ids.badUser!, 'uptime']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ec2term:user tag .* is not a usable login user: it starts with "-"/);
    assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr);
    const ok = await run('ec2ssh', ['--print', '-l', 'ubuntu', ids.badUser!, 'uptime']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('ec2ssh --print through sh -c: argv exactly as --json says, no option injection', async () => {
    const remote = ['echo', '$(id)', '`id`', "it's", '-oProxyCommand=x'];
    const text = await run('ec2ssh', ['--print', ids['OSC 0 title']!, ...remote]);
    assert.equal(text.code, 0, text.stderr);
    assertTerminalSafe(text.stdout + text.stderr, '--print');
    const json = JSON.parse((await run('ec2ssh', ['--json', '--print', ids['OSC 0 title']!, ...remote])).stdout) as { argv: string[] };
    assert.ok(json.argv.includes('--'));
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-fake-ssh-'));
    writeFileSync(join(dir, 'ssh'), `#!/usr/bin/env node\nfor (const a of process.argv.slice(2)) console.log(JSON.stringify(a));\n`, { mode: 0o755 });
    const sh = spawnSync('sh', ['-c', text.stdout.trim()], { encoding: 'utf8', env: { PATH: `${dir}:${process.env.PATH}` } });
    assert.equal(sh.status, 0, sh.stderr);
    assert.deepEqual(sh.stdout.trim().split('\n').map((l) => JSON.parse(l)), json.argv.slice(1));
  });
});
