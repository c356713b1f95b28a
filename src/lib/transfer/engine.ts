// ec2scp's transfer engine: expands sources (remote globs, -r folders), decides where each file lands
// (scp's rules), then copies files several at a time. Each file is written to a temporary name in the
// target folder (`.NAME.ec2scp-XXXX.part`) and renamed over the real name only when complete, so an
// interrupted copy never leaves a truncated file under the real name. Either side may be local or SFTP.
// The parts: jobs.ts (sources, placement, -r walk), sources.ts (remote wildcards, listed names checked),
// resume.ts (--resume's partial files); copy.ts moves the bytes.
import { CancelledError } from '../errors.js';
import { copyRange } from './copy.js';
import { TransferConnectionLost, TransferFsError, type FileStat, type TransferFs, type WriteHandle } from './fs.js';
import { message, planJobs } from './jobs.js';
import { findPartial, partName, tailMatches, type Partial } from './resume.js';
import { count } from '../words.js';

export { TransferConnectionLost } from './fs.js';
export { isPartOf, partName } from './resume.js';
export { expandSource, trimSlashes, usableEntries } from './sources.js';

export interface TransferSource {
  fs: TransferFs;
  path: string;
}

export interface TransferOptions {
  recursive?: boolean;
  /** Keep modes and access/modification times (-p). */
  preserve?: boolean;
  /** Continue partial files (a leftover `.part`, or a shorter file under the real name). */
  resume?: boolean;
  /** How far before a partial file's end --resume restarts (default: past any in-flight window). */
  resumeBackoff?: number;
  /** Files copied at once (default 4). */
  parallel?: number;
  /** Bytes per request (default: the server's limit, at most 256 KiB). */
  chunkSize?: number;
  /** Bytes in flight per file (default 16 MiB, a 1 Gbit/s x 100 ms link's worth): slots = inFlight / chunk. */
  inFlight?: number;
  /** Applied to copies without -p (default: this process's umask). */
  umask?: number;
  signal?: AbortSignal;
  events?: TransferEvents;
  /** -l: waits until `n` more bytes may go (shared by every file: one limit for the whole copy). */
  throttle?: (n: number) => Promise<void>;
}

export interface FileJob {
  src: TransferFs;
  srcPath: string;
  dst: TransferFs;
  dstPath: string;
  stat: FileStat;
  /** The copy's final mode bits (modes.ts). */
  mode: number;
}

export interface TransferEvents {
  /** Sizes are known: the copy is about to start. */
  planned?(files: number, bytes: number): void;
  fileStart?(job: FileJob): void;
  bytes?(n: number): void;
  fileDone?(job: FileJob): void;
  /** One file or source failed; the rest go on. The message names the file and the cause. */
  failed?(message: string): void;
  /** Something worth saying that is not a failure (resumed, skipped). */
  notice?(message: string): void;
}

export interface TransferSummary {
  files: number;
  bytes: number;
  /** Bytes already present and kept by --resume. */
  resumedBytes: number;
  seconds: number;
  failed: string[];
}

/** Copies `sources` to `target` like scp. Never throws for one file's failure: see summary.failed. */
export async function transfer(sources: TransferSource[], target: TransferSource, o: TransferOptions = {}): Promise<TransferSummary> {
  const started = Date.now();
  const ev = o.events ?? {};
  const failed: string[] = [];
  const fail = (msg: string) => {
    failed.push(msg);
    ev.failed?.(msg);
  };
  const checkAbort = () => {
    if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new CancelledError('interrupted');
  };

  // 1-3. Sources, where they land, folders walked (jobs.ts).
  const { jobs, dirs } = await planJobs(sources, target, o, fail);

  // 4. Copy files, several at a time.
  const totalBytes = jobs.reduce((n, j) => n + j.stat.size, 0);
  ev.planned?.(jobs.length, totalBytes);
  let files = 0;
  let bytes = 0;
  let resumedBytes = 0;
  let lost: TransferConnectionLost | undefined;
  let queue = 0;
  const runOne = async () => {
    while (queue < jobs.length && !lost) {
      checkAbort();
      const job = jobs[queue++]!;
      ev.fileStart?.(job);
      try {
        const r = await copyFile(job, o, (n) => {
          bytes += n;
          ev.bytes?.(n);
        });
        resumedBytes += r.resumed;
        files++;
        ev.fileDone?.(job);
      } catch (err) {
        if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : err;
        if (job.src.lost() || job.dst.lost()) {
          lost = new TransferConnectionLost((job.src.lost() ? job.src.host : job.dst.host) ?? 'the instance');
          throw lost;
        }
        fail(message(err));
      }
    }
  };
  const parallel = Math.max(1, o.parallel ?? 4);
  const results = await Promise.allSettled(Array.from({ length: Math.min(parallel, Math.max(1, jobs.length)) }, runOne));
  const bad = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (bad) throw bad.reason;

  // 5. -p on folders last (writing files into them changed their times), deepest first.
  if (o.preserve) {
    for (const d of [...dirs].reverse()) {
      await d.fs.setAttrs(d.path, { mode: d.mode, atime: d.stat.atime, mtime: d.stat.mtime }).catch((err) => fail(message(err)));
    }
  }
  return { files, bytes, resumedBytes, seconds: (Date.now() - started) / 1000, failed };
}

