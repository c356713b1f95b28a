// The hot path: one byte range from a ReadHandle to a WriteHandle with many requests in flight.
// `slots` workers each own one chunk-sized buffer and loop read -> write at the next free offset, so
// up to `slots` reads and writes are outstanding at once and no byte is copied more than ssh2 must.
import type { ReadHandle, WriteHandle } from './fs.js';

export interface CopyRangeOptions {
  start: number;
  end: number;
  chunk: number;
  slots: number;
  signal?: AbortSignal;
  /** Called after each chunk lands, with its length. */
  onBytes?: (n: number) => void;
  /** Names the source in "file shrank" errors. */
  sourceLabel: string;
  /** -l: waits until `n` more bytes may go (a bandwidth limit). */
  throttle?: (n: number) => Promise<void>;
}

/** Thrown when the source ends before the size it had when the copy started. */
export class ShrankError extends Error {
  constructor(readonly label: string, readonly at: number) {
    super(`${label}: file shrank while being copied (ended at byte ${at})`);
    this.name = 'ShrankError';
  }
}

export async function copyRange(r: ReadHandle, w: WriteHandle, o: CopyRangeOptions): Promise<void> {
  let next = o.start;
  let failed = false;
  const worker = async () => {
    const buf = Buffer.allocUnsafe(Math.min(o.chunk, Math.max(1, o.end - o.start)));
    while (next < o.end && !failed) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      const pos = next;
      const len = Math.min(buf.length, o.end - pos);
      next += len;
      if (o.throttle) await o.throttle(len);
      let got = 0;
      while (got < len) {
        const n = await r.read(buf, got, len - got, pos + got);
        if (n === 0) throw new ShrankError(o.sourceLabel, pos + got);
        got += n;
      }
      await w.write(buf, 0, len, pos);
      o.onBytes?.(len);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(o.slots, Math.ceil((o.end - o.start) / o.chunk))) }, () =>
    worker().catch((err) => {
      failed = true;
      throw err;
    }),
  );
  const results = await Promise.allSettled(workers);
  const bad = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (bad) throw bad.reason;
}

/** Reads exactly `len` bytes at `pos` (fewer only at end of file). */
export async function readFully(r: ReadHandle, len: number, pos: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = await r.read(buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
