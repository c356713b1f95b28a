// `ec2term completion bash|zsh|fish`: builds every program from its spec (as the runner does) and
// prints the script for the shell.
import { PassThrough } from 'node:stream';
import { UsageError } from '../../../lib/errors.js';
import type { Io } from '../../../lib/io.js';
import { completedProgram, EC2TERM_WORDS } from './model.js';

export const SHELLS = EC2TERM_WORDS.completion!;

export async function completionScript(shell: string | undefined): Promise<string> {
  if (shell === undefined || !SHELLS.includes(shell)) throw new UsageError(`completion for which shell? expected ${SHELLS.join(', ')} (e.g. source <(ec2term completion bash))`);
  const { buildProgram, PROGRAMS, loadSpec } = await import('../../../cli.js');
  const silent: Io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {}, interactive: false, stdoutIsTTY: false, stderrIsTTY: false, columns: () => 80 };
  const programs = await Promise.all(PROGRAMS.map(async (name) => completedProgram(buildProgram(await loadSpec(name), silent))));
  if (shell === 'bash') return (await import('./bash.js')).bashScript(programs);
  if (shell === 'zsh') return (await import('./zsh.js')).zshScript(programs);
  return (await import('./fish.js')).fishScript(programs);
}