/** More than the most a copy keeps in flight (64 slots of at most 256 KiB). */
export const RESUME_BACKOFF_BYTES = 17 * 1024 * 1024;

function slotsFor(chunk: number, o: TransferOptions): number {
  return Math.max(2, Math.min(64, Math.round((o.inFlight ?? 16 * 1024 * 1024) / chunk)));
}

/** Copies one file through a temporary name (or appends to a partial one with --resume). */
async function copyFile(job: FileJob, o: TransferOptions, onBytes: (n: number) => void): Promise<{ resumed: number }> {
  const { src, dst, stat } = job;
  const chunk = Math.max(1024, Math.min(o.chunkSize ?? Infinity, src.maxChunk, dst.maxChunk));
  const size = stat.size;
  const srcLabel = src.display(job.srcPath);
  const reader = await src.openRead(job.srcPath, size);
  let writer: WriteHandle | undefined;
  let tmp: string | undefined;
  let keepTmp = false;
  try {
    let start = 0;
    let partial: Partial | undefined;
    if (o.resume) {
      partial = await findPartial(job);
      // Parallel writers finish out of order: a copy killed midway can leave holes anywhere in its
      // last in-flight window, so resume before that window and check what lies just below it.
      if (partial) partial.size = Math.max(0, partial.size - (o.resumeBackoff ?? RESUME_BACKOFF_BYTES));
      if (partial && !(await tailMatches(reader, job, partial, partial.size))) {
        o.events?.notice?.(`${dst.display(partial.path)}: differs from ${srcLabel}; copying from the start`);
        if (!partial.inPlace) await dst.remove(partial.path).catch(() => undefined);
        partial = undefined;
      }
    }
    if (partial) {
      start = partial.size;
      o.events?.bytes?.(start);
      o.events?.notice?.(
        start === size ? `${dst.display(job.dstPath)}: already complete` : `${dst.display(job.dstPath)}: resuming after ${start} of ${count(size, 'byte')}`,
      );
      tmp = partial.path;
      writer = await dst.openWrite(partial.path, 'append', 0o600, size);
    } else {
      tmp = dst.join(dst.dirname(job.dstPath), partName(dst.basename(job.dstPath)));
      // Owner read/write while copying (a read-only source must still be resumable); final mode set below.
      writer = await dst.openWrite(tmp, 'create', (job.mode & 0o777) | 0o600, size);
    }
    // From here a failure with --resume keeps the partial file for the next run.
    keepTmp = Boolean(o.resume);
    await copyRange(reader, writer, { start, end: size, chunk, slots: slotsFor(chunk, o), signal: o.signal, onBytes, sourceLabel: srcLabel, throttle: o.throttle });
    if (o.preserve) await writer.setAttrs({ mode: job.mode, atime: stat.atime, mtime: stat.mtime });
    else if (!partial?.inPlace && (job.mode & 0o600) !== 0o600) await writer.setAttrs({ mode: job.mode });
    await writer.close();
    writer = undefined;
    const written = await dst.stat(tmp);
    if (!written || written.size !== size) {
      keepTmp = false;
      throw new TransferFsError(dst.display(job.dstPath), `size check failed: ${written?.size ?? 'nothing'} of ${count(size, 'byte')} written`);
    }
    if (tmp !== job.dstPath) await dst.rename(tmp, job.dstPath);
    tmp = undefined;
    return { resumed: start };
  } finally {
    await writer?.close().catch(() => undefined);
    await reader.close().catch(() => undefined);
    if (tmp && tmp !== job.dstPath && !keepTmp && !dst.lost()) await dst.remove(tmp).catch(() => undefined);
  }
}
