// A private sandbox for a bench: own state dir and HOME, the env for our bins and for awscli.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, ROOT, tempDir } from './bench.mjs';

const CLIENT = join(ROOT, 'dist/src/sandbox/client.js');

export async function startBenchSandbox({ delays = 'zero', faults } = {}) {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: run npm run build`);
  const client = await import(pathToFileURL(CLIENT).href);
  const root = tempDir('ec2term-bench-sbx-');
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const dir = join(root, 'state');
  const base = { EC2TERM_SANDBOX_DIR: dir, HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  const serverEnv = {
    ...process.env, ...base,
    EC2TERM_SANDBOX_DELAYS: typeof delays === 'string' ? delays : JSON.stringify(delays),
    EC2TERM_SANDBOX_FAULTS: faults ? JSON.stringify({ rules: faults }) : '',
  };
  const info = await client.ensureSandbox(serverEnv);
  const admin = (method, path, body) => client.adminRequest(info, method, path, body);
  return {
    info,
    url: info.url,
    dir,
    home,
    /** For bin/ec2*: the sandbox through EC2TERM_SANDBOX=1 (as users run it). */
    env: cleanEnv({ ...base, EC2TERM_SANDBOX: '1', AWS_REGION: 'us-east-1' }),
    /** For awscli: the sandbox's endpoint and keys; pass awsArgs first. */
    awsEnv: cleanEnv({
      HOME: home, AWS_ACCESS_KEY_ID: info.accessKeyId, AWS_SECRET_ACCESS_KEY: info.secretAccessKey,
      AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    }),
    awsArgs: ['--endpoint-url', info.url, '--no-cli-pager'],
    admin,
    /** Adds `count` running instances (no SSH endpoints) in one admin call. */
    bulk: (count, region = 'us-east-1', namePrefix = 'bulk-') => admin('POST', '/_sandbox/bulk-instances', { count, region, namePrefix }),
    reset: () => admin('POST', '/_sandbox/reset'),
    setDelays: (d) => admin('POST', '/_sandbox/config', { delays: d }),
    setFaults: (rules) => admin('POST', '/_sandbox/faults', { rules }),
    clearFaults: () => admin('DELETE', '/_sandbox/faults'),
    async stop() {
      await client.stopSandbox(serverEnv).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A sandbox instance whose SSH is a real OpenSSH sshd on the instance's address (the ssh and scp rows
 * compare against OpenSSH on the very same server): a key pair made here and imported at launch, sshd
 * authorizing it, the instance tagged with the port to use (sshd's own, or whatever `portFor` puts in
 * front of it) and its host key pinned in a known_hosts of its own. On a failure, sshd is stopped.
 */
export async function instanceOnSshd(sb, sshdHelper, prefix, portFor = async (sshd) => sshd.port) {
  const { launchInstance, tagInstance } = await import(pathToFileURL(join(ROOT, 'dist/test/helpers/fixture.js')).href);
  const dir = tempDir(prefix);
  const key = join(dir, 'lab-key');
  const { publicKey } = sshdHelper.keygen(key);
  const fixtureSb = { url: sb.url, dir: sb.dir, info: sb.info };
  const lab = await launchInstance(fixtureSb, 'lab', { importPublicKey: publicKey, privateKey: readFileSync(key, 'utf8') });
  const sshd = await sshdHelper.startSshd([`ListenAddress ${lab.publicIp}`]);
  try {
    sshd.authorize(publicKey);
    const port = await portFor(sshd, lab);
    await tagInstance(fixtureSb, lab.id, { 'ec2term:ssh-port': String(port), 'ec2term:user': sshd.user });
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${lab.id} ${sshd.hostPublicKey}\n[${lab.publicIp}]:${port} ${sshd.hostPublicKey}\n`, { mode: 0o600 });
    return { lab, key, dir, sshd, port, knownHosts };
  } catch (err) {
    await sshd.stop();
    throw err;
  }
}
