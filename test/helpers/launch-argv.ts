// ec2launch's argv exactly as a user types it -> LaunchOptions, through the real commander program and
// aliases (no AWS, no streams used): the start of every launch planning table.
import { PassThrough } from 'node:stream';
import { buildProgram, normalizeArgv } from '../../src/cli.js';
import type { LaunchOptions } from '../../src/commands/launch/plan.js';
import { toLaunchOptions } from '../../src/commands/launch/run.js';
import { spec } from '../../src/commands/launch/spec.js';

export function parseLaunchArgv(argv: string[]): LaunchOptions {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {}, interactive: false, stdoutIsTTY: false, stderrIsTTY: false, columns: () => 80 };
  const cmd = buildProgram(spec, io);
  const known = new Set(cmd.options.map((o) => o.long).filter((l): l is string => Boolean(l)));
  cmd.parse(normalizeArgv(argv, known, spec.aliases), { from: 'user' });
  return toLaunchOptions(cmd.args, cmd.opts());
}
