// A sandbox instance's boot with the real GraphTerm: the start script and settings that ec2launch's
// user-data writes are taken from the user-data itself and run on the instance's own loopback address, as
// the login user (nss_wrapper gives the process a passwd entry whose home is the instance's home, which
// gtermserver insists on), with the local GraphTerm runtime standing in for the apt-get and pip steps.
// Like systemd on EC2: the service starts once ec2launch has delivered its secret over SSH, restarts on
// failure, and SETUP_STATUS says "ok" only when the start script's own `ready` check passed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile, chmod, appendFile } from 'node:fs/promises';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { shellQuote as q } from '../../lib/shellquote.js';
import { fleetHostName, hostAuthFile } from '../../lib/graphterm/delivery.js';
import { IDENTITY_CERT_PATH } from '../../lib/graphterm/wrapper.js';
import type { GraphTermRuntime } from './runtime.js';

export interface BootOptions {
  /** The instance's filesystem root in the sandbox state folder. */
  rootDir: string;
  user: string;
  userData: string;
  runtime: GraphTermRuntime;
  /** The instance's own loopback address: what GraphTerm binds and what the instance "is". */
  address: string;
  /** What the instance metadata's instance-id says (a fleet host's GraphTerm name comes from it). */
  instanceId: string;
  /** The public DNS name EC2 would report (GraphTerm's external host when no DNS record is asked for). */
  publicDnsName: string;
  /** A secondary host's --server_addr names the server's private address: the sandbox maps it to loopback. */
  addressOfPrivateIp(ip: string): string | undefined;
  /** False once the instance stops, terminates or the sandbox closes: every wait ends then. */
  alive(): boolean;
  /** What the metadata service's instance-identity document and signature say (the start script reads
   *  them from files here: GTERM_IDENTITY_DIR). */
  identity?: { document: string; signature: string };
  /** A server's key responder: the file of "LOOPBACK PRIVATE_IP" lines saying which instance a source is. */
  peerMap?: string;
}

export interface GraphTermBoot {
  /** Resolves when setup ended (SETUP_STATUS or SETUP_ERROR written). */
  done: Promise<boolean>;
  stop(): Promise<void>;
  /** PATH entries and variables an SSH session on this instance gets (the runtime, the login user). */
  sessionEnv: Record<string, string>;
}

const CONF = '/etc/ec2term/graphterm.conf';
const WRAPPER = '/usr/local/sbin/ec2term-graphterm';

/** The text between `<<'MARK'` and MARK in the user-data (ec2launch's own heredocs), or undefined. */
export function heredoc(script: string, mark: string): string | undefined {
  const m = new RegExp(`<<'${mark}'[^\\n]*\\n([\\s\\S]*?)\\n${mark}\\n`).exec(script);
  return m?.[1];
}

