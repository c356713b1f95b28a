// How deep a copy's pipeline is, from the link's round trip (pure). A request queue deeper than the
// link holds does not wait in the network but in sshd's buffers: on loopback 16 MiB in flight made
// OpenSSH's sshd spend 3-8x the CPU (360 ms -> 1.3-3.7 s for 200 MB) and downloads ran at half speed,
// while 2-4 MiB is as fast as any depth there. Over 100 ms the bandwidth-delay product (12.5 MB at
// 1 Gbit/s) is needed in flight, and across several channels, since sshd's window is 2 MiB each.
// So both grow with the measured round trip: the fastest small request seen (stat, open, close).

/** The fastest link a copy plans for: 1 Gbit/s (a faster one is still filled up to MAX_IN_FLIGHT). */
export const PLANNED_RATE_BYTES_PER_SEC = 125_000_000;
/** In flight per file on a short link: enough to keep sshd's reads and our writes overlapped. */
export const MIN_IN_FLIGHT = 4 * 1024 * 1024;
/** At most (64 requests of 256 KiB): RESUME_BACKOFF_BYTES in engine.ts stays above it. */
export const MAX_IN_FLIGHT = 16 * 1024 * 1024;
/** OpenSSH's sshd window per channel: what one channel can have outstanding toward us. */
export const SERVER_WINDOW = 2 * 1024 * 1024;
/** Channels at most (6 x 2 MiB covers 1 Gbit/s x 100 ms; OpenSSH's MaxSessions is 10, room is kept). */
export const MAX_CHANNELS = 6;

/** Bytes the link holds for one round trip at the planned rate. */
export function bandwidthDelay(rttMs: number): number {
  return (Math.max(0, rttMs) / 1000) * PLANNED_RATE_BYTES_PER_SEC;
}

/** Bytes in flight per file for a round trip of `rttMs` (undefined: not measured, plan for a long link). */
export function inFlightFor(rttMs: number | undefined): number {
  if (rttMs === undefined) return MAX_IN_FLIGHT;
  return Math.round(Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, 1.25 * bandwidthDelay(rttMs))));
}

/** SFTP channels a wide copy uses for a round trip of `rttMs`: one per server window of the link's worth. */
export function channelsFor(rttMs: number | undefined): number {
  if (rttMs === undefined) return MAX_CHANNELS;
  return Math.min(MAX_CHANNELS, Math.max(1, Math.ceil(bandwidthDelay(rttMs) / SERVER_WINDOW)));
}

/** Keeps the fastest round trip seen: queueing only ever adds to a request's time. */
export class RoundTrips {
  private best: number | undefined;
  /** Times `p`, a request small enough that its time is the round trip. */
  time<T>(p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    const done = () => this.add(performance.now() - t0);
    p.then(done, done);
    return p;
  }
  add(ms: number): void {
    if (this.best === undefined || ms < this.best) this.best = ms;
  }
  min(): number | undefined {
    return this.best;
  }
}
