// -l LIMIT (Kbit/s, as scp): one limit for the whole copy. Bytes are let through at the limit's rate,
// with at most one second's worth in a burst.

/** Pure: scp's -l value (Kbit/s) -> bytes per second. */
export function limitBytesPerSecond(kbits: number): number {
  return Math.max(1, Math.floor((kbits * 1024) / 8));
}

/** A throttle for copyRange: resolves when `n` more bytes fit under the rate. */
export function bandwidthThrottle(bytesPerSecond: number, now: () => number = () => Date.now()): (n: number) => Promise<void> {
  let allowedAt = now();
  return (n: number) => {
    const t = now();
    // Idle time earns at most one second of burst.
    allowedAt = Math.max(allowedAt, t - 1000);
    allowedAt += (n / bytesPerSecond) * 1000;
    const wait = allowedAt - t;
    return wait <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, wait));
  };
}
