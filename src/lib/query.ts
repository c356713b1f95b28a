// --query: a JMESPath expression applied to a command's JSON data, as the AWS CLI applies it. The
// library (jmespath, the reference implementation the AWS CLI's own follows) loads only when --query is given.
import { UsageError } from './errors.js';
import { forTerminal } from './untrusted.js';

export interface Query {
  expression: string;
  search(data: unknown): unknown;
}

/** Compiles an expression; a bad one is a one-line UsageError (exit 2), before any AWS request. */
export async function compileQuery(expression: string): Promise<Query> {
  const loaded = await import('jmespath');
  // A CommonJS module: its exports are `default` when loaded as ES, the module itself when bundled.
  const jmespath = ((loaded as unknown as { default?: unknown }).default ?? loaded) as { search(data: unknown, e: string): unknown; compile(e: string): unknown };
  try {
    // compile parses only (its types leave it out): a runtime type error belongs to the data, not the syntax.
    jmespath.compile(expression);
  } catch (err) {
    const reason = String((err as Error)?.message ?? err).split('\n')[0];
    throw new UsageError(`bad --query ${JSON.stringify(forTerminal(expression))}: ${forTerminal(reason)}`);
  }
  return {
    expression,
    search(data: unknown) {
      try {
        // JSON round trip: the library sees exactly what --json prints (no Dates, no undefined).
        return jmespath.search(JSON.parse(JSON.stringify(data ?? null)), expression);
      } catch (err) {
        throw new UsageError(`--query ${JSON.stringify(forTerminal(expression))} failed: ${forTerminal(String((err as Error)?.message ?? err).split('\n')[0])}`);
      }
    },
  };
}
