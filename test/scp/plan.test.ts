// Pure tables: operand parsing, argv -> plan, remote globs, temp names, progress formatting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLocal, localPathsToCheck, localSourceProblem, localTargetFolder, parseOperand, planScp, type LocalFact } from '../../src/commands/scp/plan.js';
import { UsageError } from '../../src/lib/errors.js';
import { isPartOf, partName, trimSlashes } from '../../src/lib/transfer/engine.js';
import { globToRegExp, hasGlob, matchNames, unescapeGlob } from '../../src/lib/transfer/glob.js';
import { formatBytes, formatEta, progressLine } from '../../src/lib/transfer/progress.js';

test('parseOperand: remote only when a colon comes before any slash and names a host', () => {
  const cases: [string, unknown][] = [
    ['lab:', { kind: 'remote', host: 'lab', user: undefined, path: '.' }],
    ['lab:data/', { kind: 'remote', host: 'lab', user: undefined, path: 'data/' }],
    ['ubuntu@lab:/tmp/x', { kind: 'remote', host: 'lab', user: 'ubuntu', path: '/tmp/x' }],
    ['i-0123456789abcdef0:x', { kind: 'remote', host: 'i-0123456789abcdef0', user: undefined, path: 'x' }],
    ['lab.myterm.com:logs/*.log', { kind: 'remote', host: 'lab.myterm.com', user: undefined, path: 'logs/*.log' }],
    ['10.0.0.5:a:b', { kind: 'remote', host: '10.0.0.5', user: undefined, path: 'a:b' }],
    ['./a:b', { kind: 'local', path: './a:b' }],
    ['/x:y', { kind: 'local', path: '/x:y' }],
    ['dir/a:b', { kind: 'local', path: 'dir/a:b' }],
    ['plain.txt', { kind: 'local', path: 'plain.txt' }],
    [':nohost', { kind: 'local', path: ':nohost' }],
    ['*.log:x', { kind: 'local', path: '*.log:x' }],
    ['.', { kind: 'local', path: '.' }],
  ];
  for (const [raw, want] of cases) {
    const { raw: _r, ...got } = parseOperand(raw) as Record<string, unknown>;
    assert.deepEqual(got, want, raw);
  }
});

test('parseOperand: bad user names and empty hosts are usage errors', () => {
  for (const raw of ['@lab:x', 'a b@lab:x', 'user@:x', '']) {
    assert.throws(() => parseOperand(raw), UsageError, raw);
  }
});

test('planScp: direction, hosts and options', () => {
  const cases: [string[], Record<string, unknown>, { direction: string; hosts: string[]; sources: number }][] = [
    [['a', 'lab:'], {}, { direction: 'upload', hosts: ['lab'], sources: 1 }],
    [['a', 'b', 'ubuntu@lab:dir/'], {}, { direction: 'upload', hosts: ['ubuntu@lab'], sources: 2 }],
    [['lab:x', '.'], {}, { direction: 'download', hosts: ['lab'], sources: 1 }],
    [['lab:x', 'web:y', 'out/'], {}, { direction: 'download', hosts: ['lab', 'web'], sources: 2 }],
    [['lab:x', 'web:'], {}, { direction: 'remote-to-remote', hosts: ['lab', 'web'], sources: 1 }],
    [['lab:x', 'lab:y', '.'], {}, { direction: 'download', hosts: ['lab'], sources: 2 }],
  ];
  for (const [args, opts, want] of cases) {
    const p = planScp(args, opts);
    assert.equal(p.direction, want.direction, args.join(' '));
    assert.deepEqual(p.hosts.map((h) => (h.user ? `${h.user}@${h.host}` : h.host)), want.hosts, args.join(' '));
    assert.equal(p.sources.length, want.sources);
  }
  const p = planScp(['-', 'lab:'], { recursive: true, preserve: true, port: '2222', identity: 'k.pem', resume: true, parallel: '8' });
  assert.deepEqual(p.options, { recursive: true, preserve: true, quiet: false, resume: true, identityFile: 'k.pem', port: 2222, parallel: 8, limitKbits: undefined, notes: [] });
  assert.equal(planScp(['a', 'lab:'], {}).options.parallel, 4);
});

test('planScp: usage errors before any AWS call', () => {
  const cases: [string[], Record<string, unknown>, RegExp][] = [
    [[], {}, /missing SOURCE and TARGET/],
    [['a'], {}, /missing TARGET/],
    [['a', 'b'], {}, /nothing remote/],
    [['a', 'lab:*.txt'], {}, /wildcards work on the source side only/],
    [['a', 'lab:'], { port: '0' }, /bad port/],
    [['a', 'lab:'], { port: '70000' }, /bad port/],
    [['a', 'lab:'], { port: '22x' }, /bad port/],
    [['a', 'lab:'], { parallel: '0' }, /bad --parallel/],
  ];
  for (const [args, opts, re] of cases) {
    assert.throws(() => planScp(args, opts), (e: unknown) => e instanceof UsageError && re.test((e as Error).message), args.join(' '));
  }
});

