import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeArgv } from '../../src/cli.js';

const known = new Set(['--dry-run', '--auth-code', '--connect-to', '--terminate', '--region', '--yes']);
const aliases = { '--kill': '--terminate', '--connect_to_gterm': '--connect-to' };

const cases: [string, string[], string[]][] = [
  ['underscore spelling becomes hyphenated', ['--dry_run', 'lab'], ['--dry-run', 'lab']],
  ['underscore with =value keeps the value', ['--auth_code=a_b'], ['--auth-code=a_b']],
  ['original renamed option', ['--kill', 'lab'], ['--terminate', 'lab']],
  ['renamed option with underscores', ['--connect_to_gterm=primary'], ['--connect-to=primary']],
  ['unknown underscore option is left for commander to reject', ['--not_an_option'], ['--not_an_option']],
  ['values are never rewritten', ['--region', 'my_region'], ['--region', 'my_region']],
  ['nothing after -- is rewritten', ['--', '--dry_run'], ['--', '--dry_run']],
  ['short options untouched', ['-v', '-q'], ['-v', '-q']],
  ['already hyphenated stays', ['--dry-run'], ['--dry-run']],
];

for (const [name, input, expected] of cases) {
  test(`normalizeArgv: ${name}`, () => {
    assert.deepEqual(normalizeArgv(input, known, aliases), expected);
  });
}
