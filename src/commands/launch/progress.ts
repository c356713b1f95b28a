// Waiting phases as the user sees them: on a terminal one updating status line (phase and elapsed time),
// then a line per finished phase; otherwise plain lines. Every phase is timed (PhaseTimer) for the summary
// and --json, where it is keyed by its stable id, not by its label.
import type { Clock } from '../../lib/clock.js';
import type { Output } from '../../lib/output.js';
import { forTerminal } from '../../lib/untrusted.js';
import { formatDuration, PhaseTimer, type Phase } from '../../lib/wait.js';

/** "lab: SSH port 22 open" (the host first, when there is one). */
export function phaseText(phase: Phase): string {
  return phase.host ? `${phase.host}: ${phase.label}` : phase.label;
}

export class Progress {
  readonly timer: PhaseTimer;
  constructor(
    private readonly out: Output,
    private readonly clock: Clock,
  ) {
    this.timer = new PhaseTimer(clock);
  }

  /** Runs one phase: shows it while it runs and records how long it took. */
  async phase<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    const status = this.out.status;
    const text = `${this.out.program}: ${phaseText(phase)}`;
    const elapsed = () => formatDuration(this.clock.now() - start);
    let interval: NodeJS.Timeout | undefined;
    if (status.enabled) {
      const draw = () => status.show(forTerminal(`${text} ... ${elapsed()}`));
      draw();
      interval = setInterval(draw, 250);
      interval.unref();
    } else this.out.info(`${text} ...`);
    try {
      const value = await this.timer.time(phase, fn);
      if (status.enabled) status.end(forTerminal(`${text}: done (${elapsed()})`));
      else this.out.info(`${text}: done (${elapsed()})`);
      return value;
    } catch (err) {
      if (status.enabled) status.end(forTerminal(`${text}: failed after ${elapsed()}`));
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
