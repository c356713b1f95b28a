// Waiting phases as the user sees them: on a terminal one updating line (phase and elapsed time), then
// a tick per finished phase; otherwise plain lines. Every phase is timed (PhaseTimer) for the summary.
import type { Clock } from '../../lib/clock.js';
import type { Output } from '../../lib/output.js';
import { formatDuration, PhaseTimer } from '../../lib/wait.js';

export class Progress {
  readonly timer: PhaseTimer;
  private readonly live: boolean;
  constructor(
    private readonly out: Output,
    private readonly clock: Clock,
  ) {
    this.timer = new PhaseTimer(clock);
    this.live = out.io.stderrIsTTY && !out.quiet;
  }

  /** Runs one phase: shows it while it runs and records how long it took. */
  async phase<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    const p = this.out.program;
    let interval: NodeJS.Timeout | undefined;
    const draw = () => this.out.io.stderr.write(`\r\x1b[K${p}: ${label} ... ${formatDuration(this.clock.now() - start)}`);
    if (this.live) {
      draw();
      interval = setInterval(draw, 250);
      interval.unref();
    } else this.out.info(`${p}: ${label} ...`);
    try {
      const value = await this.timer.time(label, fn);
      const took = formatDuration(this.clock.now() - start);
      if (this.live) this.out.io.stderr.write(`\r\x1b[K${p}: ${label}: done (${took})\n`);
      else this.out.info(`${p}: ${label}: done (${took})`);
      return value;
    } catch (err) {
      if (this.live) this.out.io.stderr.write(`\r\x1b[K${p}: ${label}: failed after ${formatDuration(this.clock.now() - start)}\n`);
      throw err;
    } finally {
      if (interval) clearInterval(interval);
    }
  }

  /** A one-off notice between phases. */
  note(text: string): void {
    this.out.info(`${this.out.program}: ${text}`);
  }
}
