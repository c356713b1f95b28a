// ec2list --watch: the listing redrawn every interval until Ctrl-C.
import type { Ec2 } from '../../lib/ec2.js';
import { describeError, ExitCode } from '../../lib/errors.js';
import { forTerminal } from '../../lib/untrusted.js';
import type { CommandContext, CommandResult } from '../types.js';
import type { ListOptions } from './options.js';
import { emptyNote, gather, renderOptions, tableLines } from './listing.js';

export async function watch(ctx: CommandContext, ec2s: Ec2[], opts: ListOptions): Promise<CommandResult> {
  const out = ctx.out;
  const tty = ctx.io.stdoutIsTTY;
  let first = true;
  try {
    for (;;) {
      const { rows, failures } = await gather(ctx, ec2s, opts);
      const ro = renderOptions(ctx, opts, ec2s.length > 1);
      const stamp = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const head = `every ${Math.round(opts.intervalMs / 1000)}s: ${rows.length} instance${rows.length === 1 ? '' : 's'} in ${ec2s.map((e) => e.region).join(', ')}   ${stamp}   (Ctrl-C to stop)`;
      const body = rows.length ? tableLines(rows, opts, ro) : [emptyNote(opts, ec2s.length)];
      const failed = failures.map((f) => `${f.region}: ${describeError(f.error).lines[0]}`);
      // The frame's own clear-screen is the only control sequence: every line is escaped (table cells before painting).
      const frame = [out.paint.dim(forTerminal(head)), '', ...body, ...failed].map((l) => forTerminal(l, { keepColours: out.color }));
      // Piped, frames follow each other with a blank line between (none before the first: `| head -1` shows the heading).
      ctx.io.stdout.write(`${tty ? '\u001b[H\u001b[2J' : first ? '' : '\n'}${frame.join('\n')}\n`);
      first = false;
      await ctx.clock.sleep(opts.intervalMs, ctx.signal);
    }
  } catch (err) {
    // Ctrl-C is how --watch ends: that is success, not an error.
    if (ctx.signal.aborted) return { exitCode: ExitCode.ok };
    throw err;
  }
}
