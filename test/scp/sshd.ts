// Starts OpenSSH's real sshd on 127.0.0.1:<free port> with a throwaway config, host key and
// authorized key, for transfer tests and bench/scp-throughput.mjs. Skips (returns undefined) when
// sshd or ssh-keygen is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = process.env.EC2TERM_SSHD || '/usr/sbin/sshd';

export interface Sshd {
  host: string;
  port: number;
  user: string;
  /** Private key (OpenSSH format) accepted by the server, and its path. */
  privateKey: Buffer;
  keyPath: string;
  /** A scratch folder owned by the test, removed by stop(). */
  dir: string;
  /** `ssh`/`scp`/`sftp` options that reach this server without touching ~/.ssh. */
  sshOptions: string[];
  stop(): Promise<void>;
}

/** Why the real-sshd tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} not found (install openssh-server)`;
  if (spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error) return 'ssh-keygen not found (install openssh-client)';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited (${child.exitCode}): ${log()}`));
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSshd(): Promise<Sshd> {
  // sshd run as root insists on its privilege-separation folder (the package's service creates it at boot).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-sshd-'));
  chmodSync(dir, 0o755);
  const keygen = (file: string, type: string) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'ec2term-test', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  };
  const hostKey = join(dir, 'host_ed25519');
  const keyPath = join(dir, 'id_ed25519');
  keygen(hostKey, 'ed25519');
  keygen(keyPath, 'ed25519');
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${keyPath}.pub`));
  const port = await freePort();
  const user = process.env.USER || (spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim() || 'root');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin yes',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`);
  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  await waitForPort(port, child, () => log);
  const sshOptions = [
    '-i', keyPath,
    '-o', `UserKnownHostsFile=${known}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-F', '/dev/null',
  ];
  return {
    host: '127.0.0.1',
    port,
    user,
    privateKey: readFileSync(keyPath),
    keyPath,
    dir,
    sshOptions,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