const FILE: LocalFact = { kind: 'file', readable: true };
const DIR: LocalFact = { kind: 'dir', readable: true };
const MISSING: LocalFact = { kind: 'missing' };

test('localTargetFolder and localPathsToCheck: what run.ts looks at on the local disk', () => {
  const folders: [string, string][] = [['x', '.'], ['out/x.txt', 'out'], ['out/', 'out'], ['out//', 'out'], ['/', '/'], ['/a/b/', '/a/b'], ['.', '.']];
  for (const [p, want] of folders) assert.equal(localTargetFolder(p), want, p);
  const paths: [string[], Record<string, unknown>, string[]][] = [
    [['a', 'b', 'lab:'], {}, ['a', 'b']],
    [['a', 'a', 'lab:'], { identity: 'k.pem' }, ['a', 'k.pem']],
    [['a', 'lab:'], { identity: '~/k.pem' }, ['a']],
    [['lab:x', 'out/y'], {}, ['out/y', 'out']],
    [['lab:x', '.'], {}, ['.']],
    [['lab:x', 'lab:y', 'got/'], {}, ['got']],
    [['lab:x', 'web:'], {}, []],
  ];
  for (const [args, opts, want] of paths) assert.deepEqual(localPathsToCheck(planScp(args, opts)), want, args.join(' '));
});

