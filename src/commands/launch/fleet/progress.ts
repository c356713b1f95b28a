// One progress line for a fleet: the hosts' phases run in parallel, so instead of a line per phase the
// fleet shows counts (N of M running, keyed, joined); the setup phases before the hosts show as usual.
import type { Clock } from '../../../lib/clock.js';
import type { Output } from '../../../lib/output.js';
import { forTerminal } from '../../../lib/untrusted.js';
import { formatDuration, type Phase } from '../../../lib/wait.js';
import { Progress } from '../progress.js';

/** What a finished host phase tells the fleet line, by the ids Launcher.finish gives its phases. */
const MILESTONES: Record<string, keyof FleetCounts> = { running: 'running', 'host-key': 'keyed', joined: 'joined' };
export interface FleetCounts { running: number; keyed: number; joined: number }

export class FleetProgress extends Progress {
  readonly counts: FleetCounts = { running: 0, keyed: 0, joined: 0 };
  private readonly started: number;
  constructor(private readonly o: Output, private readonly c: Clock, private readonly fleet: string, private readonly size: number) {
    super(o, c);
    this.started = c.now();
  }

  /** Phases of a fleet host (named NAME-<id>) are counted, not drawn one by one. */
  override async phase<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    if (!phase.host?.startsWith(`${this.fleet}-`)) return super.phase(phase, fn);
    const value = await this.timer.time(phase, fn);
    const hit = MILESTONES[phase.id];
    if (hit) { this.counts[hit]++; this.show(); }
    return value;
  }

  line(): string {
    const c = this.counts;
    return `fleet ${this.fleet}: ${c.running} of ${this.size} running, ${c.keyed} keyed, ${c.joined} joined (${formatDuration(this.c.now() - this.started)})`;
  }

  show(): void {
    if (this.o.status.enabled) this.o.status.show(forTerminal(`${this.o.program}: ${this.line()}`));
    else this.o.info(`${this.o.program}: ${this.line()}`);
  }

  /** Ends the live line, leaving the last counts on screen. */
  done(): void {
    if (this.o.status.active) this.o.status.end(forTerminal(`${this.o.program}: ${this.line()}`));
  }
}
