// -X / -Y: X11 forwarding. The server gets a made-up cookie; each X11 channel it opens back is checked
// to present that cookie and has it replaced by the real one of the local display (from `xauth list`),
// as OpenSSH does, so the real cookie never leaves this machine.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface DisplayTarget {
  /** Unix socket of a local display (:N), or host + port (host:N). */
  path?: string;
  host?: string;
  port?: number;
  screen: number;
}

/** Pure: DISPLAY (":0", ":1.0", "localhost:10.0", "unix:0") -> where to connect, or undefined. */
export function parseDisplay(display: string | undefined): DisplayTarget | undefined {
  const m = /^([^:]*):(\d+)(?:\.(\d+))?$/.exec(display ?? '');
  if (!m) return undefined;
  const n = Number(m[2]);
  const screen = m[3] ? Number(m[3]) : 0;
  if (m[1] === '' || m[1] === 'unix') return { path: `/tmp/.X11-unix/X${n}`, screen };
  return { host: m[1]!, port: 6000 + n, screen };
}

export const X11_PROTOCOL = 'MIT-MAGIC-COOKIE-1';

/** The real cookie (16 bytes) of `display` from `xauth list`, or undefined. */
export function realCookie(display: string, env: NodeJS.ProcessEnv): Buffer | undefined {
  const r = spawnSync('xauth', ['list', display], { encoding: 'utf8', env, timeout: 5_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  for (const line of r.stdout.split('\n')) {
    const [, proto, hex] = line.trim().split(/\s+/);
    if (proto === X11_PROTOCOL && hex && /^[0-9a-f]{32}$/i.test(hex)) return Buffer.from(hex, 'hex');
  }
  return undefined;
}

export function fakeCookie(): Buffer {
  return randomBytes(16);
}

const pad4 = (n: number) => (n + 3) & ~3;

/**
 * Pure: an X11 connection setup (client's first message) with the fake cookie replaced by `real`
 * (or the authorization removed when there is none). 'more' until the whole setup is in; an error
 * text when the cookie is not the fake one (someone else's connection).
 */
export function rewriteSetup(buf: Buffer, fake: Buffer, real: Buffer | undefined): Buffer | 'more' | { error: string } {
  if (buf.length < 12) return 'more';
  const le = buf[0] === 0x6c;
  if (!le && buf[0] !== 0x42) return { error: 'not an X11 connection setup' };
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const nameLen = u16(6);
  const dataLen = u16(8);
  const end = 12 + pad4(nameLen) + pad4(dataLen);
  if (buf.length < end) return 'more';
  const name = buf.subarray(12, 12 + nameLen).toString('latin1');
  const data = buf.subarray(12 + pad4(nameLen), 12 + pad4(nameLen) + dataLen);
  if (name !== X11_PROTOCOL || !data.equals(fake)) return { error: 'X11 connection with the wrong authorization' };
  const head = Buffer.from(buf.subarray(0, 12));
  const w16 = (o: number, v: number) => (le ? head.writeUInt16LE(v, o) : head.writeUInt16BE(v, o));
  const rest = buf.subarray(end);
  if (!real) {
    w16(6, 0);
    w16(8, 0);
    return Buffer.concat([head, rest]);
  }
  const nameBuf = Buffer.alloc(pad4(nameLen));
  buf.copy(nameBuf, 0, 12, 12 + nameLen);
  const dataBuf = Buffer.alloc(pad4(real.length));
  real.copy(dataBuf);
  w16(8, real.length);
  return Buffer.concat([head, nameBuf, dataBuf, rest]);
}

/** Carries one X11 channel to the local display, rewriting its setup message. */
export function carryX11(channel: Duplex, target: DisplayTarget, fake: Buffer, real: Buffer | undefined, warn: (t: string) => void): void {
  let buf = Buffer.alloc(0);
  let local: Socket | undefined;
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const r = rewriteSetup(buf, fake, real);
    if (r === 'more') return;
    channel.off('data', onData);
    if (!Buffer.isBuffer(r)) {
      warn(`X11: ${r.error}; closed`);
      channel.destroy();
      return;
    }
    channel.pause();
    local = target.path ? connect(target.path) : connect({ host: target.host!, port: target.port! });
    local.once('connect', () => {
      local!.write(r);
      channel.pipe(local!);
      local!.pipe(channel);
      channel.resume();
    });
    local.once('error', (err) => {
      warn(`X11: cannot reach the local display (${err.message})`);
      channel.destroy();
    });
    local.once('close', () => channel.destroy());
    channel.once('close', () => local?.destroy());
  };
  channel.on('data', onData);
}
