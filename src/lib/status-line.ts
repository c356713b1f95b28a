// The one live status line on stderr ("ec2launch: lab: running ... 3.2s", ec2scp's transfer line): drawn
// in place with \r, only on a terminal. Every other line written to the same screen goes through it, so it
// is cleared first and drawn again after: a notice never lands in the middle of a half-drawn status.
import type { Writable } from 'node:stream';
import { truncate } from './table.js';

const CLEAR = '\r\u001b[K';

export class StatusLine {
  /** The text shown now (already escaped for the terminal); undefined when nothing is shown. */
  private text?: string;

  constructor(
    private readonly stream: Writable,
    /** A terminal, and not --quiet: otherwise the status line is never drawn. */
    readonly enabled: boolean,
    private readonly columns: () => number,
  ) {}

  get active(): boolean {
    return this.text !== undefined;
  }

  /** Shows `text` (one line, escaped) in place of the current status; cut to the width so it never wraps. */
  show(text: string): void {
    if (!this.enabled) return;
    this.text = text;
    this.draw();
  }

  /** Runs `write` (which prints whole lines on this screen) with the status line cleared first and drawn again after. */
  around(write: () => void): void {
    if (this.text === undefined) return write();
    this.stream.write(CLEAR);
    write();
    this.draw();
  }

  /** Writes whole lines (each ending in a newline) above the status line. */
  write(lines: string): void {
    this.around(() => this.stream.write(lines));
  }

  /** Takes the status line away; `final` (a line) is left in its place. */
  end(final?: string): void {
    const rest = final === undefined ? '' : `${final}\n`;
    if (this.text !== undefined) this.stream.write(CLEAR + rest);
    else if (rest) this.stream.write(rest);
    this.text = undefined;
  }

  private draw(): void {
    this.stream.write(CLEAR + truncate(this.text ?? '', Math.max(1, this.columns() - 1)));
  }
}
