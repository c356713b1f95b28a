// Runs a program's real runner (src/cli.ts main) inside the test process: the same argv parsing, commands,
// errors and exit codes as the bins, without a node process per case. Streams are in memory; the
// environment is the same clean one runBin gives (temp HOME, no AWS settings from outside).
import { PassThrough, Readable } from 'node:stream';
import { main, type RunnerDeps } from '../../src/cli.js';
import type { Io } from '../../src/lib/io.js';
import { cleanEnv, type RunOptions, type RunResult } from './run.js';

export async function runInProcess(program: string, args: string[], opts: RunOptions & { deps?: RunnerDeps } = {}): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (chunks: Buffer[]) => {
    const s = new PassThrough();
    s.on('data', (b: Buffer) => chunks.push(b));
    return s;
  };
  const env = cleanEnv(opts.env);
  const io: Io = {
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    stdout: sink(out),
    stderr: sink(err),
    env,
    interactive: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: () => Number(env.COLUMNS) || 120,
  };
  const code = await main(program, args, io, opts.deps);
  await new Promise((r) => setImmediate(r));
  const stdoutBytes = Buffer.concat(out);
  return { code, signal: null, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes };
}
