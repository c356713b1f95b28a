// TEMPORARY stand-in for src/sandbox/ssh/index.ts (written by another engineer); replaced by a re-export once it exists.
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface HostKey { privateKey: string; publicKey: string; fingerprint: string; type: string }
export function generateHostKey(): HostKey {
  const k = ssh2.utils.generateKeyPairSync('ed25519');
  const blob = Buffer.from(k.public.split(' ')[1]!, 'base64');
  return { privateKey: k.private, publicKey: k.public, fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''), type: 'ED25519' };
}
export interface InstanceEndpointOptions { instanceId: string; host: string; port: number; hostKey: HostKey; authorizedKeys: string[]; rootDir: string; user: string }
export interface InstanceEndpoint { host: string; port: number; close(): Promise<void> }
export function startInstanceEndpoint(o: InstanceEndpointOptions): Promise<InstanceEndpoint> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => s.end('SSH-2.0-stub\r\n'));
    srv.once('error', reject);
    srv.listen(o.port, o.host, () => {
      const a = srv.address() as { port: number };
      resolve({ host: o.host, port: a.port, close: () => new Promise((r) => srv.close(() => r())) });
    });
  });
}
export function consoleOutput(o: { instanceId: string; hostKey: HostKey; privateIp: string; hostname: string; booted: boolean }): string {
  if (!o.booted) return '';
  return `[    0.000000] Linux version 6.8.0-1015-aws\r\nci-info: ${o.hostname}\r\n-----BEGIN SSH HOST KEY FINGERPRINTS-----\r\n256 ${o.hostKey.fingerprint} root@${o.hostname} (${o.hostKey.type})\r\n-----END SSH HOST KEY FINGERPRINTS-----\r\n`;
}
export async function simulateSetup(o: { rootDir: string; user: string; userData: string; fail: boolean }): Promise<void> {
  const home = join(o.rootDir, 'home', o.user);
  await mkdir(home, { recursive: true });
  await mkdir(join(o.rootDir, 'root'), { recursive: true });
  await writeFile(join(o.rootDir, 'root', 'ec2launch.log'), 'setup simulated\n');
  await writeFile(join(home, o.fail ? 'SETUP_ERROR' : 'SETUP_STATUS'), o.fail ? 'failed\n' : 'done\n');
}
