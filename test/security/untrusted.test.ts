// The one rule for untrusted text, as specifications: every string of the hostile corpus through every
// renderer (table, --wide, TSV, watch frame, plan and question, picker, error lines, warnings, scp's
// progress line) and every emitted file (ssh_config, --print), plus the sink functions themselves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { confirmQuestion, describePlan, planInstanceAction } from '../../src/commands/list/plan.js';
import { renderList, renderTsv } from '../../src/commands/list/render.js';
import { toRow } from '../../src/commands/list/rows.js';
import { checkedTagUser } from '../../src/lib/ssh/connect.js';
import { AmbiguousError, describeError, Ec2termError, NotFoundError } from '../../src/lib/errors.js';
import type { InstanceInfo } from '../../src/lib/instances.js';
import type { Io } from '../../src/lib/io.js';
import { Output } from '../../src/lib/output.js';
import { terminalChoices, terminalQuestion } from '../../src/lib/prompt.js';
import { describeCandidate } from '../../src/lib/resolve.js';
import { hostAlias, opensshArgs, opensshCommand, sshConfigBlock, type OpenSshTarget } from '../../src/lib/ssh/openssh.js';
import { displayWidth } from '../../src/lib/table.js';
import { progressLine } from '../../src/lib/transfer/progress.js';
import {
  forTerminal,
  hintName,
  jsonForTerminal,
  loginUserProblem,
  shellWord,
  sshConfigAlias,
  sshConfigComment,
  sshConfigValue,
} from '../../src/lib/untrusted.js';
import { assertOneSafeLine, assertTerminalSafe, HOSTILE } from '../helpers/hostile.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const CASES = Object.entries(HOSTILE);

function inst(n: number, s: string): InstanceInfo {
  return {
    id: `i-00000000000000${String(n).padStart(3, '0')}`, region: 'us-east-1', state: 'running', managed: true, sshPort: 22,
    name: s, dnsRecord: `${s}.example.com`, keyName: s, imageId: 'ami-1', type: 't3.micro', publicIp: '1.2.3.4',
    securityGroups: [{ id: 'sg-1', name: s }], tags: { Name: s, 'ec2term:launch': s, 'ec2term:dns': s }, launchTime: new Date(NOW - 60_000),
  };
}
const INSTANCES = CASES.map(([, s], n) => inst(n, s));

function capture(color = false): { out: Output; stdout: () => string; stderr: () => string } {
  const o = new PassThrough();
  const e = new PassThrough();
  let so = '';
  let se = '';
  o.on('data', (b) => (so += b));
  e.on('data', (b) => (se += b));
  const io: Io = { stdin: new PassThrough(), stdout: o, stderr: e, env: {}, interactive: false, stdoutIsTTY: false, stderrIsTTY: false, columns: () => 100 };
  return { out: new Output(io, { json: false, quiet: false, verbose: true, color }, 'ec2list'), stdout: () => so, stderr: () => se };
}

describe('terminal: forTerminal', () => {
  const table: [string, string][] = [
    ['a\nb', 'a\\nb'],
    ['\u001b[2J', '\\x1b[2J'],
    ['\u001b]0;t\u0007', '\\x1b]0;t\\x07'],
    ['x\u202ey', 'x\\u202ey'],
    ['\u009b', '\\x9b'],
    ['\u{e0041}', '\\u{e0041}'],
    ['a\tb', 'a\\tb'],
    ['実験', '実験'],
    ['$(id) `id` it\'s', '$(id) `id` it\'s'],
  ];
  for (const [input, shown] of table) it(`${JSON.stringify(input)} is shown as ${shown}`, () => assert.equal(forTerminal(input), shown));
  for (const [what, s] of CASES) it(`${what}: one safe line`, () => assertOneSafeLine(forTerminal(s), what));
  it('keeps only ec2term\'s own colours when asked', () => {
    assert.equal(forTerminal('\u001b[31mred\u001b[39m\u001b[8mhidden', { keepColours: true }), '\u001b[31mred\u001b[39m\\x1b[8mhidden');
  });
  it('--json stays exact when parsed, and terminal-safe', () => {
    const value = Object.fromEntries(CASES);
    const text = jsonForTerminal(value);
    assert.deepEqual(JSON.parse(text), value);
    assertTerminalSafe(text.replace(/\n/g, ''), 'json');
  });
});

