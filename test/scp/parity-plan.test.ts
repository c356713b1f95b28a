// ec2scp's OpenSSH-scp habits, the pure parts: ~/ and {a,b} on the remote side, the letter options
// (-3 -O -R -S -D -X -l), and the bandwidth throttle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSftpOptions, planScp, remoteHomePath } from '../../src/commands/scp/plan.js';
import { UsageError } from '../../src/lib/errors.js';
import { expandBraces, MAX_BRACE_WORDS } from '../../src/lib/transfer/glob.js';
import { bandwidthThrottle, limitBytesPerSecond } from '../../src/lib/transfer/limit.js';

describe('remote ~ (scp lets the remote shell expand it; SFTP starts in the home folder)', () => {
  const cases: [string, string][] = [
    ['~', '.'],
    ['~/', '.'],
    ['~/proj/a.txt', 'proj/a.txt'],
    ['~//x', 'x'],
    ['/abs/~x', '/abs/~x'],
    ['proj/~x', 'proj/~x'],
    ['', '.'],
  ];
  for (const [path, want] of cases) it(`${JSON.stringify(path)} -> ${want}`, () => assert.equal(remoteHomePath(path, `lab:${path}`), want));
  it('~user is refused', () => assert.throws(() => remoteHomePath('~bob/x', 'lab:~bob/x'), /~user paths are not supported/));
  it('planScp applies it to remote operands only', () => {
    const p = planScp(['lab:~/proj/a.txt', '~/local'], {});
    assert.deepEqual(p.sources.map((s) => s.path), ['proj/a.txt']);
    assert.equal(p.target.path, '~/local');
  });
});

describe('brace expansion of remote sources', () => {
  const cases: [string, string[]][] = [
    ['{a,b}.txt', ['a.txt', 'b.txt']],
    ['x{1,2}{a,b}', ['x1a', 'x1b', 'x2a', 'x2b']],
    ['{a,{b,c}d}', ['a', 'bd', 'cd']],
    ['{}', ['{}']],
    ['{a}', ['{a}']],
    ['\\{a,b}', ['\\{a,b}']],
    ['{a\\,b,c}', ['a\\,b', 'c']],
    ['{a,b', ['{a,b']],
    ['plain', ['plain']],
    ['proj/{src,test}/*.ts', ['proj/src/*.ts', 'proj/test/*.ts']],
  ];
  for (const [word, want] of cases) it(word, () => assert.deepEqual(expandBraces(word), want));
  it('a brace bomb is refused', () => assert.throws(() => expandBraces('{a,b}'.repeat(11)), new RegExp(`more than ${MAX_BRACE_WORDS}`)));
  it('planScp: lab:{a,b}.txt is two sources on one host', () => {
    const p = planScp(['lab:{a,b}.txt', '.'], {});
    assert.deepEqual(p.sources.map((s) => s.path), ['a.txt', 'b.txt']);
    assert.deepEqual(p.hosts, [{ host: 'lab', user: undefined }]);
  });
  it('planScp: a bomb is a usage error', () => assert.throws(() => planScp([`lab:${'{a,b}'.repeat(11)}`, '.'], {}), (e: Error) => e instanceof UsageError));
});

describe('scp letter options', () => {
  it('-O and -R are accepted with a notice; -3 and -s silently (what ec2scp does)', () => {
    assert.deepEqual(planScp(['lab:a', 'web:'], { 3: true, s: true }).options.notes, []);
    assert.match(planScp(['lab:a', '.'], { O: true }).options.notes[0]!, /^-O: ec2scp always uses SFTP/);
    assert.match(planScp(['lab:a', 'web:'], { R: true }).options.notes[0]!, /^-R: copies between instances stream through this machine/);
  });
  it('-S and -D are refused with the reason', () => {
    assert.throws(() => planScp(['lab:a', '.'], { S: 'ssh' }), /-S: ec2scp runs no ssh program/);
    assert.throws(() => planScp(['lab:a', '.'], { D: '/usr/lib/sftp-server' }), /-D: .*not supported/);
  });
  it('-l LIMIT in Kbit/s', () => {
    assert.equal(planScp(['lab:a', '.'], { l: '800' }).options.limitKbits, 800);
    assert.throws(() => planScp(['lab:a', '.'], { l: 'fast' }), /bad -l/);
  });
  it('-X buffer= and nrequests=', () => {
    assert.deepEqual(parseSftpOptions(['buffer=32768', 'nrequests=16']), { chunkSize: 32768, requests: 16 });
    assert.throws(() => parseSftpOptions(['buffer=999999999']), /at most/);
    assert.throws(() => parseSftpOptions(['frob=1']), /bad -X/);
  });
});

describe('bandwidth throttle (-l)', () => {
  it('lets bytes through at the rate, with no initial burst', async () => {
    assert.equal(limitBytesPerSecond(8), 1024);
    let t = 0;
    const throttle = bandwidthThrottle(1000, () => t);
    // Each call's wait is visible through the clock it was given: 500 bytes at 1000 B/s is 500 ms.
    const waits: number[] = [];
    const orig = globalThis.setTimeout;
    (globalThis as unknown as { setTimeout: (f: () => void, ms: number) => void }).setTimeout = (f, ms) => {
      waits.push(ms);
      f();
    };
    try {
      await throttle(500);
      await throttle(500);
      t = 5000; // idle for a long time: at most one second of credit
      await throttle(1500);
    } finally {
      globalThis.setTimeout = orig;
    }
    assert.deepEqual(waits, [500, 1000, 500]);
  });
});
