// SSH to an EC2 instance: the right address, port, user and key, and a verified host key. The entry
// point for ec2ssh, ec2scp and ec2launch (see docs/ssh-api.md).
import type { AccessWish } from '../access/options.js';
import { planAccess, describeRoute, type AccessPlan } from '../access/plan.js';
import { hostForDisplay } from '../access/route.js';
import type { AwsContext } from '../aws.js';
import { systemClock, type Clock } from '../clock.js';
import type { Ec2 } from '../ec2.js';
import { Ec2termError, NotFoundError, ConnectionError } from '../errors.js';
import { label as labelOf, reachableAddress, type InstanceInfo } from '../instances.js';
import type { Output } from '../output.js';
import { knownHostsPath } from '../paths.js';
import type { Prompt } from '../prompt.js';
import { forTerminal, hintName } from '../untrusted.js';
import { retryWhile, waitForInstanceState } from '../wait.js';
import { connectSsh, probeHostKey, type SshConnection } from './connection.js';
import { instanceHostKeyCheck, type HostKeyPolicy } from './hostkeys.js';
import { identityPlan, type IdentityCandidate } from './keys.js';
import { KnownHosts } from './knownhosts.js';
import { loginUser } from './login-user.js';

export type { SshConnection, ExecResult, ExecOptions, ExitStatus } from './connection.js';
export type { HostKeyPolicy } from './hostkeys.js';
export { checkedTagUser, loginUser, userForImage, usersForImages } from './login-user.js';

export interface ConnectOptions {
  aws: AwsContext;
  ec2: Ec2;
  /** Login user; default: tag ec2term:user, else from the image, else ubuntu. */
  user?: string;
  /** -i FILE(s): only these keys are offered. */
  identityFile?: string | string[];
  /** Extra identities tried first (e.g. a key ec2launch holds in memory). */
  identities?: IdentityCandidate[];
  /** Port override (-p); default instance.sshPort (tag ec2term:ssh-port, else 22). */
  port?: number;
  /** Address override; default: chosen by `access` (public IP, else IPv6, else an endpoint; see access/route.ts). */
  host?: string;
  /** --address-type, --via, --eice-id, --instance-connect (default: all automatic). */
  access?: AccessWish;
  hostKeyPolicy?: HostKeyPolicy;
  /** Connect (TCP + handshake) deadline per attempt; default 20 s. */
  timeoutMs?: number;
  keepAliveMs?: number;
  /** Keep retrying refused/unreachable connections for this long (sshd still starting); default 0. */
  retryMs?: number;
  /** How long to wait for a pending instance to run; default 120 s (then TimeoutError, exit 5). */
  pendingWaitMs?: number;
  /** How long to wait for host key fingerprints to appear on the console; default 120 s. */
  consoleWaitMs?: number;
  signal?: AbortSignal;
  prompt: Prompt;
  out: Output;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Program name for messages ("ec2ssh"); default out.program. */
  program?: string;
  /** UserKnownHostsFile: where pins are read and written; default ec2term's own (knownHostsPath). */
  knownHostsFile?: string;
  /** IdentitiesOnly=yes: no agent and no ~/.ssh/id_* (the -i keys, else the launch key). */
  identitiesOnly?: boolean;
  /** -J: connect through this (already authenticated) connection to a jump host. */
  via?: SshSession;
  compression?: boolean;
  family?: 4 | 6;
  /** -A: forward the agent at SSH_AUTH_SOCK to sessions. */
  forwardAgent?: boolean;
  keepAliveCountMax?: number;
}

function knownHostsFor(o: Pick<ConnectOptions, 'knownHostsFile' | 'env'>): KnownHosts {
  return new KnownHosts(o.knownHostsFile ?? knownHostsPath(o.env));
}

/** An authenticated SSH connection to an instance. */
export interface SshSession extends SshConnection {
  instance: InstanceInfo;
}

/** Pure: why an instance in `state` cannot be reached, or undefined if it can (running) / may soon (pending). */
export function unreachableReason(instance: InstanceInfo, program = 'ec2ssh'): Ec2termError | undefined {
  const name = hintName(instance);
  switch (instance.state) {
    case 'running':
    case 'pending':
      return undefined;
    case 'stopped':
    case 'stopping':
      return new Ec2termError(`${labelOf(instance)} is ${instance.state}; it must be running to connect`, 1, {
        hint: `start it with: ec2list --start ${name}   (then ${program} ${name} again)`,
      });
    case 'shutting-down':
    case 'terminated':
      return new NotFoundError(`${labelOf(instance)} is ${instance.state}; there is nothing to connect to`);
    default:
      return new Ec2termError(`${labelOf(instance)} is ${instance.state}; cannot connect`);
  }
}