/** A `NAME='value'` assignment from the user-data's "values chosen at launch". */
export function assignment(script: string, name: string): string | undefined {
  const m = new RegExp(`^${name}='((?:[^']|'\\\\'')*)'$`, 'm').exec(script);
  return m?.[1].replace(/'\\''/g, "'");
}

/** The start script in the user-data: a plain heredoc, or base64 of its gzip (to fit EC2's 16 KB). */
export function wrapperScript(script: string): string | undefined {
  const body = heredoc(script, 'WRAPPER');
  if (body === undefined) return undefined;
  if (!new RegExp(`base64 -d <<'WRAPPER' \\| gunzip`).test(script)) return body;
  return gunzipSync(Buffer.from(body.replace(/\s+/g, ''), 'base64')).toString('utf8');
}

/** True when this user-data is ec2launch's GraphTerm script with a start script in it. */
export function canBoot(userData: string): boolean {
  return heredoc(userData, 'WRAPPER') !== undefined && heredoc(userData, 'CONF') !== undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function bootGraphTerm(o: BootOptions): GraphTermBoot {
  const home = join(o.rootDir, 'home', o.user);
  const init = join(o.rootDir, '..', 'init');
  const confPath = join(o.rootDir, CONF);
  const wrapperPath = join(o.rootDir, WRAPPER);
  const logPath = join(o.rootDir, 'root/ec2launch.log');
  const serviceLog = join(init, 'ec2term-graphterm.log');
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  const sessionEnv: Record<string, string> = {
    PATH: `${o.runtime.bin}:${join(init, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
    LD_PRELOAD: o.runtime.nssWrapper,
    NSS_WRAPPER_PASSWD: join(init, 'passwd'),
    NSS_WRAPPER_GROUP: join(init, 'group'),
    EC2TERM_GRAPHTERM_CONF: confPath,
    GRAPHTERM_BIN: o.runtime.bin,
  };
  const userEnv = (): NodeJS.ProcessEnv => ({
    ...sessionEnv, HOME: home, USER: o.user, LOGNAME: o.user, LANG: 'C.UTF-8', SHELL: '/bin/bash', TERM: 'xterm',
  });
  let service: ChildProcess | undefined;
  let stopped = false;
  const log = (line: string) => appendFile(logPath, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 }).catch(() => {});

  /** The start script with `args`; ended early once the instance is gone (a terminated host's `ready` would
   *  wait out its limit, holding the instance in shutting-down). */
  const runWrapper = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    const c = spawn('bash', [wrapperPath, ...args], { cwd: home, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const watch = setInterval(() => {
      if (stopped || !o.alive()) { try { process.kill(-c.pid!, 'SIGTERM'); } catch { /* gone */ } }
    }, 200);
    c.on('close', () => clearInterval(watch));
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('error', (e) => resolve({ code: 127, out: e.message }));
    c.on('close', (code) => resolve({ code: code ?? 1, out: out.trim() }));
  });

  /** systemd's Restart=on-failure, in small: the start script in the foreground, restarted while it fails. */
  const supervise = async () => {
    for (let restarts = 0; !stopped && o.alive() && restarts < 5; restarts++) {
      const code = await new Promise<number>((resolve) => {
        const logFd = openSync(serviceLog, 'a', 0o600);
        service = spawn('bash', [wrapperPath, 'run'], { cwd: home, env: userEnv(), detached: true, stdio: ['ignore', logFd, logFd] });
        closeSync(logFd);
        service.on('error', () => resolve(127));
        service.on('exit', (c) => resolve(c ?? 1));
      });
      service = undefined;
      if (code === 0 || stopped) return;
      await appendFile(serviceLog, `sandbox: ec2term-graphterm exited ${code}; restarting\n`).catch(() => {});
      await sleep(1000);
    }
  };

  const finish = async (ok: boolean, text: string) => {
    const status = join(home, 'SETUP_STATUS');
    const error = join(home, 'SETUP_ERROR');
    await log(ok ? 'ec2launch: setup complete' : `ERROR: ${text}`);
    if (ok) {
      await rm(error, { force: true });
      await writeFile(status, `ok: ${text} at ${new Date().toISOString()}\n`);
    } else {
      await rm(status, { force: true });
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-20).join('\n');
      await writeFile(error, `error: ${text}\n--- last lines of /root/ec2launch.log ---\n${tail}\n`);
    }
    return ok;
  };

  const done = (async () => {
    await mkdir(home, { recursive: true });
    await mkdir(join(o.rootDir, 'root'), { recursive: true, mode: 0o700 });
    await mkdir(join(init, 'bin'), { recursive: true });
    await mkdir(join(o.rootDir, 'etc/ec2term'), { recursive: true });
    await mkdir(join(o.rootDir, 'usr/local/sbin'), { recursive: true });
    const ud = o.userData;
    const role = assignment(ud, 'EC2TERM_ROLE') === 'host' ? 'host' : 'server';
    const conf = heredoc(ud, 'CONF')!;
    const fleetName = assignment(ud, 'NAME_FROM_INSTANCE_ID') === 'yes' ? fleetHostName(assignment(ud, 'EC2TERM_NAME') ?? '', o.instanceId) : undefined;
    const hostKeyFile = join(home, hostAuthFile(fleetName ?? confValue(conf, 'GTERM_HOST_NAME') ?? ''));
    await log(`ec2launch: setup starting for ${assignment(ud, 'EC2TERM_NAME') ?? '?'} (${role}; sandbox: apt-get and pip steps not run, GraphTerm 0.57 from ${o.runtime.dir})`);
    // The instance's login user, as nss_wrapper shows it to GraphTerm and to every SSH session.
    await writeFile(sessionEnv.NSS_WRAPPER_PASSWD, `${o.user}:x:${uid}:${gid}:${o.user}:${home}:/bin/bash\n`);
    await writeFile(sessionEnv.NSS_WRAPPER_GROUP, `${o.user}:x:${gid}:\n`);
    // What the user-data would append from instance metadata, with the sandbox's addresses.
    const dnsName = assignment(ud, 'EC2TERM_DNS_NAME') || '';
    const extra = [
      `GTERM_BIN=${q(o.runtime.bin)}`,
      `GTERM_PYTHON=${q(join(o.runtime.bin, 'python2'))}`,
      `GTERM_BIND=${q(o.address)}`,
      // No iptables redirect in the sandbox: users reach 8900 itself (or through ec2ssh -L).
      'GTERM_EXTERNAL_PORT=',
    ];
    if (role === 'server') {
      extra.push(`GTERM_EXTERNAL_HOST=${q(dnsName || o.publicDnsName || o.address)}`);
      // The host port (8899) listens on "localhost" by default: the instance's own loopback on EC2, but
      // here the machine's, which every sandbox instance would share (one server at a time on the whole
      // machine). The instance's own address is its loopback in the sandbox, and its private address.
      extra.push(`GTERM_INTERNAL_HOST=${q(o.address)}`);
    } else {
      const mapped = o.addressOfPrivateIp(confValue(conf, 'GTERM_SERVER_ADDR') ?? '');
      if (mapped) extra.push(`GTERM_SERVER_ADDR=${q(mapped)}`);
      if (fleetName) extra.push(`GTERM_HOST_NAME=${q(fleetName)}`);
      // The conf names /home/USER/...: the instance's home is a folder of the sandbox.
      extra.push(`GTERM_AUTH_FILE=${q(hostKeyFile)}`);
    }
    if (o.identity) {
      const dir = join(init, 'identity');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'document'), o.identity.document);
      await writeFile(join(dir, 'signature'), `${o.identity.signature}\n`);
      extra.push(`GTERM_IDENTITY_DIR=${q(dir)}`);
    }
    const cert = heredoc(ud, 'IDENTITYCERT');
    if (role === 'server' && cert !== undefined) {
      // The key responder's certificate, where the user-data writes it (under the instance's root).
      const certPath = join(o.rootDir, IDENTITY_CERT_PATH);
      await writeFile(certPath, `${cert}\n`);
      extra.push(`GTERM_JOIN_CERT=${q(certPath)}`);
      if (o.peerMap) extra.push(`GTERM_PEER_MAP=${q(o.peerMap)}`);
    }
    // A host asks from its own loopback address (its "private address" here), as it would on EC2.
    if (role === 'host') extra.push(`GTERM_SOURCE_ADDR=${q(o.address)}`);
    await writeFile(confPath, `${conf}\n${extra.join('\n')}\n`);
    await writeFile(wrapperPath, `${wrapperScript(ud)}\n`);
    await chmod(wrapperPath, 0o755);
    await writeFile(join(init, 'bin', 'ec2term-graphterm'), `#!/bin/sh\nexec bash ${q(wrapperPath)} "$@"\n`, { mode: 0o755 });
    const email = assignment(ud, 'GMAIL_ADDR');
    await mkdir(join(home, '.graphterm'), { recursive: true, mode: 0o700 });
    if (email) await writeFile(join(home, '.graphterm', 'gterm_email.txt'), `${email}\n`);

    if (assignment(ud, 'NEEDS_SECRET') === 'yes') {
      // The server's code file is where its start script says (under HOME, the instance's home).
      const file = role === 'host' ? hostKeyFile : (await runWrapper(['authfile'])).out.split('\n').pop() ?? '';
      if (role === 'host' && fleetName) {
        // As the user-data does: a fleet host asks the server's key responder for its own key.
        await log(`asking the server for the key of ${fleetName} (fleet join)`);
        void runWrapper(['join', '600']).then((r) => log(r.out.split('\n').slice(-3).join(' | ') || `join exited ${r.code}`));
      }
      await log(`waiting for ec2launch to deliver /home/${o.user}${file.slice(home.length)} (over SSH)`);
      while (!existsSync(file)) {
        if (stopped || !o.alive()) return false;
        await sleep(200);
      }
    }
    void supervise();
    const ready = await runWrapper(['ready', '120']);
    if (stopped || !o.alive()) return false;
    const program = role === 'host' ? 'gtermhost' : 'gtermserver';
    return finish(ready.code === 0, ready.code === 0 ? `${program} ${ready.out.split('\n').pop()}` : `${program} did not come up: ${ready.out.split('\n').slice(-5).join(' | ')}`);
  })().catch((e: Error) => finish(false, `sandbox boot failed: ${e.message}`).catch(() => false));

  return {
    done,
    sessionEnv,
    async stop() {
      stopped = true;
      const s = service;
      if (s?.pid) {
        try { process.kill(-s.pid, 'SIGTERM'); } catch { /* gone */ }
        await Promise.race([new Promise((r) => s.once('exit', r)), sleep(3000)]);
        try { process.kill(-s.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    },
  };
}

/** A value of ec2launch's GraphTerm conf (`KEY=value` or `KEY='value'`, as graphtermConf writes them). */
export function confValue(conf: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(?:'([^']*)'|(\\S*))$`, 'm').exec(conf);
  return m ? m[1] ?? m[2] : undefined;
}
