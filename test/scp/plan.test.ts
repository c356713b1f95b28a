// Pure tables: operand parsing, argv -> plan, remote globs, temp names, progress formatting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOperand, planScp } from '../../src/commands/scp/plan.js';
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
  assert.deepEqual(p.options, { recursive: true, preserve: true, quiet: false, resume: true, identityFile: 'k.pem', port: 2222, parallel: 8 });
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
