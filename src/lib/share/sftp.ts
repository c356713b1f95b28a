// ec2scp over a shared connection: an SFTP client whose channel is a unix socket to the master (which
// pipes it to an sftp subsystem channel of its SSH connection). ssh2's SFTP class needs only a way to send
// (`_protocol.channelData/channelClose`) and bytes pushed in, so it is given those over the socket; flow
// control is the socket's (the master applies the SSH window), hence the unlimited window here.
import { connect, type Socket } from 'node:net';
import { promises as fsp } from 'node:fs';
import type { SFTPWrapper } from 'ssh2';
import { encodeFrame, FRAME, FrameReader, type Hello } from './frames.js';
import { tokenPath } from './paths.js';

type SftpCtor = new (client: unknown, chanInfo: unknown, cfg: unknown) => SFTPWrapper & { push(b: Buffer | null): void; _init(): void };

/** Opens an SFTP session through the master at `socket` holding `instanceId`; undefined when it cannot. */
export async function sharedSftp(socket: string, instanceId: string): Promise<SFTPWrapper | undefined> {
  const token = await fsp.readFile(tokenPath(socket), 'utf8').catch(() => undefined);
  if (!token) return undefined;
  const opened = await new Promise<{ sock: Socket; serverIdent: string; rest: Buffer } | undefined>((resolve) => {
    const sock = connect(socket);
    const reader = new FrameReader();
    const onData = (b: Buffer) => {
      const f = reader.framesFrom(sock, b)[0];
      if (!f) return;
      sock.off('data', onData);
      const info = f.type === FRAME.started ? (JSON.parse(f.payload.toString()) as { instanceId?: string; serverIdent?: string }) : undefined;
      if (!info || info.instanceId !== instanceId) {
        sock.destroy();
        return resolve(undefined);
      }
      resolve({ sock, serverIdent: info.serverIdent ?? '', rest: Buffer.alloc(0) });
    };
    sock.once('connect', () => sock.write(encodeFrame(FRAME.hello, JSON.stringify({ v: 1, token: token.trim(), op: 'sftp' } satisfies Hello))));
    sock.on('data', onData);
    sock.once('error', () => resolve(undefined));
    sock.once('close', () => resolve(undefined));
  });
  if (!opened) return undefined;
  const { sock } = opened;
  // ssh2 has no public constructor for an SFTP client on another transport; its class takes these parts.
  const spec = 'ssh2/lib/protocol/SFTP.js';
  const { SFTP } = (await import(spec)) as { SFTP: SftpCtor };
  const side = () => ({ id: 0, window: Number.MAX_SAFE_INTEGER, packetSize: 1 << 20, state: 'open' });
  const chanInfo = { type: 'sftp', incoming: side(), outgoing: side() };
  const protocol = {
    _remoteIdentRaw: opened.serverIdent,
    channelData: (_id: number, data: Buffer) => sock.write(data),
    channelClose: () => {
      chanInfo.outgoing.state = 'closed';
      sock.end();
    },
    channelWindowAdjust: () => {},
  };
  const sftp = new SFTP({ _protocol: protocol }, chanInfo, {});
  sock.on('data', (b: Buffer) => sftp.push(b));
  sock.on('error', () => undefined);
  sock.once('close', () => {
    chanInfo.incoming.state = 'closed';
    sftp.push(null);
    sftp.emit('close');
  });
  return new Promise((resolve) => {
    const onReady = () => {
      sftp.off('error', onError);
      resolve(sftp);
    };
    const onError = () => {
      sftp.off('ready', onReady);
      sock.destroy();
      resolve(undefined);
    };
    sftp.once('ready', onReady);
    sftp.once('error', onError);
    sftp._init();
  });
}
