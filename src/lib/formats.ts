// The output formats every command shares (--output json|text|table, --query) for data that has no
// renderer of its own: the AWS CLI's text format (tab-separated, as awscli/formatter.py writes it) and a
// plain table. Pure: data in, lines out; every value is escaped for the terminal, so a tab or newline in
// a value can never split a field or a line.
import { UsageError } from './errors.js';
import { renderTable, type Column } from './table.js';
import { forTerminal } from './untrusted.js';

export const OUTPUT_FORMATS = ['json', 'text', 'tsv', 'table'] as const;
export type OutputFormat = 'json' | 'text' | 'table';

/** Pure: --output's value ("tsv" is another name for text) and --json. */
export function chooseOutput(output: string | undefined, json: boolean): OutputFormat {
  const format = output === 'tsv' ? 'text' : (output as OutputFormat | undefined);
  if (json && format !== undefined && format !== 'json') throw new UsageError(`--json and --output ${output} disagree; choose one`);
  return json ? 'json' : (format ?? 'table');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => typeof v !== 'object' || v === null;

/** Python's repr of a JSON value: what the AWS CLI prints for an object in a column of scalars. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isObject(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** A value as the AWS CLI prints it in a field (Python's str: None, True, False), escaped. */
function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return forTerminal(typeof v === 'object' ? pyRepr(v) : String(v));
}

/** Pure: the AWS CLI's text output of a value. */
export function textLines(data: unknown): string[] {
  const lines: string[] = [];
  formatText(JSON.parse(JSON.stringify(data ?? null)) as Json, lines);
  return lines;
}

function formatText(item: Json, lines: string[], identifier?: string, scalarKeys?: string[]): void {
  if (isObject(item)) formatDict(item, lines, identifier, scalarKeys);
  else if (Array.isArray(item)) formatList(item, lines, identifier);
  else lines.push(scalar(item));
}

function formatList(items: Json[], lines: string[], identifier?: string): void {
  if (items.length === 0) return;
  if (items.some(isObject)) {
    const keys = [...new Set(items.filter(isObject).flatMap((d) => Object.keys(d).filter((k) => isScalar(d[k]))))].sort();
    for (const el of items) formatText(el, lines, identifier, keys);
  } else if (items.some(Array.isArray)) {
    const scalars = items.filter(isScalar);
    if (scalars.length) formatScalarList(scalars, lines, identifier);
    for (const el of items.filter((e) => !isScalar(e))) formatText(el, lines, identifier);
  } else formatScalarList(items, lines, identifier);
}

function formatScalarList(items: Json[], lines: string[], identifier?: string): void {
  if (identifier !== undefined) for (const i of items) lines.push(`${forTerminal(identifier.toUpperCase())}\t${scalar(i)}`);
  else lines.push(items.map(scalar).join('\t'));
}

function formatDict(item: Record<string, Json>, lines: string[], identifier?: string, scalarKeys?: string[]): void {
  const scalars: string[] = [];
  const nested: [string, Json][] = [];
  if (scalarKeys === undefined) {
    for (const key of Object.keys(item).sort()) {
      if (isScalar(item[key])) scalars.push(scalar(item[key]));
      else nested.push([key, item[key]]);
    }
  } else {
    for (const key of scalarKeys) scalars.push(key in item ? scalar(item[key]) : '');
    for (const key of Object.keys(item).filter((k) => !scalarKeys.includes(k)).sort()) nested.push([key, item[key]]);
  }
  if (scalars.length) lines.push([...(identifier !== undefined ? [forTerminal(identifier.toUpperCase())] : []), ...scalars].join('\t'));
  for (const [key, value] of nested) formatText(value, lines, key);
}

/** Pure: a plain table of a value: a list of objects gets a column per key, anything else one column. */
export function tableLines(data: unknown, width: number): string[] {
  const rows = Array.isArray(data) ? data : [data];
  const cell = (v: unknown) => (v === undefined ? '' : isScalar(v) ? (v === null ? '-' : String(v)) : JSON.stringify(v));
  if (rows.length > 0 && rows.every(isObject)) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
    const columns: Column<Record<string, unknown>>[] = keys.map((k) => ({ header: k, value: (r) => cell(r[k]), shrink: true }));
    return renderTable(rows as Record<string, unknown>[], columns, width);
  }
  return rows.map((r) => forTerminal(cell(r)));
}
