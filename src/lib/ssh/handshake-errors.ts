// Pure: why an SSH handshake failed, worded once as the ConnectionError (exit 255) the user reads.
// handshake.ts hands over what it saw; test/ssh/handshake-errors.test.ts holds the table.
import { ConnectionError } from '../errors.js';

/** What the handshake knew when it failed. */
export interface HandshakeScene {
  host: string;
  port: number;
  /** How the host is named in messages: the caller's label, or user@host[:port]. */
  where: string;
  /** The keys the server refused, in the order they were offered. */
  refused: readonly string[];
  /** The keys not offered, each with why. */
  skipped: readonly string[];
}

/** ssh2's 'error' event: `level` says which stage failed, `code` is the socket's errno name. */
export type Ssh2Error = Error & { level?: string; code?: string };

/** Pure: ssh2's error during connect or login -> the one-line error naming the cause. */
export function classifySshError(err: Ssh2Error, scene: HandshakeScene): ConnectionError {
  const { host, port, where, refused, skipped } = scene;
  const level = err.level;
  if (level === 'client-authentication') {
    const tried = refused.length ? `the server refused ${refused.join(', ')}` : 'no key could be offered';
    const skip = skipped.length ? `; skipped ${skipped.join('; ')}` : '';
    return new ConnectionError(`permission denied (publickey) for ${where}: ${tried}${skip}`, {
      hint: 'pass the right key with -i FILE, or the right login user with -l USER (ubuntu, ec2-user, admin)',
    });
  }
  if (level === 'client-socket' || err.code) {
    const code = err.code ?? '';
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host name not found'
          : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
            ? 'no route to host'
            : code === 'ECONNRESET'
              ? 'connection reset'
              : err.message;
    return new ConnectionError(`cannot connect to ${host} port ${port}: ${why}`, { cause: err, hint: connectHint(code) });
  }
  if (level === 'client-timeout') return new ConnectionError(`timed out talking to ${host} port ${port}`, { cause: err });
  return new ConnectionError(`SSH to ${where} failed: ${err.message}`, { cause: err });
}

/** Pure: the server (or the path to it) closed the connection before login finished. */
export function closedError(host: string, port: number, authStarted: boolean): ConnectionError {
  return new ConnectionError(`${host} port ${port} closed the connection${authStarted ? ' during login' : ' before the SSH handshake finished'}`);
}

/** Pure: the connect deadline passed before the handshake finished. */
export function connectTimeoutError(host: string, port: number, timeoutMs: number): ConnectionError {
  return new ConnectionError(`timed out after ${Math.round(timeoutMs / 1000)}s connecting to ${host} port ${port}`, {
    hint: 'check that the instance is running and its security group allows SSH from here; --connect-timeout SECONDS to wait longer',
  });
}

function connectHint(code: string): string | undefined {
  if (code === 'ECONNREFUSED') return 'sshd may still be starting (try again in a few seconds), or the port is wrong (-p PORT)';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return "check the instance's security group allows SSH (port 22) from your address";
  return undefined;
}
