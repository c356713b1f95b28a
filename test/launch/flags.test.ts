// ec2launch's flag table (src/commands/launch/flags.ts) as a specification: each flag is defined once and
// round-trips: the command line printed for options parses back (through the real commander program and
// aliases) to the same options, flag by flag and all at once; what is never printed says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAUNCH_FLAGS, longName, type FlagDef } from '../../src/commands/launch/flags.js';
import { commandLine, type LaunchOptions } from '../../src/commands/launch/plan.js';
import { shellSplit } from '../../src/lib/shellquote.js';
import { parseLaunchArgv } from '../helpers/launch-argv.js';

const FLAGS = LAUNCH_FLAGS as readonly FlagDef[];

/** A value of the flag's kind that is awkward to print (spaces, quotes, `=`), or one of its choices. */
function sample(f: FlagDef): unknown {
  if (f.choices) return f.choices[f.choices.length - 1];
  switch (f.kind) {
    case 'string': return f.print === 'none-only' ? 'none' : `a b'c=$(id)`;
    case 'boolean': return true;
    case 'list': return ['project=atlas', 'cost center=a b'];
    case 'optional': return 'eipalloc-0123456789abcdef0';
    case 'negated': return false;
  }
}

const roundTrip = (o: LaunchOptions) => parseLaunchArgv(shellSplit(commandLine(o)).slice(1));

describe('ec2launch flags: one table', () => {
  it('each flag and option key is defined once; nothing given sets nothing', () => {
    const names = FLAGS.map(longName);
    assert.equal(new Set(names).size, names.length, 'no flag twice');
    assert.equal(new Set(FLAGS.map((f) => f.key)).size, FLAGS.length, 'no option key twice');
    const parsed = parseLaunchArgv(['lab']);
    assert.deepEqual(parsed, { name: 'lab' }, 'nothing given, nothing set');
  });

  for (const f of FLAGS) {
    const printed = f.print !== 'never';
    it(`${longName(f)} (${f.kind})${printed ? ' round-trips: parse(printed) == options' : ' is never printed (it says what this run does, not what it launches)'}`, () => {
      const o: LaunchOptions = { name: 'lab', [f.key]: sample(f) };
      const line = commandLine(o);
      if (!printed) {
        assert.equal(line, 'ec2launch lab');
        assert.deepEqual(parseLaunchArgv([longName(f), 'lab']), o, 'it still parses');
        return;
      }
      assert.deepEqual(roundTrip(o), o, line);
    });
  }

  it('every printed flag at once round-trips', () => {
    const o: LaunchOptions = { name: 'lab.myterm.com' };
    for (const f of FLAGS) if (f.print !== 'never') (o as Record<string, unknown>)[f.key] = sample(f);
    assert.deepEqual(roundTrip(o), o, commandLine(o));
  });

  it('--eip alone and --eip ID both round-trip (the optional value never swallows NAME once printed)', () => {
    for (const eip of [true, 'eipalloc-0123456789abcdef0'] as const) assert.deepEqual(roundTrip({ name: 'lab', eip }), { name: 'lab', eip });
  });

  it('a given auth code is a secret: never printed (EC2TERM_AUTH_CODE carries it); "none" is printed', () => {
    assert.equal(commandLine({ name: 'lab', authCode: 'S3cret999x' }), 'ec2launch lab');
    assert.deepEqual(roundTrip({ name: 'lab', authCode: 'none' }), { name: 'lab', authCode: 'none' });
  });

  it('an old alias parses to the same option as its flag', () => {
    assert.deepEqual(parseLaunchArgv(['--connect_to_gterm', 'lab', 'node']), parseLaunchArgv(['--connect-to', 'lab', 'node']));
  });
});
