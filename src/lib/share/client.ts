// The client side of a shared connection: run one remote command through a live master (master.ts), or
// start a master in the background after a run connected directly. Before the remote command has started
// every failure means "no usable master" (undefined) and the caller connects as usual; after it, the
// command's streams and exit status pass through as they would on a connection of our own.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConnectionError } from '../errors.js';
import type { ExitStatus } from '../ssh/connection.js';
import { encodeData, encodeFrame, FRAME, FrameReader, type Hello } from './frames.js';
import type { MasterConfig } from './master.js';
import { tokenPath } from './paths.js';

export interface SharedRun {
  op: 'exec' | 'shell';
  command?: string;
  pty?: { term: string; rows: number; cols: number };
  env?: Record<string, string>;
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Called once the remote command runs (raw mode, SIGWINCH...); returns a clean-up. */
  onStarted?(resize: (rows: number, cols: number) => void): () => void;
  signal?: AbortSignal;
}

export type SharedOutcome =
  | { kind: 'unavailable'; why: string; stale: boolean }
  | { kind: 'mismatch'; instanceId: string }
  | { kind: 'done'; status: ExitStatus };

/** Runs a command through the master at `socket`, if one answers and holds `instanceId`. */
export async function runShared(socket: string, instanceId: string, r: SharedRun): Promise<SharedOutcome> {
  let token: string;
  try {
    token = (await fsp.readFile(tokenPath(socket), 'utf8')).trim();
  } catch {
    return { kind: 'unavailable', why: 'no master', stale: false };
  }
  let sock: Socket;
  try {
    sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(socket);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'unavailable', why: `master socket: ${code ?? (err as Error).message}`, stale: code === 'ECONNREFUSED' };
  }
  const hello: Hello = { v: 1, token, op: r.op, command: r.command, pty: r.pty, env: r.env };
  sock.write(encodeFrame(FRAME.hello, JSON.stringify(hello)));
  const reader = new FrameReader();
  let started = false;
  let cleanup: (() => void) | undefined;
  const onAbort = () => sock.destroy();
  r.signal?.addEventListener('abort', onAbort, { once: true });
  const stdinData = (b: Buffer) => {
    for (const f of encodeData(FRAME.stdin, b)) if (!sock.write(f)) r.stdin!.pause();
  };
  const stdinEnd = () => sock.write(encodeFrame(FRAME.stdinEnd));
  sock.on('drain', () => r.stdin?.resume());
  try {
    return await new Promise<SharedOutcome>((resolve, reject) => {
      let status: ExitStatus | undefined;
      let error: string | undefined;
      sock.on('data', (b: Buffer) => {
        for (const f of reader.framesFrom(sock, b)) {
          if (f.type === FRAME.started && !started) {
            const info = JSON.parse(f.payload.toString()) as { instanceId?: string };
            if (info.instanceId !== instanceId) {
              sock.destroy();
              return resolve({ kind: 'mismatch', instanceId: String(info.instanceId) });
            }
            started = true;
            cleanup = r.onStarted?.((rows, cols) => sock.write(encodeFrame(FRAME.resize, JSON.stringify({ rows, cols }))));
            if (r.stdin) {
              r.stdin.on('data', stdinData);
              r.stdin.once('end', stdinEnd);
              r.stdin.resume();
            } else stdinEnd();
          } else if (f.type === FRAME.stdout) {
            if (!r.stdout.write(f.payload)) {
              sock.pause();
              r.stdout.once('drain', () => sock.resume());
            }
          } else if (f.type === FRAME.stderr) r.stderr.write(f.payload);
          else if (f.type === FRAME.exit) status = JSON.parse(f.payload.toString()) as ExitStatus;
          else if (f.type === FRAME.error) error = f.payload.toString();
        }
      });
      sock.on('error', () => undefined);
      sock.on('close', () => {
        if (status) resolve({ kind: 'done', status });
        else if (!started) resolve({ kind: 'unavailable', why: error ?? 'the master closed the socket', stale: false });
        else if (r.signal?.aborted) reject(r.signal.reason instanceof Error ? r.signal.reason : new ConnectionError('interrupted'));
        else reject(new ConnectionError(`shared connection: ${error ?? 'the master went away before the remote command reported its exit status'}`));
      });
    });
  } finally {
    r.signal?.removeEventListener('abort', onAbort);
    r.stdin?.off('data', stdinData);
    r.stdin?.off('end', stdinEnd);
    r.stdin?.pause();
    cleanup?.();
  }
}

/** Does the master at `socket` answer, and for which instance and host key? */
export async function pingShared(socket: string): Promise<{ instanceId: string; fingerprint: string } | undefined> {
  const token = await fsp.readFile(tokenPath(socket), 'utf8').catch(() => undefined);
  if (!token) return undefined;
  return new Promise((resolve) => {
    const s = connect(socket);
    const reader = new FrameReader();
    let info: { instanceId: string; fingerprint: string } | undefined;
    s.once('connect', () => s.write(encodeFrame(FRAME.hello, JSON.stringify({ v: 1, token: token.trim(), op: 'ping' } satisfies Hello))));
    s.on('data', (b: Buffer) => {
      try {
        for (const f of reader.push(b)) if (f.type === FRAME.started) info = JSON.parse(f.payload.toString());
      } catch {
        s.destroy();
      }
    });
    s.on('error', () => resolve(undefined));
    s.on('close', () => resolve(info));
  });
}

/**
 * Starts a master in the background: a detached Node process (it outlives this run), its config on a
 * pipe. Returns at once; the master is usable once its socket answers.
 */
export function spawnMaster(cfg: MasterConfig): void {
  const entry = fileURLToPath(new URL('./master-main.js', import.meta.url));
  const child = spawn(process.execPath, [entry], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(JSON.stringify(cfg));
  child.unref();
}
