// A sandbox instance whose SSH is OpenSSH's real sshd on the instance's address: the tests and benches
// that compare or check ec2ssh/ec2scp against OpenSSH on the very same server start from this. A key
// pair made here is imported at launch and authorized; the instance is tagged with the port to use
// (sshd's own, or whatever `portFor` puts in front of it) and its host key is pinned in a known_hosts
// of its own. On a failure after sshd started, sshd is stopped.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchInstance, tagInstance, type SandboxInstance } from './fixture.js';
import type { TestSandbox } from './sandbox.js';
import { keygen, startSshd, type Sshd } from './sshd.js';

export interface SshdInstance {
  lab: SandboxInstance;
  sshd: Sshd;
  /** A private folder of the caller's, holding the key and known_hosts. */
  dir: string;
  /** The private key the instance was launched with. */
  key: string;
  /** The port in the instance's ec2term:ssh-port tag. */
  port: number;
  /** ec2term's known_hosts (EC2TERM_KNOWN_HOSTS) with the instance's host key pinned. */
  knownHosts: string;
}

export async function instanceOnSshd(sb: TestSandbox, o: {
  prefix?: string;
  /** More sshd_config lines, given the folder (for files they name). */
  sshdConfig?: (dir: string) => string[];
  portFor?: (sshd: Sshd, lab: SandboxInstance) => Promise<number>;
} = {}): Promise<SshdInstance> {
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'ec2term-sshd-instance-'));
  const key = join(dir, 'lab-key');
  const { publicKey } = keygen(key);
  const lab = await launchInstance(sb, 'lab', { importPublicKey: publicKey, privateKey: readFileSync(key, 'utf8') });
  const sshd = await startSshd([`ListenAddress ${lab.publicIp}`, ...(o.sshdConfig?.(dir) ?? [])]);
  if (!sshd) throw new Error('OpenSSH sshd is not installed');
  try {
    sshd.authorize(publicKey);
    const port = o.portFor ? await o.portFor(sshd, lab) : sshd.port;
    await tagInstance(sb, lab.id, { 'ec2term:ssh-port': String(port), 'ec2term:user': sshd.user });
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${lab.id} ${sshd.hostPublicKey}\n`, { mode: 0o600 });
    return { lab, sshd, dir, key, port, knownHosts };
  } catch (err) {
    await sshd.stop();
    throw err;
  }
}
