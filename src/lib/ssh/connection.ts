// The low-level SSH connection on ssh2: one host, one user, a list of identities, a host key check.
// No AWS here: tests use it against a plain sshd; connectToInstance (connect.ts) builds on it.
// The parts: handshake.ts (reach, host key, login or probe), auth-methods.ts (the keys offered in turn),
// handshake-errors.ts (pure: the failure worded), channels.ts (exec, shell, SFTP on the connection).
import type { ClientChannel, Client, PseudoTtyOptions, SFTPWrapper, X11Options } from 'ssh2';
import type { Duplex, Readable } from 'node:stream';
import type { Prompt } from '../prompt.js';
import type { IdentityCandidate } from './keys.js';
import { handshake } from './handshake.js';

export { exitStatusOf, waitForExit } from './channels.js';
export { hostKeyAlgorithmsFor } from './handshake.js';

export interface SshConnectOptions {
  host: string;
  port: number;
  user: string;
  /** Tried in order; see identityPlan(). */
  identities: IdentityCandidate[];
  /** Checks the server's host key blob; throw (a ConnectionError) to refuse it. Required: no unverified hosts. */
  verifyHostKey(keyBlob: Buffer): Promise<void> | void;
  /** Host key algorithms to ask for, preferred first (e.g. the pinned key's type). */
  hostKeyAlgorithms?: string[];
  /** TCP connect + handshake deadline (ms); default 20 s. Paused while asking for a passphrase. */
  timeoutMs?: number;
  /** Keep-alive interval (ms); default 15 s; 0 turns it off. After 3 unanswered the connection is dropped. */
  keepAliveMs?: number;
  keepAliveCountMax?: number;
  signal?: AbortSignal;
  prompt?: Prompt;
  env?: NodeJS.ProcessEnv;
  /** Warnings for the user (stderr); default none. */
  warn?: (text: string) => void;
  /** --verbose detail; default none. */
  detail?: (text: string) => void;
  /** How to name the host in messages (default user@host:port). */
  label?: string;
  /** A stream to run SSH over instead of a TCP connection to host:port (an endpoint's tunnel), opened per attempt. */
  openSock?: () => Promise<Duplex>;
  /** -J: reach host:port through this connection (direct-tcpip) instead of a TCP connection from here. */
  via?: SshConnection;
  /** -C: offer zlib compression first. */
  compression?: boolean;
  /** -4 / -6: the address family for host names (a literal of the other family is refused). */
  family?: 4 | 6;
  /** -A: the agent socket to forward to sessions (SSH_AUTH_SOCK). */
  agentForward?: string;
}

export interface ExitStatus {
  /** The remote exit status; for a signal, 128 + its number (as ssh reports it). */
  code: number;
  /** "SIGTERM" when the remote command was killed by a signal. */
  signal?: string;
}

export interface ExecResult extends ExitStatus {
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecOptions {
  /** Data for the command's stdin; the channel gets EOF after it. Default: EOF at once. */
  stdin?: Buffer | string | Readable;
  /** Allocate a PTY (true: 80x24 xterm; or full options). */
  pty?: boolean | PseudoTtyOptions;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** An authenticated SSH connection. */
export interface SshConnection {
  client: Client;
  user: string;
  host: string;
  port: number;
  /** SHA256 fingerprint of the host key that was verified. */
  hostKeyFingerprint?: string;
  /** Runs a command and collects its output (for small outputs: setup markers, probes). */
  exec(command: string, o?: ExecOptions): Promise<ExecResult>;
  /** Starts a command and hands back its channel (stream it yourself; see waitForExit). */
  execChannel(command: string, o?: { pty?: boolean | PseudoTtyOptions; env?: Record<string, string>; x11?: X11Options }): Promise<ClientChannel>;
  /** Starts a login shell (with a PTY unless `pty` is false). */
  shellChannel(o?: { pty?: false | PseudoTtyOptions; env?: Record<string, string>; x11?: X11Options }): Promise<ClientChannel>;
  sftp(): Promise<SFTPWrapper>;
  /** Resolves when the connection is gone (closed by either side, or lost). */
  readonly closed: Promise<void>;
  /** Ends the connection; resolves when it is closed. */
  close(): Promise<void>;
}

/**
 * Connects and authenticates. Fails with ConnectionError (exit 255) naming the cause: refused or
 * unreachable port, timeout, host key refused, or "permission denied" listing each key the server refused
 * and each key skipped (and why).
 */
export async function connectSsh(o: SshConnectOptions): Promise<SshConnection> {
  return handshake(o, false);
}

/**
 * Connects only far enough to see and check the host key (no login). Used to pin a key before printing
 * an OpenSSH command. Resolves with the key's fingerprint.
 */
export async function probeHostKey(o: Omit<SshConnectOptions, 'identities' | 'user'> & { user?: string }): Promise<string> {
  return handshake({ ...o, user: o.user ?? 'ec2term-probe', identities: [] }, true);
}

/**
 * Starts loading ssh2 (about 40 ms of compiling) without waiting, so it overlaps the instance look-up's
 * round trips; the connect then finds it loaded. Failures surface at the real import.
 */
export function warmSsh2(): void {
  import('ssh2').catch(() => {});
}
