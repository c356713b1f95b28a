// Where things are printed. Data goes to stdout (a table, TSV or --json); progress, notices and
// errors go to stderr, so `ec2list --json | jq` and `$(ec2launch ...)` stay clean. Every line written here
// is escaped for the terminal (forTerminal), so a name holding escapes or newlines is shown, never obeyed.
import { Chalk } from 'chalk';
import type { Io } from './io.js';
import { StatusLine } from './status-line.js';
import { forTerminal, jsonForTerminal } from './untrusted.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** Colour is on only for a terminal, and never with --no-color, NO_COLOR or TERM=dumb. */
export function colorEnabled(io: Io, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.TERM === 'dumb') return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return io.stdoutIsTTY;
}

export type Paint = (text: string) => string;
export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  cyan: Paint;
  magenta: Paint;
}

/** chalk with the level decided here (chalk's own detection looks at stdout only, and we decide per flag). */
function makePalette(color: boolean): Palette {
  const c = new Chalk({ level: color ? 1 : 0 });
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, blue: c.blue, cyan: c.cyan, magenta: c.magenta };
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  /** The live status line on stderr (a terminal only); every line printed here clears it first and redraws it after. */
  readonly status: StatusLine;
  private palette?: Palette;

  constructor(
    readonly io: Io,
    opts: OutputOptions,
    readonly program: string,
  ) {
    this.json = opts.json;
    this.quiet = opts.quiet;
    this.verbose = opts.verbose;
    this.color = opts.color;
    this.status = new StatusLine(io.stderr, io.stderrIsTTY && !opts.quiet, () => io.columns());
  }

  /** Colours for stdout, plain when colour is off. */
  get paint(): Palette {
    return (this.palette ??= makePalette(this.color));
  }

  /** A progress or notice line on stderr (one line); silent with --quiet. */
  info(message: string): void {
    if (!this.quiet) this.stderrLine(message);
  }

  /** Detail for --verbose, on stderr. */
  detail(message: string): void {
    if (this.verbose) this.stderrLine(`${this.program}: ${message}`);
  }

  /** A warning on stderr; shown even with --quiet. */
  warn(message: string): void {
    this.stderrLine(`${this.program}: warning: ${message}`);
  }

  /** An error that does not end the run (the exit status says it); shown even with --quiet. */
  error(message: string): void {
    this.stderrLine(`${this.program}: ${message}`);
  }

  /** One line on stderr, escaped, with the status line cleared first. */
  stderrLine(text: string): void {
    this.status.write(`${forTerminal(text)}\n`);
  }

  /**
   * A line of data on stdout: always one line; tabs (TSV) and, with colour on, this palette's own codes
   * pass; untrusted parts must be escaped before they are painted (renderTable does it per cell).
   */
  line(text = ''): void {
    this.status.around(() => this.io.stdout.write(`${forTerminal(text, { keepTabs: true, keepColours: this.color })}\n`));
  }

  /** A value as JSON on stdout (pretty, stable key order as given). */
  printJson(value: unknown): void {
    this.status.end();
    this.io.stdout.write(`${jsonForTerminal(value)}\n`);
  }
}