/** Waits for a pending instance (with a message); fails clearly for stopped or terminated ones. */
export async function ensureRunning(instance: InstanceInfo, o: Pick<ConnectOptions, 'ec2' | 'out' | 'signal' | 'clock' | 'pendingWaitMs' | 'program'>): Promise<InstanceInfo> {
  const bad = unreachableReason(instance, o.program ?? o.out.program);
  if (bad) throw bad;
  if (instance.state === 'running') return instance;
  const timeoutMs = o.pendingWaitMs ?? 120_000;
  o.out.info(`${o.program ?? o.out.program}: ${labelOf(instance)} is pending; waiting up to ${Math.round(timeoutMs / 1000)}s for it to run...`);
  return waitForInstanceState(o.ec2, instance.id, ['running'], {
    clock: o.clock ?? systemClock,
    signal: o.signal,
    timeoutMs,
    hint: `it may still be booting: try again shortly, or check it with: ec2list ${hintName(instance)}`,
  });
}

/** Everything needed to reach an instance, decided without connecting. */
export interface InstanceTarget {
  instance: InstanceInfo;
  host: string;
  port: number;
  user: string;
  identities: IdentityCandidate[];
  knownHosts: KnownHosts;
  /** The route, the tunnel opener for an endpoint, and whether to push a key with EC2 Instance Connect. */
  access: AccessPlan;
}

/** Decides route, address, port, user and key list for an instance (the state must already be running). */
export async function planTarget(
  instance: InstanceInfo,
  o: Pick<ConnectOptions, 'aws' | 'ec2' | 'user' | 'identityFile' | 'identities' | 'port' | 'host' | 'env' | 'knownHostsFile' | 'identitiesOnly' | 'access' | 'timeoutMs' | 'signal' | 'via'>,
): Promise<InstanceTarget> {
  const port = o.port ?? instance.sshPort;
  // -J: the bastion connects onward to the address (no endpoint, as before).
  const host = o.host ?? (o.via ? reachableAddress(instance) : undefined);
  const [access, user] = await Promise.all([
    planAccess(instance, { aws: o.aws, ec2: o.ec2, access: o.access, host, identityFile: o.identityFile, port, env: o.env, timeoutMs: o.timeoutMs, signal: o.signal }),
    loginUser(instance, o.ec2, o.user),
  ]);
  const files = o.identityFile === undefined ? undefined : Array.isArray(o.identityFile) ? o.identityFile : [o.identityFile];
  const plan = identityPlan({
    env: o.env,
    identityFiles: files,
    keyName: instance.keyName,
    region: instance.region,
    keyDir: o.aws.local?.keyDir,
    fallbacks: !o.identitiesOnly,
  });
  return {
    instance,
    host: access.route.host,
    port,
    user,
    identities: access.instanceConnectOnly ? [...(o.identities ?? [])] : [...(o.identities ?? []), ...plan],
    knownHosts: knownHostsFor(o),
    access,
  };
}

function hostKeyCheckFor(target: Pick<InstanceTarget, 'instance' | 'knownHosts'>, o: ConnectOptions) {
  const program = o.program ?? o.out.program;
  return instanceHostKeyCheck({
    alias: target.instance.id,
    label: labelOf(target.instance),
    knownHosts: target.knownHosts,
    policy: o.hostKeyPolicy ?? 'verify',
    consoleOutput: () => o.ec2.consoleOutput(target.instance.id, true),
    consoleWaitMs: o.consoleWaitMs ?? 120_000,
    clock: o.clock ?? systemClock,
    signal: o.signal,
    info: (t) => o.out.info(`${program}: ${t}`),
    warn: (t) => o.out.warn(t),
    banner: (t) => o.out.status.write(t.split('\n').map((l) => `${forTerminal(l)}\n`).join('')),
    forgetCommand: `ec2ssh --forget-host-key ${hintName(target.instance)}`,
  });
}

