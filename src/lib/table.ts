// Plain-text tables fitted to the terminal width. Pure: rows in, lines out. Every cell is untrusted text:
// it is escaped for the terminal (forTerminal) before it is measured, cut and painted. Widths are terminal
// columns (string-width: CJK and most emoji take two), and a cut never splits a grapheme.
import stringWidth from 'string-width';
import { forTerminal } from './untrusted.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Optional colouring applied after padding (so widths stay right). */
  paint?: (text: string, row: Row) => string;
  /** Higher stays longer: when the table is too wide, the lowest are left out first; default 5. */
  priority?: number;
  /** The column may be cut short with an ellipsis (down to SHRINK_MIN columns) before others are left out. */
  shrink?: boolean;
  align?: 'left' | 'right';
}

/** A shrinkable column is never cut below this many terminal columns (a narrower one keeps its own width). */
export const SHRINK_MIN = 12;

/** Terminal columns a string takes (colour codes ignored; CJK and emoji count two). */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts `s` to at most `width` columns, ending in '…' when cut; never splits a grapheme (an emoji sequence, a combining mark). */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  const room = width <= 1 ? width : width - 1;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(s)) {
    const w = displayWidth(segment);
    if (used + w > room) break;
    out += segment;
    used += w;
  }
  return width <= 1 ? out : `${out}…`;
}

/** `s` padded with spaces to `width` terminal columns. */
export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/**
 * Pure: which columns are shown and how wide, within `maxWidth`. Columns are taken by priority (highest
 * first, then left to right) while they fit with shrinkable ones at their minimum, so a column is left out
 * only when it cannot fit; the room left then widens the shrinkable ones back toward their natural width.
 */
export function fitColumns(natural: number[], columns: Pick<Column<unknown>, 'priority' | 'shrink'>[], maxWidth: number, gap = 2): { keep: boolean[]; widths: number[] } {
  const minimum = natural.map((w, i) => (columns[i].shrink ? Math.min(w, SHRINK_MIN) : w));
  const keep = columns.map(() => false);
  const order = columns.map((c, i) => ({ i, p: c.priority ?? 5 })).sort((a, b) => b.p - a.p || a.i - b.i);
  let used = -gap;
  for (const { i } of order) {
    if (used + gap + minimum[i] <= maxWidth) {
      keep[i] = true;
      used += gap + minimum[i];
    }
  }
  const widths = [...minimum];
  if (!keep.some(Boolean)) {
    // Not even the most important column fits: show it alone, cut to the width.
    const first = order[0]!.i;
    keep[first] = true;
    widths[first] = Math.max(1, Math.min(natural[first], maxWidth));
    return { keep, widths };
  }
  let room = maxWidth - used;
  for (const { i } of order) {
    if (!keep[i] || !columns[i].shrink) continue;
    const more = Math.min(room, natural[i] - widths[i]);
    widths[i] += more;
    room -= more;
  }
  return { keep, widths };
}

/** Renders rows as aligned columns no wider than `maxWidth`, leaving out low-priority columns that do not fit. */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[], maxWidth = Infinity, gap = 2): string[] {
  const headers = columns.map((c) => forTerminal(c.header));
  const cells = rows.map((r) => columns.map((c) => forTerminal(c.value(r) ?? '')));
  const natural = columns.map((_, i) => Math.max(displayWidth(headers[i]), ...cells.map((row) => displayWidth(row[i]))));
  const { keep, widths } = fitColumns(natural, columns, maxWidth, gap);
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
    line(headers),
    ...cells.map((values, r) => line(values, (text, i) => (columns[i].paint ? columns[i].paint!(text, rows[r]) : text))),
  ];
}