test('localSourceProblem: scp\'s words for sources that cannot be copied', () => {
  const cases: [LocalFact, boolean, RegExp | undefined][] = [
    [FILE, false, undefined],
    [DIR, true, undefined],
    [MISSING, false, /^f: No such file or directory$/],
    [{ kind: 'error', reason: 'Not a directory' }, false, /^f: Not a directory$/],
    [DIR, false, /^f: not a regular file \(a folder: use -r/],
    [{ kind: 'other', readable: true }, true, /^f: not a regular file$/],
    [{ kind: 'file', readable: false }, false, /^f: Permission denied$/],
    [{ kind: 'dir', readable: false }, true, /^f: Permission denied$/],
  ];
  for (const [fact, recursive, want] of cases) {
    const got = localSourceProblem('f', fact, recursive);
    if (want === undefined) assert.equal(got, undefined, JSON.stringify(fact));
    else assert.match(got ?? '', want, JSON.stringify(fact));
  }
});

test('checkLocal: exit 2 before any AWS call when nothing local can be copied; some bad sources go on', () => {
  const disk = (facts: Record<string, LocalFact>) => (p: string) => facts[p] ?? MISSING;
  type Want = { throws: RegExp } | { problems: string[] };
  const cases: [string[], Record<string, unknown>, Record<string, LocalFact>, Want][] = [
    [['a', 'lab:'], {}, { a: FILE }, { problems: [] }],
    [['/no/such/file', 'lab:'], {}, {}, { throws: /^\/no\/such\/file: No such file or directory$/ }],
    [['dir', 'lab:'], {}, { dir: DIR }, { throws: /^dir: not a regular file/ }],
    [['dir', 'lab:'], { recursive: true }, { dir: DIR }, { problems: [] }],
    [['secret', 'lab:'], {}, { secret: { kind: 'file', readable: false } }, { throws: /^secret: Permission denied$/ }],
    [['fifo', 'lab:'], {}, { fifo: { kind: 'other', readable: true } }, { throws: /^fifo: not a regular file$/ }],
    // Several sources, all bad: one line naming them; some bad: scp goes on (the transfer reports them, exit 1).
    [['x', 'y', 'lab:'], {}, {}, { throws: /^x: No such file or directory; y: No such file or directory$/ }],
    [['p', 'q', 'r', 's', 't', 'lab:'], {}, {}, { throws: /^p: .*; q: .*; r: No such file or directory; and 2 more$/ }],
    [['a', 'gone', 'lab:'], {}, { a: FILE }, { problems: ['gone: No such file or directory'] }],
    // A remote source might work: only the local one is reported.
    [['gone', 'web:x', 'lab:'], {}, {}, { problems: ['gone: No such file or directory'] }],
    // -i key file.
    [['a', 'lab:'], { identity: '/no/key' }, { a: FILE }, { throws: /^-i \/no\/key: no such key file$/ }],
    [['a', 'lab:'], { identity: '~/k' }, { a: FILE }, { problems: [] }],
    // Local targets.
    [['lab:x', 'out/x'], {}, {}, { throws: /^out\/x: the local folder out does not exist$/ }],
    [['lab:x', 'f/x'], {}, { f: FILE }, { throws: /the local folder f is not a folder/ }],
    [['lab:x', '/no/such/dir/'], {}, {}, { throws: /^\/no\/such\/dir\/: the local folder \/no\/such\/dir does not exist$/ }],
    [['lab:x', 'new'], {}, { '.': DIR }, { problems: [] }],
    [['lab:x', 'lab:y', 'new'], {}, { '.': DIR }, { throws: /^new: No such directory \(copying several files needs an existing folder\)$/ }],
    [['lab:x', 'lab:y', 'f'], {}, { '.': DIR, f: FILE }, { throws: /^f: Not a directory \(copying several/ }],
    [['lab:x', 'lab:y', 'got'], {}, { '.': DIR, got: DIR }, { problems: [] }],
    [['lab:x', 'lab:y', 'got/'], {}, { got: DIR }, { problems: [] }],
  ];
  for (const [args, opts, facts, want] of cases) {
    const plan = planScp(args, opts);
    const title = `${args.join(' ')} ${JSON.stringify(opts)}`;
    if ('throws' in want) {
      assert.throws(() => checkLocal(plan, disk(facts)), (e: unknown) => e instanceof UsageError && want.throws.test((e as Error).message), title);
    } else {
      assert.deepEqual(checkLocal(plan, disk(facts)), want.problems, title);
    }
  }
});

test('globs: detection, escapes and matching like the shell', () => {
  assert.equal(hasGlob('*.log'), true);
  assert.equal(hasGlob('a?c'), true);
  assert.equal(hasGlob('[ab].txt'), true);
  assert.equal(hasGlob('plain.txt'), false);
  assert.equal(hasGlob('a\\*b'), false);
  assert.equal(hasGlob('[x'), false);
  assert.equal(unescapeGlob('a\\*b'), 'a*b');
  const cases: [string, string, boolean][] = [
    ['*.log', 'a.log', true],
    ['*.log', 'a.log.1', false],
    ['*.log', '.hidden.log', false],
    ['.*.log', '.hidden.log', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[ab].txt', 'b.txt', true],
    ['[ab].txt', 'c.txt', false],
    ['[!ab].txt', 'c.txt', true],
    ['[^ab].txt', 'a.txt', false],
    ['[a-c]x', 'bx', true],
    ['log-[0-9][0-9]', 'log-42', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['(x)+.txt', '(x)+.txt', true],
    ['*', 'anything here', true],
  ];
  for (const [glob, name, want] of cases) assert.equal(globToRegExp(glob).test(name), want, `${glob} vs ${name}`);
  assert.deepEqual(matchNames(['b.log', '.', '..', 'a.log', 'c.txt', '.x.log'], '*.log'), ['a.log', 'b.log']);
});

test('temporary names and trailing slashes', () => {
  assert.equal(partName('big.bin', 'abcd'), '.big.bin.ec2scp-abcd.part');
  assert.match(partName('x'), /^\.x\.ec2scp-[0-9a-f]{4}\.part$/);
  assert.equal(isPartOf('.big.bin.ec2scp-abcd.part', 'big.bin'), true);
  assert.equal(isPartOf('.big.bin.ec2scp-abcd.part', 'big'), false);
  assert.equal(isPartOf('big.bin', 'big.bin'), false);
  const cases: [string, string][] = [['dir/', 'dir'], ['dir//', 'dir'], ['/', '/'], ['a/b', 'a/b'], ['.', '.']];
  for (const [p, want] of cases) assert.equal(trimSlashes(p), want, p);
});

test('progress: bytes, ETA and a line that fits the terminal', () => {
  const bytes: [number, string][] = [[0, '0B'], [1023, '1023B'], [1536, '1.5KB'], [200 * 1024 * 1024, '200MB'], [3 * 1024 ** 3, '3.0GB']];
  for (const [n, want] of bytes) assert.equal(formatBytes(n), want);
  const etas: [number | undefined, string][] = [[7, '0:07'], [725, '12:05'], [3723, '1:02:03'], [undefined, '--:--'], [Infinity, '--:--']];
  for (const [s, want] of etas) assert.equal(formatEta(s), want);
  const line = progressLine({ filesDone: 1, files: 3, bytesDone: 100 * 1024 * 1024, bytes: 200 * 1024 * 1024, rate: 50 * 1024 * 1024, current: 'lab:some/very/long/path/to/a/file.bin' }, 60);
  assert.ok(line.length <= 59, line);
  assert.match(line, /^\[1\/3\] /);
  assert.match(line, / 50% +100MB\/200MB +50MB\/s +0:02 ETA$/);
  assert.match(line, /…/);
});
