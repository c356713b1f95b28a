// Plain-text tables fitted to the terminal width. Pure: rows in, lines out. Every cell is untrusted text:
// it is escaped for the terminal (forTerminal) before it is measured, cut and painted.
import stringWidth from 'string-width';
import { forTerminal } from './untrusted.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Optional colouring applied after padding (so widths stay right). */
  paint?: (text: string, row: Row) => string;
  /** Lower numbers are dropped first when the table is too wide; default 5. */
  priority?: number;
  /** The column may be cut short with an ellipsis before it is dropped. */
  shrink?: boolean;
  align?: 'left' | 'right';
}

/** Terminal columns a string takes (colour codes ignored; CJK and emoji count two). */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

/** Cuts `s` to at most `width` columns, ending in '…' when cut. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  const room = width <= 1 ? width : width - 1;
  let out = '';
  let used = 0;
  for (const c of s) {
    const w = displayWidth(c);
    if (used + w > room) break;
    out += c;
    used += w;
  }
  return width <= 1 ? out : `${out}…`;
}

/** Renders rows as aligned columns no wider than `maxWidth`, dropping low-priority columns first. */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[], maxWidth = Infinity, gap = 2): string[] {
  const cells = rows.map((r) => columns.map((c) => forTerminal(c.value(r) ?? '')));
  const widths = columns.map((c, i) => Math.max(displayWidth(forTerminal(c.header)), ...cells.map((row) => displayWidth(row[i]))));
  const keep = columns.map(() => true);
  const total = () => widths.reduce((sum, w, i) => sum + (keep[i] ? w + gap : 0), -gap);
  // Shrink the shrinkable columns first, down to 12 characters, then drop by priority.
  for (let i = 0; i < columns.length && total() > maxWidth; i++) {
    if (columns[i].shrink) widths[i] = Math.max(12, widths[i] - (total() - maxWidth));
  }
  const order = columns.map((c, i) => ({ i, p: c.priority ?? 5 })).sort((a, b) => a.p - b.p || b.i - a.i);
  for (const { i } of order) {
    if (total() <= maxWidth) break;
    if (keep.filter(Boolean).length <= 1) break;
    keep[i] = false;
  }
  const line = (values: string[], paint?: (text: string, i: number) => string) =>
    columns
      .map((c, i) => {
        if (!keep[i]) return undefined;
        const text = truncate(values[i], widths[i]);
        const pad = ' '.repeat(Math.max(0, widths[i] - displayWidth(text)));
        const painted = paint ? paint(text, i) : text;
        return c.align === 'right' ? pad + painted : painted + pad;
      })
      .filter((v): v is string => v !== undefined)
      .join(' '.repeat(gap))
      .trimEnd();
  return [
    line(columns.map((c) => forTerminal(c.header))),
    ...cells.map((values, r) => line(values, (text, i) => (columns[i].paint ? columns[i].paint!(text, rows[r]) : text))),
  ];
}
