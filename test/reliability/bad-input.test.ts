// Issue 8, "Bad input": a table of bad inputs across the four commands. Each must exit 2 with one line on
// stderr naming the bad value (or the option), no stack trace, nothing on stdout, and no AWS request
// (checked through the sandbox's request log, cleared before each case). The cases run in-process through
// the bins' own runner (test/helpers/inprocess.ts); test/foundation/bins.test.ts spawns the real bins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runInProcess } from '../helpers/inprocess.js';
import type { RunResult } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

interface Case {
  program: 'ec2launch' | 'ec2list' | 'ec2ssh' | 'ec2scp';
  args: string[];
  /** A part of the message that names the bad value or the option (case-insensitive). */
  names: string | RegExp;
  /** Known gap: reported, not failed (see the reason). */
  todo?: string;
}

const LONG = 'a'.repeat(5000);
const c = (program: Case['program'], args: string[], names: string | RegExp, todo?: string): Case => ({ program, args, names, todo });

const CASES: Case[] = [
  // ---- ec2launch: names
  c('ec2launch', ['--yes', 'Bad_Name'], 'Bad_Name'),
  c('ec2launch', ['--yes', 'lab;rm -rf /'], 'lab;rm'),
  c('ec2launch', ['--yes', '$(id)'], '$(id)'),
  c('ec2launch', ['--yes', '`id`'], '`id`'),
  c('ec2launch', ['--yes', ''], /name/i),
  c('ec2launch', ['--yes', LONG], /name|aaaa/i),
  c('ec2launch', ['--yes', 'läb'], 'läb'),
  c('ec2launch', ['--yes', 'lab..myterm.test'], 'lab..myterm.test'),
  c('ec2launch', ['--yes', '-lab'], /-lab|option/),
  c('ec2launch', ['--yes', 'lab name'], 'lab name'),
  c('ec2launch', ['--yes'], /name/i),
  // ---- ec2launch: option values
  c('ec2launch', ['--yes', '--type', 'x', 'lab'], /--type|"x"|'x'/),
  c('ec2launch', ['--yes', '--type', '', 'lab'], /--type/),
  c('ec2launch', ['--yes', '--type', 't3.small;id', 'lab'], 't3.small;id'),
  c('ec2launch', ['--yes', '--count', 'lots', 'lab'], 'lots'),
  c('ec2launch', ['--yes', '--count', '0', 'lab'], /--count/),
  c('ec2launch', ['--yes', '--count', '-3', 'lab'], /--count|-3/),
  c('ec2launch', ['--yes', '--count', '1.5', 'lab'], /--count|1\.5/),
  c('ec2launch', ['--yes', '--allow-from', '1.2.3.4', 'lab'], '1.2.3.4'),
  c('ec2launch', ['--yes', '--allow-from', '300.1.1.1/32', 'lab'], '300.1.1.1/32'),
  c('ec2launch', ['--yes', '--allow-from', '10.0.0.0/33', 'lab'], '10.0.0.0/33'),
  c('ec2launch', ['--yes', '--allow-from', '', 'lab'], /--allow-from/),
  c('ec2launch', ['--yes', '--allow-from', '$(id)/32', 'lab'], '$(id)'),
  c('ec2launch', ['--yes', '--allow-from', '2001:db8::/129', 'lab'], '2001:db8::/129'),
  c('ec2launch', ['--yes', '--subnet', 'subnet-xyz', 'lab'], 'subnet-xyz'),
  c('ec2launch', ['--yes', '--vpc', '$(id)', 'lab'], '$(id)'),
  c('ec2launch', ['--yes', '--eip', 'eipalloc-zz', 'lab'], 'eipalloc-zz'),
  c('ec2launch', ['--yes', '--iam-profile', 'a b', 'lab'], /--iam-profile/),
  c('ec2ssh', ['--address-type', 'ipv5', 'lab'], /ipv5/),
  c('ec2ssh', ['--eice-id', 'eice-1', 'lab'], 'eice-1'),
  c('ec2ssh', ['--via', 'direct', '--eice-id', 'eice-0123456789abcdef0', 'lab'], /cannot be combined/),
  c('ec2scp', ['--via', 'tunnel', 'a', 'lab:'], /tunnel/),
  c('ec2launch', ['--yes', '--ttl', 'forever', 'lab'], 'forever'),
  c('ec2launch', ['--yes', '--ttl', '0', 'lab'], /--ttl|"0"|'0'/),
  c('ec2launch', ['--yes', '--ttl', '-1h', 'lab'], /--ttl|-1h/),
  c('ec2launch', ['--yes', '--ttl', '', 'lab'], /--ttl/),
  c('ec2launch', ['--yes', '--timeout', '5 parsecs', 'lab'], '5 parsecs'),
  c('ec2launch', ['--yes', '--volume-size', 'big', 'lab'], 'big'),
  c('ec2launch', ['--yes', '--volume-size', '0', 'lab'], /--volume-size/),
  c('ec2launch', ['--yes', '--volume-size', '99999999', 'lab'], /--volume-size|99999999/),
  c('ec2launch', ['--yes', '--data-volume', '-5', 'lab'], /--data-volume|-5/),
  c('ec2launch', ['--yes', '--from-snapshot', 'snap-1234', 'lab'], /--from-snapshot|--data-volume|snap-1234/),
  c('ec2launch', ['--yes', '--ami', 'ubuntu', 'lab'], /--ami|ubuntu/),
  c('ec2launch', ['--yes', '--install', 'a;b', 'lab'], 'a;b'),
  c('ec2launch', ['--yes', '--install', '`id`', 'lab'], '`id`'),
  c('ec2launch', ['--yes', '--copy', '/no/such/file.txt', 'lab'], '/no/such/file.txt'),
  c('ec2launch', ['--yes', '--import-key', '/no/such/key.pub', 'lab'], '/no/such/key.pub'),
  c('ec2launch', ['--yes', '--key', 'bad key;id', 'lab'], /--key|bad key/),
  c('ec2launch', ['--yes', '--wait', 'maybe', 'lab'], 'maybe'),
  c('ec2launch', ['--yes', '--auth-type', 'root', 'lab'], 'root'),
  c('ec2launch', ['--yes', '--auth-code', 'a b$(id)', 'lab'], /--auth-code/),
  c('ec2launch', ['--yes', '--other-opts', '--x; rm -rf /', 'lab'], /--other-opts|rm -rf/),
  c('ec2launch', ['--yes', '--connect-to', 'Bad_Primary', 'lab'], /Bad_Primary|--connect-to/),
  c('ec2launch', ['--yes', '--gmail-addr', 'not-an-address', 'lab'], /--gmail-addr|not-an-address/),
  c('ec2launch', ['--yes', '--region', 'mars-1', 'lab'], 'mars-1'),
  c('ec2launch', ['--yes', '--no-such-option', 'lab'], '--no-such-option'),
  c('ec2launch', ['--yes', 'lab', 'extra'], /extra|argument/),
  // ---- ec2launch: conflicts
  c('ec2launch', ['--yes', '--connect-to', 'lab.myterm.test', '--accept-hosts', 'node1'], /--connect-to|--accept-hosts/),
  c('ec2launch', ['--yes', '--dry-run', '--form', 'lab'], /--form|--dry-run|terminal/),
  // ---- ec2list
  c('ec2list', ['--output', 'xml'], 'xml'),
  c('ec2list', ['--sort', 'colour'], 'colour'),
  c('ec2list', ['--interval', 'often', '--watch'], 'often'),
  c('ec2list', ['--interval', '0s', '--watch'], /--interval|0s/),
  c('ec2list', ['--timeout', 'soon', '--terminate', 'lab', '--yes', '--wait'], 'soon'),
  c('ec2list', ['--region', 'mars-1'], 'mars-1'),
  c('ec2list', ['--region', ''], /--region/),
  c('ec2list', ['--region', '$(id)'], '$(id)'),
  c('ec2list', ['--delete-snapshot', 'vol-1234', '--yes'], 'vol-1234'),
  c('ec2list', ['--delete-snapshot', 'snap-;id', '--yes'], 'snap-;id'),
  c('ec2list', ['--stop', 'lab', '--start', 'lab'], /--stop|--start/),
  c('ec2list', ['--terminate', 'lab', '--stop', 'lab', '--yes'], /--terminate|--stop/),
  c('ec2list', ['--force', 'lab'], '--force'),
  c('ec2list', ['--include-unmanaged'], '--include-unmanaged'),
  c('ec2list', ['--terminate', 'lab'], /--yes/),
  c('ec2list', ['--terminate-all'], /--yes/),
  c('ec2list', ['--expired'], /--yes/),
  c('ec2list', ['--json', '--output', 'tsv'], /--json|--output/),
  c('ec2list', ['--bogus'], '--bogus'),
  c('ec2list', ['--endpoint-url', 'not a url'], /--endpoint-url|not a url/),
  c('ec2list', ['--endpoint-url', 'ftp://127.0.0.1:21'], /--endpoint-url|ftp:/),
  // ---- ec2ssh
  c('ec2ssh', [], /TARGET|target|name/i),
  c('ec2ssh', ['-p', 'abc', 'lab', 'true'], 'abc'),
  c('ec2ssh', ['-p', '0', 'lab', 'true'], /-p|--port|"0"|'0'/),
  c('ec2ssh', ['-p', '70000', 'lab', 'true'], '70000'),
  c('ec2ssh', ['-p', '', 'lab', 'true'], /--port|-p/),
  c('ec2ssh', ['-l', 'root;id', 'lab', 'true'], 'root;id'),
  c('ec2ssh', ['-l', '', 'lab', 'true'], /--login|-l|user/i),
  c('ec2ssh', ['-l', '$(id)', 'lab', 'true'], '$(id)'),
  c('ec2ssh', ['bad user@lab', 'true'], 'bad user'),
  c('ec2ssh', ['@lab', 'true'], /@lab|user/),
  c('ec2ssh', ['ubuntu@', 'true'], /ubuntu@|target|name/i),
  c('ec2ssh', ['-L', 'nonsense', 'lab'], 'nonsense'),
  c('ec2ssh', ['-L', '99999:localhost:80', 'lab'], '99999'),
  c('ec2ssh', ['-R', 'x:y', 'lab'], 'x:y'),
  c('ec2ssh', ['-o', 'NoSuchOption=yes', 'lab', 'true'], 'NoSuchOption'),
  c('ec2ssh', ['-o', 'ConnectTimeout=soon', 'lab', 'true'], /ConnectTimeout|soon/),
  c('ec2ssh', ['-o', 'StrictHostKeyChecking=maybe', 'lab', 'true'], /StrictHostKeyChecking|maybe/),
  c('ec2ssh', ['--connect-timeout', 'soon', 'lab', 'true'], 'soon'),
  c('ec2ssh', ['--connect-timeout', '-1', 'lab', 'true'], /--connect-timeout|-1/),
  c('ec2ssh', ['--keepalive', 'often', 'lab', 'true'], 'often'),
  c('ec2ssh', ['-i', '/no/such/key', 'lab', 'true'], '/no/such/key'),
  c('ec2ssh', ['-t', '-T', 'lab', 'true'], /-t|-T/),
  c('ec2ssh', ['-N', 'lab', 'true'], /-N/),
  c('ec2ssh', ['--print', '--forget-host-key', 'lab'], /--print|--forget-host-key/),
  c('ec2ssh', ['-o', 'User=root;id', 'lab', 'true'], 'root;id'),
  c('ec2ssh', ['-N', '--forget-host-key', 'lab', 'uptime'], /--forget-host-key|-N/),
  c('ec2ssh', ['--forget-host-key', '--ssh-config', 'lab'], /--forget-host-key|--ssh-config/),
  c('ec2ssh', ['--no-such-flag', 'lab'], '--no-such-flag'),
  c('ec2ssh', [LONG, 'true'], /aaaa|name|long/i),
  c('ec2ssh', ['läb$(id)', 'true'], /läb/),
  // ---- ec2scp
  c('ec2scp', [], /SOURCE|TARGET|source|target/),
  c('ec2scp', ['only-one'], /only-one|TARGET|target/),
  c('ec2scp', ['a.txt', 'b.txt'], /remote|instance|NAME:/i),
  c('ec2scp', ['lab:x', 'lab:*.txt'], /wildcard/i),
  c('ec2scp', ['-P', 'abc', 'x.txt', 'lab:'], 'abc'),
  c('ec2scp', ['-P', '65536', 'x.txt', 'lab:'], '65536'),
  c('ec2scp', ['--parallel', '0', 'x.txt', 'lab:'], /--parallel/),
  c('ec2scp', ['--parallel', 'many', 'x.txt', 'lab:'], 'many'),
  c('ec2scp', ['/no/such/local/file', 'lab:'], '/no/such/local/file'),
  c('ec2scp', ['/no/such/a', '/no/such/b', 'nosuchbox:'], /\/no\/such\/a.*\/no\/such\/b/),
  c('ec2scp', ['src', 'lab:'], /src: not a regular file/),
  c('ec2scp', ['lab:a', 'lab:b', 'no-such-folder-here'], /no-such-folder-here: No such directory/),
  c('ec2scp', ['-i', '/no/such/key', 'lab:x', '.'], '/no/such/key'),
  // Not a host name, so (like scp) a local path: both sides local -> "write the instance side as NAME:path".
  c('ec2scp', ['lab;rm -rf /:x', '.'], /lab;rm|NAME:path/),
  c('ec2scp', ['x.txt', '$(id):y'], /\$\(id\)|NAME:path/),
  c('ec2scp', ['bad user@lab:x', '.'], 'bad user'),
  c('ec2scp', ['lab:x', '/no/such/dir/at/all/'], '/no/such/dir/at/all'),
  c('ec2scp', ['--bogus', 'lab:x', '.'], '--bogus'),
  c('ec2scp', [`${LONG}:x`, '.'], /aaaa|name|long/i),
];

