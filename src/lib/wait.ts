// Waiting, done once for every command: poll quickly at first, then back off; every wait has a
// timeout that names its phase; phases are timed for progress displays and --json.
import { connect } from 'node:net';
import type { Clock } from './clock.js';
import { CancelledError, Ec2termError, failureReason, isTransientAwsError, TimeoutError } from './errors.js';
import type { Ec2 } from './ec2.js';
import { label, type InstanceInfo } from './instances.js';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, maxMs: 5_000, factor: 1.6 };

export interface WaitOptions {
  clock: Clock;
  signal?: AbortSignal;
  timeoutMs: number;
  backoff?: Backoff;
  /** What to tell the user when the time runs out. */
  hint?: string;
  /** Called after each unsuccessful check with the elapsed time. */
  onTick?: (elapsedMs: number) => void;
}

/** Pure: the delays a wait uses, capped so the last one ends at the deadline. */
export function nextDelay(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, Math.round(backoff.initialMs * backoff.factor ** attempt));
}

/**
 * Calls `check` until it returns a value (anything but undefined/false), backing off between calls.
 * Throws TimeoutError naming `phase` when `timeoutMs` runs out, CancelledError when `signal` fires.
 */
export async function pollUntil<T>(phase: string, check: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const { clock, signal } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const start = clock.now();
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new CancelledError(`interrupted while waiting for ${phase}`);
    const value = await check();
    if (value !== undefined && value !== false) return value;
    const elapsed = clock.now() - start;
    const left = opts.timeoutMs - elapsed;
    if (left <= 0) {
      throw new TimeoutError(phase, `timed out after ${formatDuration(elapsed)} waiting for ${phase}`, { hint: opts.hint });
    }
    opts.onTick?.(elapsed);
    await clock.sleep(Math.min(nextDelay(attempt, backoff), left), signal);
  }
}

/**
 * Calls `attempt` until it succeeds, retrying with back-off only the failures `retryable` accepts, for at
 * most `timeoutMs` (0: one attempt); then throws the last of them. Any other failure is thrown at once.
 */
export async function retryWhile<T>(phase: string, attempt: () => Promise<T>, retryable: (err: unknown) => boolean, opts: WaitOptions): Promise<T> {
  if (opts.timeoutMs <= 0) return attempt();
  let last: unknown;
  try {
    const done = await pollUntil(
      phase,
      async () => {
        try {
          return { value: await attempt() };
        } catch (err) {
          if (!retryable(err)) throw err;
          last = err;
          return undefined;
        }
      },
      opts,
    );
    return done.value;
  } catch (err) {
    if (last !== undefined && err instanceof TimeoutError) throw last;
    throw err;
  }
}

/**
 * Retries for cleanup calls (terminate, delete): a transient AWS failure (throttling, 5xx, a dropped
 * connection) that outlasted the SDK's own attempts is tried again with back-off, saying so once per call,
 * until a deadline shared by every call made through it. Other failures are thrown at once.
 */
export function persistentCleanup(o: { clock: Clock; budgetMs: number; warn: (text: string) => void; signal?: AbortSignal }) {
  const deadline = o.clock.now() + o.budgetMs;
  return <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    let told = false;
    const transient = (err: unknown) => {
      if (!isTransientAwsError(err)) return false;
      if (!told) {
        told = true;
        o.warn(`${doing}: ${failureReason(err)}; trying again for up to ${formatDuration(Math.max(0, deadline - o.clock.now()))} (Ctrl-C to give up)`);
      }
      return true;
    };
    return retryWhile(doing, fn, transient, { clock: o.clock, signal: o.signal, timeoutMs: Math.max(0, deadline - o.clock.now()), backoff: CLEANUP_BACKOFF });
  };
}
const CLEANUP_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 10_000, factor: 2 };
/** How long a command's cleanup keeps retrying transient failures, all its calls together. */
export const CLEANUP_RETRY_MS = 180_000;

/** Waits until an instance is in one of `states`; fails at once if it lands somewhere it can't leave. */
export async function waitForInstanceState(ec2: Ec2, id: string, states: string[], opts: WaitOptions): Promise<InstanceInfo> {
  const phase = `${id} to be ${states.join(' or ')}`;
  return pollUntil(
    phase,
    async () => {
      const [instance] = await ec2.describeInstances({ ids: [id], states: [] });
      if (!instance) return undefined; // eventual consistency: a new id may not be visible yet
      if (states.includes(instance.state)) return instance;
      const deadEnd = instance.state === 'terminated' || (instance.state === 'shutting-down' && !states.includes('terminated'));
      if (deadEnd) throw new Ec2termError(`${label(instance)} is ${instance.state}, not ${states.join(' or ')}`);
      return undefined;
    },
    opts,
  );
}

/** Resolves once a TCP connection to host:port succeeds (the SSH port is open). */
export async function waitForTcpPort(host: string, port: number, opts: WaitOptions): Promise<void> {
  await pollUntil(`port ${port} on ${host} to open`, () => tryConnect(host, port, Math.min(3_000, opts.timeoutMs)), opts);
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Records how long each phase of a job took, in order (shown at the end and in --json). */
/** A timed phase: a stable `id` for scripts ('ssh-port'), the host it is about (if any) and a label for people. */
export interface Phase {
  id: string;
  host?: string;
  label: string;
}

/** A phase as --json prints it: every key present, `host` null when the phase is not about one host. */
export interface PhaseJson {
  id: string;
  host: string | null;
  label: string;
  seconds: number;
}

export class PhaseTimer {
  readonly phases: (Phase & { ms: number })[] = [];
  constructor(private readonly clock: Clock) {}

  async time<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    try {
      return await fn();
    } finally {
      this.phases.push({ ...phase, ms: this.clock.now() - start });
    }
  }

  /** [{ id, host, label, seconds }] for --json, in the order the phases ended. */
  toJSON(): PhaseJson[] {
    return this.phases.map((p) => ({ id: p.id, host: p.host ?? null, label: p.label, seconds: Math.round(p.ms) / 1000 }));
  }
}

/** 950 -> "0.9s", 75_000 -> "1m15s", 7_200_000 -> "2h0m". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m}m${Math.floor((ms % 60_000) / 1000)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** "90s", "15m", "1h", "2h30m", "1d", "1.5h" -> milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = /^(?:(\d+(?:\.\d+)?)(d|h|m|s))+$/.test(text.trim()) ? [...text.trim().matchAll(/(\d+(?:\.\d+)?)(d|h|m|s)/g)] : [];
  if (parts.length === 0) return undefined;
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : undefined;
}
