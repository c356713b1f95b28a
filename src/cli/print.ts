// The one place a command's result is printed: --query, then --output json|text|table.
import type { CommandContext, CommandResult } from '../commands/types.js';
import { UsageError } from '../lib/errors.js';
import type { Query } from '../lib/query.js';

/**
 * Prints a command's result in the chosen format: --query picks from the JSON data first (AWS CLI
 * semantics), then json prints it, text prints it tab-separated (the command's own text when it has one
 * and there is no query), and table is the command's own rendering (a plain table of a query's result).
 */
export async function printResult(ctx: CommandContext, result: CommandResult, query: Query | undefined): Promise<void> {
  const { out, global } = ctx;
  const hasData = result.json !== undefined;
  if (query && !hasData) throw new UsageError(`--query picks from JSON data, and ${ctx.program} printed none here`);
  const data = query && hasData ? query.search(result.json) : result.json;
  if (global.output === 'json' && hasData) return out.printJson(data);
  if (global.output === 'text' && hasData && (query || !result.text)) {
    const { textLines } = await import('../lib/formats.js');
    return textLines(data).forEach((l) => out.line(l));
  }
  if (global.output === 'text' && result.text) return result.text(out);
  if (query && hasData) {
    const { tableLines } = await import('../lib/formats.js');
    const width = ctx.io.stdoutIsTTY || ctx.io.env.COLUMNS ? ctx.io.columns() : Infinity;
    return tableLines(data, width).forEach((l) => out.line(l));
  }
  result.render?.(out);
}