const show = (args: string[]) => args.map((a) => (a.length > 40 ? `${a.slice(0, 12)}…(${a.length})` : JSON.stringify(a))).join(' ');

function problems(k: Case, r: RunResult, requests: string[]): string[] {
  const p: string[] = [];
  if (r.code !== 2) p.push(`exit ${r.code} (${r.signal ?? ''}), want 2`);
  const stderr = r.stderr.replace(/\n$/, '');
  if (stderr.includes('\n')) p.push(`stderr has ${stderr.split('\n').length} lines`);
  if (stderr === '') p.push('stderr empty');
  if (/\n\s+at /.test(r.stderr)) p.push('stack trace');
  if (r.stdout !== '') p.push(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 100))}`);
  const named = typeof k.names === 'string' ? stderr.toLowerCase().includes(k.names.toLowerCase()) : k.names.test(stderr);
  if (!named) p.push(`stderr does not name ${k.names}`);
  if (requests.length) p.push(`sent requests: ${requests.join(', ')}`);
  return p;
}

describe('bad input: exit 2, one line naming it, no stack trace, no AWS request', { timeout: 600_000 }, () => {
  let sb: TestSandbox;
  const outcomes = new Map<number, { result: RunResult; requests: string[] }>();
  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
    // One case at a time, so every request in the log belongs to the case that just ran.
    for (const [i, k] of CASES.entries()) {
      await sb.admin('DELETE', '/_sandbox/requests');
      const result = await runInProcess(k.program, k.args, { env: sb.env });
      const log = ((await sb.admin('GET', '/_sandbox/requests')) as { requests: { service: string; action: string }[] }).requests;
      outcomes.set(i, { result, requests: log.map((e) => `${e.service}:${e.action}`) });
    }
  });
  after(async () => {
    await sb?.stop();
  });

  it(`has at least 60 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 60);
  });

  CASES.forEach((k, i) => {
    const title = `${k.program} ${show(k.args)}`;
    it(title, { todo: k.todo }, async () => {
      const o = outcomes.get(i);
      assert.ok(o, 'ran');
      const p = problems(k, o.result, o.requests);
      assert.deepEqual(p, [], `${title}\n  stderr: ${o.result.stderr.slice(0, 400)}`);
    });
  });
});
