// --output json|text|table and --query, defined once for every command (src/cli.ts, src/lib/formats.ts,
// src/lib/query.ts). text is the AWS CLI's own text format: checked against awscli's formatter itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/lib/errors.js';
import { chooseOutput, tableLines, textLines } from '../../src/lib/formats.js';
import { compileQuery } from '../../src/lib/query.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addInstance, memoryDeps, memoryWorld } from '../helpers/memory-aws.js';

describe('--output', () => {
  it('chooses the format: --json is --output json, tsv is text, table is the default', () => {
    const cases: [string | undefined, boolean, string][] = [
      [undefined, false, 'table'],
      ['json', false, 'json'],
      ['text', false, 'text'],
      ['tsv', false, 'text'],
      ['table', false, 'table'],
      [undefined, true, 'json'],
      ['json', true, 'json'],
    ];
    for (const [output, json, want] of cases) assert.equal(chooseOutput(output, json), want, `${output} ${json}`);
    assert.throws(() => chooseOutput('text', true), UsageError);
  });
});

// Python's awscli is the reference for text output (CI installs awscli; Debian's puts it here).
const AWSCLI = '/usr/lib/python3/dist-packages/awscli/text.py';
const awsText = (docs: unknown[]): string[] => {
  const script = `import sys, json, io\nsys.path.insert(0, '/usr/lib/python3/dist-packages')\nfrom awscli import text\nout = []\nfor d in json.load(sys.stdin):\n    s = io.StringIO(); text.format_text(d, s); out.append(s.getvalue())\nprint(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(docs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
};

describe('--output text is the AWS CLI text format', () => {
  const docs: unknown[] = [
    'plain',
    42,
    null,
    true,
    [1, 2, 3],
    ['a', 'b'],
    [],
    { b: 2, a: 1 },
    { name: 'lab', tags: { Name: 'lab', env: 'dev' }, ids: ['i-1', 'i-2'] },
    [{ name: 'lab', state: 'running' }, { name: 'web', type: 't3.micro' }],
    [{ name: 'lab', nested: { x: 1, y: [true, false] } }, { name: 'web', nested: null }],
    [[1, 2], [3], 4],
    { Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' }, Tags: [{ Key: 'Name', Value: 'lab' }] }] }] },
    [null, 1.5, 'x'],
  ];
  it('prints what awscli prints for the same data', { skip: !existsSync(AWSCLI) && 'awscli (python) not installed' }, () => {
    const want = awsText(docs);
    docs.forEach((d, i) => assert.equal(textLines(d).map((l) => `${l}\n`).join(''), want[i], JSON.stringify(d)));
  });
  it('escapes a tab or newline inside a value: one field stays one field', () => {
    assert.deepEqual(textLines([{ name: 'a\tb', note: 'line\nbreak' }]), ['a\\tb\tline\\nbreak']);
  });
});

describe('--query', () => {
  it('applies JMESPath as the AWS CLI does', async () => {
    const data = [{ name: 'lab', state: 'running', tags: { env: 'dev' } }, { name: 'web', state: 'stopped', tags: {} }];
    const cases: [string, unknown][] = [
      ['[].name', ['lab', 'web']],
      ["[?state=='running'].name", ['lab']],
      ['[?state==`stopped`] | [0].name', 'web'],
      ['length(@)', 2],
      ['[].{n: name, e: tags.env}', [{ n: 'lab', e: 'dev' }, { n: 'web', e: null }]],
    ];
    for (const [expr, want] of cases) assert.deepEqual((await compileQuery(expr)).search(data), want, expr);
  });
  it('a bad expression is one line and a UsageError', async () => {
    for (const bad of ['[', '[?name==]', 'foo(', '{a:}']) {
      await assert.rejects(compileQuery(bad), (err: Error) => err instanceof UsageError && /^bad --query "/.test(err.message) && !err.message.includes('\n'), bad);
    }
  });
  it('a table of a query result: a column per key', () => {
    assert.deepEqual(tableLines([{ n: 'lab', s: 'running' }, { n: 'web' }], Infinity), ['n    s', 'lab  running', 'web']);
    assert.deepEqual(tableLines(['lab', 'web'], Infinity), ['lab', 'web']);
  });
});

describe('every command: in-process', () => {
  const world = memoryWorld();
  addInstance(world, 'lab');
  addInstance(world, 'web', {}, 'us-east-1').state = 'stopped';

  it('ec2list --query picks from the JSON data; text and table print the pick', async () => {
    const json = await runInProcess('ec2list', ['--query', "[?state=='running'].name", '--output', 'json'], { deps: memoryDeps(world) });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), ['lab']);
    const text = await runInProcess('ec2list', ['--query', '[].[name, state]', '--output', 'text'], { deps: memoryDeps(world) });
    assert.equal(text.stdout, 'lab\trunning\nweb\tstopped\n');
    const table = await runInProcess('ec2list', ['--query', '[].{name: name, state: state}'], { deps: memoryDeps(world) });
    assert.equal(table.stdout, 'name  state\nlab   running\nweb   stopped\n');
  });

  it('ec2list --output text (and tsv) is its tab-separated listing', async () => {
    const text = await runInProcess('ec2list', ['--output', 'text'], { deps: memoryDeps(world) });
    const tsv = await runInProcess('ec2list', ['-o', 'tsv'], { deps: memoryDeps(world) });
    assert.equal(text.stdout, tsv.stdout);
    assert.match(text.stdout.split('\n')[0]!, /^region\tname\tdnsRecord\tid\tstate/);
  });

  it('a bad --query: one line, exit 2, before any AWS request', async () => {
    const w = memoryWorld();
    for (const program of ['ec2list', 'ec2launch', 'ec2scp', 'ec2ssh']) {
      const r = await runInProcess(program, ['--query', '[?', 'lab'], { deps: memoryDeps(w) });
      assert.equal(r.code, 2, program);
      assert.match(r.stderr, new RegExp(`^${program}: bad --query "\\[\\?": .+\\n$`), program);
    }
    assert.deepEqual(w.calls, []);
  });

  it('--json and --output disagree: exit 2; --output yaml: exit 2', async () => {
    assert.equal((await runInProcess('ec2list', ['--json', '--output', 'table'], { deps: memoryDeps(world) })).code, 2);
    assert.equal((await runInProcess('ec2list', ['--output', 'yaml'], { deps: memoryDeps(world) })).code, 2);
  });

  it('ec2ssh: --query and --output text are refused for a session (its stdout is the remote command\'s)', async () => {
    for (const args of [['--query', '@', 'lab', 'true'], ['--output', 'text', 'lab', 'true']]) {
      const r = await runInProcess('ec2ssh', args, { deps: memoryDeps(world) });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /cannot share stdout with the remote command/);
    }
  });

  it('ec2launch --user-data --query picks from its JSON', async () => {
    const r = await runInProcess('ec2launch', ['--user-data', '--query', 'name', '--output', 'text', 'lab'], { deps: memoryDeps(world) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lab\n');
  });
});
