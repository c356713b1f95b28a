// Test fixture: OpenSSH's real sshd on a free 127.0.0.1 port with a temporary config, host key and
// authorized_keys. Returns undefined (and the caller skips visibly) where sshd or ssh-keygen is absent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const SSH_KEYGEN = '/usr/bin/ssh-keygen';
export const SSH = '/usr/bin/ssh';

export function sshdAvailable(): boolean {
  return existsSync(SSHD) && existsSync(SSH_KEYGEN);
}

export function sshAvailable(): boolean {
  return existsSync(SSH);
}

export interface Sshd {
  dir: string;
  host: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA..." of the server. */
  hostPublicKey: string;
  /** "SHA256:..." of the server key. */
  hostFingerprint: string;
  /** A client key the server accepts (0600). */
  clientKey: string;
  clientPublicKey: string;
  authorizedKeys: string;
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

function waitForBanner(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not start on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSshd(extraConfig: string[] = []): Promise<Sshd | undefined> {
  if (!sshdAvailable()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const host = keygen(hostKey);
  const clientKey = join(dir, 'id_ed25519');
  const client = keygen(clientKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${client.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
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
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  try {
    await waitForBanner(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return {
    dir,
    host: '127.0.0.1',
    port,
    user,
    hostPublicKey: host.publicKey.split(/\s+/).slice(0, 2).join(' '),
    hostFingerprint: fingerprintOf(`${hostKey}.pub`),
    clientKey,
    clientPublicKey: client.publicKey,
    authorizedKeys,
    authorize(line: string) {
      writeFileSync(authorizedKeys, `${readFileSync(authorizedKeys, 'utf8')}${line.trim()}\n`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolve();
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
