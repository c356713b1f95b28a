// The bins' entry (bundled to dist/bundle/main.js). `--help`, `-h`, `--version` and `-V` alone are answered
// from texts that scripts/build-bundle.mjs captured from the real commander program at build time
// (dist/bundle/fast.json), without loading commander or any command code; everything else goes to cli.ts.
// Keep this file tiny: it is on every run's critical path.
import { readFileSync } from 'node:fs';

/** One program's captured help: `narrow` at commander's default 80 columns (pipes), `wide` for any
 * terminal at least `wideMin` columns wide (no line wraps there). */
export interface FastHelp {
  narrow?: string;
  wide?: string;
  wideMin?: number;
}

export const loadCli = () => import('./cli.js');

export function run(program: string, argv: string[]): void {
  const text = argv.length === 1 ? fastText(program, argv[0]) : undefined;
  if (text !== undefined) {
    process.stdout.write(text);
    return;
  }
  // A reconnect over a shared connection skips the CLI altogether (src/commands/ssh/fast.ts).
  if (program === 'ec2ssh' && argv.length > 0 && !argv[0]!.startsWith('-')) {
    void import('./commands/ssh/fast.js')
      .then((f) => f.fastShared(argv))
      .catch(() => undefined)
      .then((code) => (code === undefined ? loadCli().then((cli) => cli.run(program, argv)) : exitAfterFlush(code)));
    return;
  }
  void loadCli().then((cli) => cli.run(program, argv));
}

function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function fastText(program: string, arg: string): string | undefined {
  const version = arg === '--version' || arg === '-V';
  if (!version && arg !== '--help' && arg !== '-h') return undefined;
  try {
    const fast = JSON.parse(readFileSync(new URL('./fast.json', import.meta.url), 'utf8')) as { help: Record<string, FastHelp> };
    const help = fast.help[program];
    if (!help) return undefined;
    if (version) {
      return `${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`;
    }
    const out = process.stdout;
    const width = out.isTTY ? out.columns : undefined;
    if (width === undefined) return help.narrow;
    if (help.wide !== undefined && help.wideMin !== undefined && width >= help.wideMin) return help.wide;
    return undefined; // a narrow terminal: commander wraps to its width
  } catch {
    return undefined; // not built by build-bundle (plain tsc output) or unreadable: take the normal path
  }
}
