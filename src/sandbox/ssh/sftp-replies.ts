// SFTP requests in, replies out in request order (see below), with errors turned into SFTP statuses.
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import ssh2 from 'ssh2';
import { statusOf } from './sftp-attrs.js';

const { STATUS_CODE } = ssh2.utils.sftp;

type Slot = { send: (() => void) | null };
export interface Reply {
  status(code: number, msg?: string): void;
  ok(): void;
  fail(err: unknown): void;
  handle(h: Buffer): void;
  data(d: Buffer): void;
  name(n: FileEntry[]): void;
  attrs(a: Attributes): void;
}

/** `on(event, handler, parallel?)` for one SFTP stream: handlers reply through `r`; a throw becomes a status. */
export function orderedReplies(sftp: SFTPWrapper) {
  // Replies leave in request order even though the work runs concurrently: OpenSSH's sftp/scp advance
  // their upload "high water" mark only over in-order WRITE acks and truncate the file there at the end.
  // READ/WRITE run in parallel with each other; any other request waits for everything before it, and
  // everything after waits for it, so metadata changes see the effects of earlier writes.
  const queue: Slot[] = [];
  const flushQueue = () => {
    while (queue.length > 0 && queue[0]!.send) queue.shift()!.send!();
  };
  let barrier: Promise<unknown> = Promise.resolve();
  const inflight = new Set<Promise<unknown>>();
  const on = <A extends unknown[]>(ev: string, fn: (r: Reply, ...args: A) => Promise<void>, parallel = false) => {
    sftp.on(ev, (id: number, ...raw: A) => {
      // ssh2 may hand us views into its receive buffer: copy them before any asynchronous step.
      const args = raw.map((a) => (Buffer.isBuffer(a) ? Buffer.from(a) : a)) as A;
      const slot: Slot = { send: null };
      queue.push(slot);
      const put = (f: () => void) => {
        if (slot.send) return;
        slot.send = f;
        flushQueue();
      };
      const r: Reply = {
        status: (code, msg) => put(() => sftp.status(id, code, msg)),
        ok: () => put(() => sftp.status(id, STATUS_CODE.OK)),
        fail: (err) => {
          const [code, msg] = statusOf(err);
          put(() => sftp.status(id, code, msg));
        },
        handle: (h) => put(() => sftp.handle(id, h)),
        data: (d) => put(() => sftp.data(id, d)),
        name: (n) => put(() => sftp.name(id, n)),
        attrs: (a) => put(() => sftp.attrs(id, a)),
      };
      const run = async () => {
        try {
          await fn(r, ...args);
        } catch (err) {
          r.fail(err);
        }
        r.status(STATUS_CODE.FAILURE, 'no reply'); // no-op when the handler replied
      };
      if (parallel) {
        const p = barrier.then(run);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      } else {
        barrier = Promise.all([barrier, ...inflight]).then(run);
        inflight.clear();
      }
    });
  };
  return on;
}
