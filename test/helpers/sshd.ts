// Test fixture (also used by bench/ssh-connect.mjs and bench/scp-throughput.mjs through dist/): OpenSSH's
// real sshd on a free 127.0.0.1 port with a throwaway config, host key, client key, authorized_keys and a
// known_hosts for OpenSSH clients. Where sshd or ssh-keygen is absent, startSshd returns undefined and
// callers skip visibly (sshdAvailable / sshdUnavailable say so beforehand).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = process.env.EC2TERM_SSHD || '/usr/sbin/sshd';
export const SSH_KEYGEN = '/usr/bin/ssh-keygen';
export const SSH = '/usr/bin/ssh';

/** Why the real-sshd tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} not found (install openssh-server)`;
  if (!existsSync(SSH_KEYGEN)) return `${SSH_KEYGEN} not found (install openssh-client)`;
  return undefined;
}

export function sshdAvailable(): boolean {
  return sshdUnavailable() === undefined;
}

export function sshAvailable(): boolean {
  return existsSync(SSH);
}

export interface Sshd {
  /** A scratch folder owned by the test (config, keys; tests may add files), removed by stop(). */
  dir: string;
  host: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA..." of the server (its private key is `${dir}/host_ed25519`). */
  hostPublicKey: string;
  /** "SHA256:..." of the server key. */
  hostFingerprint: string;
  /** A client key the server accepts (0600, OpenSSH format): its path... */
  clientKey: string;
  /** ...the same path (the name the transfer tests and bench/scp-throughput.mjs use)... */
  keyPath: string;
  /** ...and its contents. */
  privateKey: Buffer;
  clientPublicKey: string;
  authorizedKeys: string;
  /** known_hosts with `[127.0.0.1]:port` pinned to the server key. */
  knownHosts: string;
  /** `ssh`/`scp`/`sftp` options that reach this server without touching ~/.ssh (add -p/-P port). */
  sshOptions: string[];
  /** Adds a public key line to authorized_keys. */
  authorize(publicKeyLine: string): void;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** ssh-keygen a key pair at `path` (private key 0600) and return the public key line. */
export function keygen(path: string, type = 'ed25519', passphrase = ''): { publicKey: string } {
  const r = spawnSync(SSH_KEYGEN, ['-q', '-t', type, '-N', passphrase, '-C', 'ec2term-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  chmodSync(path, 0o600);
  return { publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export function fingerprintOf(pubPath: string): string {
  const r = spawnSync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' });
  return r.stdout.split(/\s+/)[1]!;
}

/** Resolves once the server sends its banner; rejects early if sshd exits. */
function waitForBanner(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited (${child.exitCode}): ${log()}`));
      const s = connect({ host: '127.0.0.1', port });
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not start on port ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts sshd (extra sshd_config lines appended, e.g. another ListenAddress), or undefined without OpenSSH. */
export async function startSshd(extraConfig: string[] = []): Promise<Sshd | undefined> {
  if (!sshdAvailable()) return undefined;
  // sshd run as root insists on its privilege-separation folder (the package's service creates it at boot).
  if (!existsSync('/run/sshd')) {
    try {
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    } catch {
      // Not root: sshd does not need it then.
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-sshd-'));
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const host = keygen(hostKey);
  const clientKey = join(dir, 'id_ed25519');
  const client = keygen(clientKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${client.publicKey}\n`, { mode: 0o600 });
  const user = userInfo().username;
  const hostPublicKey = host.publicKey.split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  const config = join(dir, 'sshd_config');
  const writeConfig = (port: number) => writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin yes',
      'AllowTcpForwarding yes',
      'PermitTTY yes',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      ...extraConfig,
    ].join('\n') + '\n',
  );
  // The free port may be taken by a test running alongside before sshd binds it: then try another.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPublicKey}\n`, { mode: 0o600 });
    writeConfig(port);
    const started = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    started.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    try {
      await waitForBanner(port, started, () => log);
      child = started;
    } catch (err) {
      started.kill('SIGKILL');
      if (attempt < 3 && /already in use|Cannot bind/i.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const sshd = child;
  return {
    dir,
    host: '127.0.0.1',
    port,
    user,
    hostPublicKey,
    hostFingerprint: fingerprintOf(`${hostKey}.pub`),
    clientKey,
    keyPath: clientKey,
    privateKey: readFileSync(clientKey),
    clientPublicKey: client.publicKey,
    authorizedKeys,
    knownHosts,
    sshOptions: [
      '-i', clientKey,
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-F', '/dev/null',
    ],
    authorize(line: string) {
      writeFileSync(authorizedKeys, `${readFileSync(authorizedKeys, 'utf8')}${line.trim()}\n`);
    },
    async stop() {
      if (sshd.exitCode === null && sshd.signalCode === null) {
        const exited = new Promise((r) => sshd.once('exit', r));
        sshd.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP server on a free 127.0.0.1 port answering each connection's first data with "echo:<data>" (forwarding tests). */
export function echoServer(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((sock) => sock.on('data', (d) => sock.end(`echo:${d.toString()}`)));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** Sends `text` to 127.0.0.1:port and resolves with everything read until the other side ends. */
export function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(text));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}
