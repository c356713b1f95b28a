// Several SFTP channels on one SSH connection behind one TransferFs, to fill a long fat pipe.
// Each SSH channel has its own flow-control window, and the server decides the window for what we send:
// OpenSSH's sshd keeps 2 MiB per channel, so one channel uploads at most 2 MiB per round trip (20 MB/s at
// 100 ms) however many requests are outstanding. N channels carry N windows. Folder work and small files
// use one channel each (the least busy); a large file is opened on every channel and each request goes to
// the channel with the fewest bytes outstanding, so one file also gets the sum of the windows.
// Extra channels join as they open (addChannel): a copy starts on the first one at once.
import type { SFTPWrapper } from 'ssh2';
import { channelsFor } from './depth.js';
import { sftpFs, type ReadHandle, type TransferFs, type WriteHandle } from './fs.js';

/** Files at least this big are spread over every channel; smaller ones stay on one. */
export const SPREAD_BYTES = 4 * 1024 * 1024;

/**
 * Channels a wide copy adds to the first: as many as the link's round trip needs (depth.ts), e.g. 6 x sshd's
 * 2 MiB window = 12 MiB per round trip for 1 Gbit/s x 100 ms, none on loopback (where extra channels only
 * queue requests in sshd). OpenSSH allows 10 sessions per connection (MaxSessions): an ec2ssh keeps room.
 */
export function extraChannelsFor(rttMs: number | undefined): number {
  return channelsFor(rttMs) - 1;
}

/** Pure: is a copy big enough to be worth more channels (several files, or one to spread)? */
export function wantsWidth(files: number, bytes: number): boolean {
  return bytes >= SPREAD_BYTES || (files > 1 && bytes >= 1024 * 1024);
}

interface Lane {
  fs: TransferFs;
  /** Bytes requested on this channel and not yet answered. */
  busy: number;
}

export interface SftpPool extends TransferFs {
  /** Adds an opened SFTP channel of the same connection. */
  addChannel(sftp: SFTPWrapper): void;
  /** Channels in use. */
  channels(): number;
  /**
   * Opens `extra` more channels with `open` in the background (once; a refused one is simply not added).
   * Without `extra`, as many as the round trip measured so far calls for (extraChannelsFor).
   */
  widen(open: () => Promise<SFTPWrapper>, extra?: number): void;
}

/** Pure: the lane with the fewest bytes outstanding (the first on a tie). */
export function leastBusy<T extends { busy: number }>(lanes: readonly T[]): T {
  let best = lanes[0]!;
  for (const l of lanes) if (l.busy < best.busy) best = l;
  return best;
}

/** A TransferFs over `first` and any channels added later, all to `host`. */
export function sftpPool(first: SFTPWrapper, host: string): SftpPool {
  const lanes: Lane[] = [{ fs: sftpFs(first, host), busy: 0 }];
  const primary = lanes[0]!.fs;
  let widened = false;
  const live = () => lanes.filter((l) => !l.fs.lost());

  /** Runs a request on a lane, counting its bytes as outstanding meanwhile. */
  const onLane = async <T>(lane: Lane, bytes: number, fn: () => Promise<T>): Promise<T> => {
    lane.busy += bytes;
    try {
      return await fn();
    } finally {
      lane.busy -= bytes;
    }
  };

  /**
   * A file handle per lane, opened on first use. `open(fs)` opens it there; the home lane's handle is
   * opened before the pooled handle is handed out (so a create happens exactly once, on it).
   */
  const spread = async <H extends ReadHandle | WriteHandle>(size: number | undefined, open: (fs: TransferFs, first: boolean) => Promise<H>) => {
    const home = leastBusy(live().length ? live() : lanes);
    const handles = new Map<Lane, Promise<H>>([[home, open(home.fs, true)]]);
    await handles.get(home);
    const wide = size !== undefined && size >= SPREAD_BYTES;
    const pick = async (bytes: number): Promise<{ lane: Lane; h: H }> => {
      const candidates = wide ? live() : [home];
      const lane = candidates.length ? leastBusy(candidates) : home;
      let hp = handles.get(lane);
      if (!hp) {
        hp = open(lane.fs, false);
        // A lane that cannot open the file (it closed meanwhile) is not used for this file again.
        hp.catch(() => undefined);
        handles.set(lane, hp);
      }
      lane.busy += bytes; // count it while the open is pending too
      try {
        return { lane, h: await hp };
      } catch (err) {
        if (lane === home) throw err;
        handles.set(lane, handles.get(home)!);
        return { lane: home, h: await handles.get(home)! };
      } finally {
        lane.busy -= bytes;
      }
    };
    const closeAll = async () => {
      const all = await Promise.allSettled([...new Set(handles.values())]);
      const opened = all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const homeH = await handles.get(home)!;
      // The others first: the home handle carries setAttrs and its close reports the outcome.
      await Promise.all(opened.filter((h) => h !== homeH).map((h) => h.close().catch(() => undefined)));
      await homeH.close();
    };
    return { pick, home: () => handles.get(home)!, closeAll };
  };

  const pool: SftpPool = {
    host,
    get maxChunk() {
      return Math.min(...lanes.map((l) => l.fs.maxChunk));
    },
    display: (p) => primary.display(p),
    join: (...parts) => primary.join(...parts),
    dirname: (p) => primary.dirname(p),
    basename: (p) => primary.basename(p),
    stat: (p) => primary.stat(p),
    list: (p) => primary.list(p),
    mkdir: (p, mode) => primary.mkdir(p, mode),
    rename: (a, b) => primary.rename(a, b),
    remove: (p) => primary.remove(p),
    setAttrs: (p, a) => primary.setAttrs(p, a),
    async openRead(path, size) {
      const s = await spread<ReadHandle>(size, (fs) => fs.openRead(path));
      return {
        async read(buf, off, len, pos) {
          const { lane, h } = await s.pick(len);
          return onLane(lane, len, () => h.read(buf, off, len, pos));
        },
        close: () => s.closeAll().catch(() => undefined),
      };
    },
    async openWrite(path, how, mode, size) {
      // Created once, on the home lane; the other lanes open the file it made for writing.
      const s = await spread<WriteHandle>(size, (fs, first) => fs.openWrite(path, first ? how : 'append', mode));
      return {
        async write(buf, off, len, pos) {
          const { lane, h } = await s.pick(len);
          return onLane(lane, len, () => h.write(buf, off, len, pos));
        },
        setAttrs: async (a) => (await s.home()).setAttrs(a),
        close: () => s.closeAll(),
      };
    },
    // The copy is only as alive as its first channel (folders, renames); a lost extra channel is dropped.
    lost: () => primary.lost(),
    rttMs: () => {
      const seen = lanes.map((l) => l.fs.rttMs()).filter((x): x is number => x !== undefined);
      return seen.length ? Math.min(...seen) : undefined;
    },
    addChannel(sftp) {
      lanes.push({ fs: sftpFs(sftp, host), busy: 0 });
    },
    channels: () => live().length,
    widen(open, extra = extraChannelsFor(pool.rttMs())) {
      if (widened) return;
      widened = true;
      for (let i = 0; i < extra; i++) open().then((sftp) => pool.addChannel(sftp), () => undefined);
    },
  };
  return pool;
}
