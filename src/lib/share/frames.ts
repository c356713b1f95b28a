// The shared connection's wire format on its unix socket: frames of [type u8][length u32 BE][payload].
// A client opens one socket per remote command; its first frame is a hello (JSON). Pure and bounded: a
// frame longer than MAX_FRAME is a protocol error, so neither side buffers without limit.

export const FRAME = {
  hello: 0,
  /** client -> master */
  stdin: 1,
  stdinEnd: 2,
  resize: 3,
  /** master -> client */
  started: 10,
  error: 11,
  stdout: 12,
  stderr: 13,
  exit: 14,
} as const;

export const MAX_FRAME = 1 << 20;

export interface Frame {
  type: number;
  payload: Buffer;
}

/** What a client asks for in its hello frame. */
export interface Hello {
  v: 1;
  /** The master's secret (its 0600 token file): proof the client runs as the master's user. */
  token: string;
  /** sftp: after `started`, the socket carries the SFTP subsystem's raw bytes both ways (no frames). */
  op: 'exec' | 'shell' | 'ping' | 'sftp';
  command?: string;
  pty?: { term: string; rows: number; cols: number };
  env?: Record<string, string>;
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits large data into frames no longer than MAX_FRAME. */
export function encodeData(type: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += MAX_FRAME) out.push(encodeFrame(type, data.subarray(i, i + MAX_FRAME)));
  return out;
}

export class FrameError extends Error {}

/** Incremental decoder: push() bytes as they come, get whole frames back. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME) throw new FrameError(`frame of ${len} bytes (at most ${MAX_FRAME})`);
      if (this.buf.length < 5 + len) break;
      out.push({ type: this.buf.readUInt8(0), payload: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }

  /** The frames `chunk` completes; a malformed stream destroys its socket and completes none. */
  framesFrom(sock: { destroy(): void }, chunk: Buffer): Frame[] {
    try {
      return this.push(chunk);
    } catch {
      sock.destroy();
      return [];
    }
  }
}