describe('renderers: every hostile string', () => {
  const rows = INSTANCES.map((i) => toRow(i, NOW));
  for (const wide of [false, true]) {
    it(`table${wide ? ' --wide' : ''}: one line per instance, nothing raw, fitted to the width`, () => {
      for (const width of [80, 200, Infinity]) {
        const lines = renderList(rows, { wide, regionColumn: false, headers: true, width });
        assert.equal(lines.length, rows.length + 1);
        lines.forEach((l, k) => {
          assertOneSafeLine(l, `row ${k}`);
          if (width !== Infinity) assert.ok(displayWidth(l) <= width, `row ${k} is ${displayWidth(l)} wide`);
        });
      }
    });
  }
  it('table with colours: only the palette\'s codes', () => {
    const c = capture(true);
    for (const l of renderList(rows, { wide: true, regionColumn: false, headers: true, width: 200, paint: c.out.paint })) c.out.line(l);
    assertTerminalSafe(c.stdout(), 'coloured table');
    assert.equal(c.stdout().split('\n').length, rows.length + 2);
  });
  it('TSV: one line per instance, same number of fields', () => {
    const lines = renderTsv(rows, { wide: true, headers: true });
    const fields = lines[0]!.split('\t').length;
    for (const l of lines) {
      assertOneSafeLine(l.replace(/\t/g, ' '), 'tsv');
      assert.equal(l.split('\t').length, fields);
    }
  });
  it('terminate plan and its question', () => {
    const plan = planInstanceAction('terminate', INSTANCES, { now: NOW });
    const c = capture();
    for (const l of describePlan(plan, { dryRun: true })) c.out.line(l);
    for (const l of describePlan(plan)) c.out.info(l);
    assertTerminalSafe(c.stdout() + c.stderr(), 'plan');
    for (const i of INSTANCES) {
      const one = planInstanceAction('terminate', [i], { now: NOW });
      assertOneSafeLine(terminalQuestion(confirmQuestion(one)), 'question');
    }
  });
  it('picker choices', () => {
    for (const c of terminalChoices(INSTANCES.map((i) => ({ name: describeCandidate(i), value: i, description: i.name })))) {
      assertOneSafeLine(c.name, 'choice');
      assertOneSafeLine(c.description!, 'choice description');
    }
  });
  it('error lines: message, candidates, hint, cause', () => {
    for (const [what, s] of CASES) {
      const errors = [
        new NotFoundError(`no instance named "${s}"`, [s, `${s} i-1`]),
        new AmbiguousError(`2 instances match "${s}"`, INSTANCES.slice(0, 3).map(describeCandidate)),
        new Ec2termError(`${s} failed`, 1, { hint: `ec2list ${s}`, cause: new Error(s) }),
      ];
      for (const e of errors) for (const l of describeError(e, { verbose: true }).lines) assertOneSafeLine(l, what);
    }
  });
  it('warnings, notices and details are one line each', () => {
    const c = capture();
    for (const [, s] of CASES) {
      c.out.warn(`${s}: DNS record ${s} kept`);
      c.out.info(s);
      c.out.detail(s);
    }
    assertTerminalSafe(c.stderr(), 'stderr');
    assert.equal(c.stderr().split('\n').length, CASES.length * 3 + 1);
  });
  it('ec2scp progress line: remote file names', () => {
    for (const [what, s] of CASES) {
      for (const width of [20, 80, 200]) {
        const l = progressLine({ filesDone: 1, files: 3, bytesDone: 10, bytes: 100, rate: 5, current: s }, width);
        assertOneSafeLine(l, what);
        assert.ok(displayWidth(l) <= width - 1, `${what} at ${width}: ${displayWidth(l)} wide`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// ssh_config

const T: OpenSshTarget = { instanceId: 'i-0abc', alias: 'lab', host: '1.2.3.4', port: 22, user: 'ubuntu', identityFile: '/home/u/.ssh/k.pem', knownHostsFile: '/home/u/.config/ec2term/known_hosts' };

describe('ssh_config', () => {
  it('values: written so OpenSSH reads them back, or refused', () => {
    const table: [string, boolean, string | undefined][] = [
      ['ubuntu', false, 'ubuntu'],
      ['/home/u/my key.pem', true, '"/home/u/my key.pem"'],
      ['/home/u/100%.pem', true, '/home/u/100%%.pem'],
      ['/home/u/a=b#c', true, '"/home/u/a=b#c"'],
      ['/home/${HOME}/k', true, undefined],
      ['a\nProxyCommand x', false, undefined],
      ['a"b', false, undefined],
      ['a\\b', false, undefined],
      ['a\u202eb', false, undefined],
      ['', false, undefined],
    ];
    for (const [v, tokens, written] of table) assert.equal(sshConfigValue(v, { tokens }), written, JSON.stringify(v));
  });
  it('Host aliases: plain words only; names with controls or another id get the instance id', () => {
    const table: [string | undefined, string][] = [
      ['lab', 'lab'],
      ['my lab', 'my-lab'],
      ['lab*', 'lab'],
      ['!lab,web', 'lab-web'],
      ['-oProxyCommand=x', 'oProxyCommand-x'],
      [HOSTILE['newline + ssh directive'], 'i-0abc'],
      [HOSTILE['U+202E override'], 'i-0abc'],
      ['i-0fff', 'i-0abc'],
      ['実験室', 'i-0abc'],
      [undefined, 'i-0abc'],
    ];
    for (const [name, alias] of table) assert.equal(hostAlias(name, 'i-0abc'), alias, JSON.stringify(name));
    assert.equal(sshConfigAlias('a b'), undefined);
    assert.equal(sshConfigAlias('*'), undefined);
  });
  it('comments never span lines', () => {
    for (const [what, s] of CASES) assertOneSafeLine(sshConfigComment(s), what);
  });
  it('a hostile user, address, alias or path leaves the block out (with the reason)', () => {
    const bad: Partial<OpenSshTarget>[] = [
      { user: HOSTILE['leading dash'] },
      { user: 'a\nProxyCommand x' },
      { host: '1.2.3.4\nProxyCommand x' },
      { host: '-oProxyCommand=x' },
      { alias: 'a b' },
      { identityFile: '/tmp/a\nProxyCommand x' },
      { knownHostsFile: '/tmp/"x' },
    ];
    for (const b of bad) {
      const block = sshConfigBlock({ ...T, ...b });
      assert.equal(block.text, undefined, JSON.stringify(b));
      assert.ok(block.problem && !block.problem.includes('\n') === !/\n/.test(block.problem));
      assertOneSafeLine(forTerminal(block.problem!), 'problem');
    }
  });
  it('notes with hostile text stay comments: OpenSSH sees only the intended directives', { skip: !hasSsh() && 'no ssh' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-cfg-'));
    const text = CASES.map(([, s], n) => sshConfigBlock({ ...T, alias: `h${n}`, instanceId: `i-${n}` }, [s, `${s}, ${s}.example.com`]).text!).join('\n\n');
    writeFileSync(join(dir, 'config'), `${text}\n`);
    for (let n = 0; n < CASES.length; n++) {
      const r = spawnSync('ssh', ['-G', '-F', join(dir, 'config'), `h${n}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const conf = r.stdout;
      assert.match(conf, /^hostname 1\.2\.3\.4$/m);
      assert.match(conf, /^user ubuntu$/m);
      assert.match(conf, new RegExp(`^hostkeyalias i-${n}$`, 'm'));
      assert.doesNotMatch(conf, /^proxycommand /m);
      assert.doesNotMatch(conf, /^(localcommand|permitlocalcommand yes|remotecommand|proxyjump)/m);
    }
  });
});

function hasSsh(): boolean {
  return spawnSync('ssh', ['-V']).status === 0;
}

// ---------------------------------------------------------------------------------------------
// Shell command lines

describe('shell: --print and hints', () => {
  it('login users: what OpenSSH would misread is refused', () => {
    const table: [string, boolean][] = [
      ['ubuntu', true],
      ['ec2-user', true],
      ['_svc.x', true],
      ['machine$', true],
      ['-oProxyCommand=touch /tmp/x', false],
      ['-l', false],
      ['a b', false],
      ['$(id)', false],
      ['`id`', false],
      ['a;b', false],
      ["o'brien", false],
      ['a\nb', false],
      ['a\\', false],
      ['', false],
      ['x'.repeat(65), false],
    ];
    for (const [user, ok] of table) assert.equal(loginUserProblem(user) === undefined, ok, JSON.stringify(user));
  });
  it('an ec2term:user tag ssh would read as an option is a clear error (exit 2), not a guess', () => {
    const i = { ...INSTANCES[0]!, name: 'lab', user: '-oProxyCommand=touch /tmp/x' };
    assert.throws(() => checkedTagUser(i), (e: Ec2termError) => e.exitCode === 2 && /ec2term:user tag/.test(e.message) && /ec2ssh -l ubuntu lab/.test(e.hint!));
    assert.equal(checkedTagUser({ ...i, user: 'ec2-user' }), 'ec2-user');
  });
  it('--print puts -- before the destination and refuses a bad user or address', () => {
    const args = opensshArgs(T);
    assert.deepEqual(args.slice(-2), ['--', 'ubuntu@1.2.3.4']);
    assert.throws(() => opensshArgs({ ...T, user: '-oProxyCommand=x' }), /login user/);
    assert.throws(() => opensshArgs({ ...T, host: '-oProxyCommand=x' }), /address/);
  });
  it('--print through sh -c passes argv exactly, whatever the remote command holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-sh-'));
    // A stand-in `ssh` that prints its argv, one per line, JSON-encoded.
    writeFileSync(join(dir, 'ssh'), `#!/usr/bin/env node\nfor (const a of process.argv.slice(2)) console.log(JSON.stringify(a));\n`, { mode: 0o755 });
    for (const [what, s] of CASES) {
      const t = { ...T, identityFile: `/tmp/${what} 'k'.pem` };
      const line = opensshCommand(t, s);
      assertOneSafeLine(line, what);
      // $'...' (used for words with controls) needs bash; plain quoting is POSIX sh.
      const shell = line.includes("$'") ? 'bash' : 'sh';
      const r = spawnSync(shell, ['-c', line], { encoding: 'utf8', env: { PATH: `${dir}:${process.env.PATH}` } });
      assert.equal(r.status, 0, r.stderr);
      const argv = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
      assert.deepEqual(argv, [...opensshArgs(t).slice(1), s], what);
    }
  });
  it('hint words: shell-quoted, or the id when the name holds controls', () => {
    assert.equal(hintName({ name: 'lab', id: 'i-1' }), 'lab');
    assert.equal(hintName({ name: '$(id)', id: 'i-1' }), "'$(id)'");
    assert.equal(hintName({ name: 'a\u001b[2J', id: 'i-1' }), 'i-1');
    assert.equal(hintName({ id: 'i-1' }), 'i-1');
    assert.equal(shellWord('a\nb'), "$'a\\nb'");
  });
});