/** Retries a connection attempt while the port refuses or times out (sshd starting), up to retryMs. */
function withRetry<T>(o: ConnectOptions, phase: string, attempt: () => Promise<T>): Promise<T> {
  const sshdStarting = (err: unknown) =>
    err instanceof ConnectionError && /connection refused|timed out|closed the connection|connection reset|no route/.test(err.message);
  return retryWhile(phase, attempt, sshdStarting, {
    clock: o.clock ?? systemClock,
    signal: o.signal,
    timeoutMs: o.retryMs ?? 0,
    backoff: { initialMs: 500, maxMs: 5_000, factor: 1.5 },
  });
}

/**
 * Connects to an instance: waits if pending, refuses stopped ones (with `ec2list --start` in the hint),
 * verifies the host key (pin, or console fingerprints on first contact), logs in with the first key that
 * works. Errors: ConnectionError (255), TimeoutError (5), Ec2termError (1) for a stopped instance.
 */
export async function connectToInstance(instance: InstanceInfo, o: ConnectOptions): Promise<SshSession> {
  const running = await ensureRunning(instance, o);
  // The login user may need DescribeImages; the host key check may need the console: do both at once.
  const [target, check] = await Promise.all([
    planTarget(running, o),
    hostKeyCheckFor({ instance: running, knownHosts: knownHostsFor(o) }, o),
  ]);
  const route = target.access.route;
  const how = o.via ? ` through ${labelOf(o.via.instance)}` : route.kind === 'eice' || route.addressType !== 'public' ? ` ${describeRoute(route)}` : '';
  o.out.detail(`connecting to ${target.user}@${hostForDisplay(target.host)} port ${target.port} (${labelOf(running)})${how}`);
  const agent = o.forwardAgent ? o.env.SSH_AUTH_SOCK : undefined;
  if (o.forwardAgent && !agent) o.out.warn('-A: no agent to forward (SSH_AUTH_SOCK is not set)');
  // Just booted: sshd may take a few more seconds to listen.
  const retry = { ...o, retryMs: o.retryMs ?? (instance.state === 'pending' ? 60_000 : 0) };
  const attempt = (identities: IdentityCandidate[]) =>
    withRetry(retry, `SSH on ${labelOf(running)}`, () =>
      connectSsh({
        host: target.host,
        port: target.port,
        user: target.user,
        identities,
        verifyHostKey: (blob) => check.verify(blob),
        hostKeyAlgorithms: check.algorithms,
        timeoutMs: o.timeoutMs,
        keepAliveMs: o.keepAliveMs,
        keepAliveCountMax: o.keepAliveCountMax,
        via: o.via,
        compression: o.compression,
        family: o.family,
        agentForward: agent,
        signal: o.signal,
        prompt: o.prompt,
        env: o.env,
        warn: (t) => o.out.stderrLine(t),
        detail: (t) => o.out.detail(t),
        label: `${target.user}@${labelOf(running)}`,
        openSock: target.access.openSock,
      }),
    );
  const conn = target.access.instanceConnect
    ? await (await import('../access/login.js')).withInstanceConnect(running, target, o, attempt)
    : await attempt(target.identities);
  return Object.assign(conn, { instance: running });
}

/**
 * Makes sure the instance's host key is pinned (verifying it against the console on first contact)
 * without logging in. Returns the pinned key's fingerprint and the target it used.
 */
export async function pinHostKey(instance: InstanceInfo, o: ConnectOptions): Promise<{ target: InstanceTarget; fingerprint?: string; alreadyPinned: boolean }> {
  const running = await ensureRunning(instance, o);
  const target = await planTarget(running, o);
  const pinned = await target.knownHosts.pinned(running.id);
  if (pinned.length > 0) return { target, fingerprint: pinned[0]!.fingerprint, alreadyPinned: true };
  const check = await hostKeyCheckFor(target, o);
  const fingerprint = await withRetry(o, `SSH on ${labelOf(running)}`, () =>
    probeHostKey({
      host: target.host,
      port: target.port,
      verifyHostKey: (blob) => check.verify(blob),
      hostKeyAlgorithms: check.algorithms,
      timeoutMs: o.timeoutMs,
      via: o.via,
      family: o.family,
      signal: o.signal,
      label: labelOf(running),
      openSock: target.access.openSock,
    }),
  );
  return { target, fingerprint, alreadyPinned: false };
}

