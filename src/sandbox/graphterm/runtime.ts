// The real GraphTerm 0.57 for the sandbox, the tests and the demo: Python 2.7.18 from Debian 11's
// packages (unpacked, never installed: no root, nothing on the system touched), then tornado 4.5.3 and
// graphterm 0.57.0 from PyPI through that Python's own pip, every file checked against a pinned SHA-256.
//
// Layout of the runtime folder (default ~/.cache/ec2term/graphterm-runtime, or $EC2TERM_GRAPHTERM_RUNTIME):
//   root/          the unpacked .deb files (root/usr/bin/python2.7 finds its stdlib next to itself)
//   libs/          links to the two shared libraries Debian 12+ no longer has (libssl1.1, libffi7): the
//                  only folder put on LD_LIBRARY_PATH, so nothing else a terminal runs is affected
//   bin/           python2, python, pip2, gtermserver, gtermhost, gauth, ...: small sh shims
//   .complete      written last; its text names what was installed (a changed pin installs anew)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GRAPHTERM_PIP_PINS, requirementsText } from '../../lib/graphterm/pins.js';
import { shellQuote } from '../../lib/shellquote.js';

const run = promisify(execFile);

interface DebPin { name: string; path: string; sha256: string }

const DEBIAN_SUITE = 'bullseye';
/**
 * Debian 11's Python 2.7.18, the two libraries it needs that newer systems lack, and nss_wrapper (the
 * sandbox runs GraphTerm as the instance's login user without root: see boot.ts). Pool path, SHA-256.
 */
const DEBS: Record<'amd64' | 'arm64', DebPin[]> = {
  amd64: [
    { name: 'libpython2.7-minimal', path: 'pool/main/p/python2.7/libpython2.7-minimal_2.7.18-8+deb11u1_amd64.deb', sha256: '85833c92314011b89bbead6f9a5a7a360b5ee4f9b95e001225afead4ebf9f7d3' },
    { name: 'libpython2.7-stdlib', path: 'pool/main/p/python2.7/libpython2.7-stdlib_2.7.18-8+deb11u1_amd64.deb', sha256: '3e627d6d8992b853e000b8a4c09dda613fb767cdb711a2eac20ebc9f867b593c' },
    { name: 'python2.7-minimal', path: 'pool/main/p/python2.7/python2.7-minimal_2.7.18-8+deb11u1_amd64.deb', sha256: '44f0cdc1a343303d31c55fcb3a6402cfe326adf749ec30e375e6e0c0c5f7c1f7' },
    { name: 'python2.7', path: 'pool/main/p/python2.7/python2.7_2.7.18-8+deb11u1_amd64.deb', sha256: '0b0b34b069d41970af75a4fe5b9012465e480fc0a0488ec16554d6299fe0b46e' },
    { name: 'libssl1.1', path: 'pool/main/o/openssl/libssl1.1_1.1.1w-0+deb11u1_amd64.deb', sha256: 'aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7' },
    { name: 'libffi7', path: 'pool/main/libf/libffi/libffi7_3.3-6_amd64.deb', sha256: '30ca89bfddae5fa6e0a2a044f22b6e50cd17c4bc6bc850c579819aeab7101f0f' },
    { name: 'python-pip-whl', path: 'pool/main/p/python-pip/python-pip-whl_20.3.4-4+deb11u1_all.deb', sha256: '4f489177a9ece2ea78c04a25115991a7a11f5adb75404888c5a84ac2a7f33ac4' },
    { name: 'libnss-wrapper', path: 'pool/main/n/nss-wrapper/libnss-wrapper_1.1.11-1_amd64.deb', sha256: '6f15cccf36c7b998385e4e248cda9bb7851d71a9cc14dd2ce42503db2e652ab0' },
  ],
  arm64: [
    { name: 'libpython2.7-minimal', path: 'pool/main/p/python2.7/libpython2.7-minimal_2.7.18-8+deb11u1_arm64.deb', sha256: 'b1bd9e7ffe5e57622d3cb18631976b495ebde587dd3da31c2da8b236c35e4d4b' },
    { name: 'libpython2.7-stdlib', path: 'pool/main/p/python2.7/libpython2.7-stdlib_2.7.18-8+deb11u1_arm64.deb', sha256: '720f1227956fbf37f0c799d5d1b90e41553ba6b9777504ff828551a84e7646fa' },
    { name: 'python2.7-minimal', path: 'pool/main/p/python2.7/python2.7-minimal_2.7.18-8+deb11u1_arm64.deb', sha256: 'cdbb98f3f1e9ad70d92951fcb7be2656d41f6850c88f17d8651b1306378ce7d1' },
    { name: 'python2.7', path: 'pool/main/p/python2.7/python2.7_2.7.18-8+deb11u1_arm64.deb', sha256: 'e5cbafd229125887387473e2aadde6c212714e0676edb6c349ff172b069372e6' },
    { name: 'libssl1.1', path: 'pool/main/o/openssl/libssl1.1_1.1.1w-0+deb11u1_arm64.deb', sha256: 'fe7a7d313c87e46e62e614a07137e4a476a79fc9e5aab7b23e8235211280fee3' },
    { name: 'libffi7', path: 'pool/main/libf/libffi/libffi7_3.3-6_arm64.deb', sha256: 'eb748e33ae4ed46f5a4c14b7a2a09792569f2029ede319d0979c373829ba1532' },
    { name: 'python-pip-whl', path: 'pool/main/p/python-pip/python-pip-whl_20.3.4-4+deb11u1_all.deb', sha256: '4f489177a9ece2ea78c04a25115991a7a11f5adb75404888c5a84ac2a7f33ac4' },
    { name: 'libnss-wrapper', path: 'pool/main/n/nss-wrapper/libnss-wrapper_1.1.11-1_arm64.deb', sha256: 'd02dc8602b0384946bb833f8728d04c545ee796a618f4340a714bb96280747f0' },
  ],
};
const MULTIARCH = { amd64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as const;
/** The commands GraphTerm 0.57 installs that get a shim in bin/ (plus python2, python and pip2). */
const GRAPHTERM_COMMANDS = ['gtermserver', 'gtermhost', 'gterm', 'gauth', 'gterm_setup'];

export class RuntimeError extends Error {}

export interface GraphTermRuntime {
  dir: string;
  /** Folder of shims: put it first on PATH to run `gtermserver`, `python2`, ... */
  bin: string;
  /** nss_wrapper's library (LD_PRELOAD) so a process can be the instance's user with its own home. */
  nssWrapper: string;
}

function runtimeAt(dir: string, arch: 'amd64' | 'arm64'): GraphTermRuntime {
  return { dir, bin: join(dir, 'bin'), nssWrapper: join(dir, 'root/usr/lib', MULTIARCH[arch], 'libnss_wrapper.so') };
}

export function runtimeDir(env: NodeJS.ProcessEnv): string {
  if (env.EC2TERM_GRAPHTERM_RUNTIME) return env.EC2TERM_GRAPHTERM_RUNTIME;
  const home = env.HOME || homedir();
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'ec2term', 'graphterm-runtime');
}

/** What .complete says: a runtime made from other pins is stale. */
function fingerprint(arch: string): string {
  const h = createHash('sha256');
  for (const d of DEBS[arch as 'amd64'] ?? []) h.update(d.sha256);
  for (const p of GRAPHTERM_PIP_PINS) h.update(`${p.name}==${p.version}:${p.sha256}`);
  return `graphterm 0.57.0 on python 2.7.18 (${arch}) ${h.digest('hex').slice(0, 16)}\n`;
}

/** Debian's name for this machine's architecture, when the runtime can run here (Linux, x86_64 or arm64). */
export function debianArch(platform: string = process.platform, arch: string = process.arch): 'amd64' | 'arm64' | undefined {
  if (platform !== 'linux') return undefined;
  return arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
}

/** The installed runtime in dir, or undefined when it is absent, partial or from other pins. */
export function findRuntime(env: NodeJS.ProcessEnv = process.env): GraphTermRuntime | undefined {
  const dir = runtimeDir(env);
  const arch = debianArch();
  if (!arch) return undefined;
  try {
    if (readFileSync(join(dir, '.complete'), 'utf8') !== fingerprint(arch)) return undefined;
  } catch { return undefined; }
  return runtimeAt(dir, arch);
}

/**
 * The Debian archive to take the packages from: $EC2TERM_DEBIAN_MIRROR, else the Debian archive this
 * machine's apt already uses (so no host name is built in). Undefined when neither is there.
 */
export function debianMirror(env: NodeJS.ProcessEnv, files: string[] = aptSourceFiles()): string | undefined {
  if (env.EC2TERM_DEBIAN_MIRROR) return env.EC2TERM_DEBIAN_MIRROR.replace(/\/+$/, '');
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    // deb822 (`URIs: http://.../debian`) and one-line (`deb [opts] http://.../debian bookworm main`).
    const uris = [...text.matchAll(/^\s*URIs:\s*(\S+)/gim), ...text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gim)].map((m) => m[1]);
    const main = uris.find((u) => /^https?:\/\/[^/]+\/debian\/?$/.test(u));
    if (main) return main.replace(/\/+$/, '');
  }
  return undefined;
}

function aptSourceFiles(): string[] {
  const d = '/etc/apt/sources.list.d';
  let extra: string[] = [];
  try { extra = readdirSync(d).filter((f) => /\.(list|sources)$/.test(f)).map((f) => join(d, f)); } catch { /* none */ }
  return ['/etc/apt/sources.list', ...extra];
}

async function download(url: string, sha256: string, to: string): Promise<void> {
  if (existsSync(to) && createHash('sha256').update(readFileSync(to)).digest('hex') === sha256) return;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  } catch (e) {
    throw new RuntimeError(`cannot download ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new RuntimeError(`cannot download ${url}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const got = createHash('sha256').update(body).digest('hex');
  if (got !== sha256) throw new RuntimeError(`${url} has SHA-256 ${got}, expected ${sha256}: not using it`);
  writeFileSync(`${to}.part`, body);
  renameSync(`${to}.part`, to);
}

/**
 * The members of an ar archive (a .deb is one). Written by hand because a .deb is three members in the
 * simplest archive format there is, and reading it here spares the user dpkg (absent off Debian).
 */
export function arMembers(buf: Buffer): Map<string, Buffer> {
  if (buf.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new RuntimeError('not an ar archive');
  const out = new Map<string, Buffer>();
  let off = 8;
  while (off + 60 <= buf.length) {
    const name = buf.subarray(off, off + 16).toString('latin1').trim().replace(/\/$/, '');
    const size = Number.parseInt(buf.subarray(off + 48, off + 58).toString('latin1').trim(), 10);
    if (!Number.isFinite(size) || size < 0 || off + 60 + size > buf.length) throw new RuntimeError('truncated ar archive');
    out.set(name, buf.subarray(off + 60, off + 60 + size));
    off += 60 + size + (size % 2);
  }
  return out;
}

async function unpackDeb(deb: string, root: string): Promise<void> {
  const members = arMembers(readFileSync(deb));
  const dataName = [...members.keys()].find((n) => n.startsWith('data.tar'));
  if (!dataName) throw new RuntimeError(`${deb} has no data archive`);
  const tmp = `${deb}.${dataName}`;
  writeFileSync(tmp, members.get(dataName)!);
  // GNU tar picks the decompressor from the data (xz here); no owners (we are not root, or must not act as it).
  await run('tar', ['-x', '--no-same-owner', '-f', tmp, '-C', root]).catch((e: Error) => {
    throw new RuntimeError(`cannot unpack ${deb}: ${e.message.split('\n')[0]}`);
  });
  rmSync(tmp);
}

function writeShim(bin: string, name: string, dir: string, target: string[]): void {
  const file = join(bin, name);
  writeFileSync(file, [
    '#!/bin/sh',
    `# ec2term GraphTerm runtime: ${name} on Python 2.7.18 from ${shellQuote(dir)}`,
    `LD_LIBRARY_PATH=${shellQuote(join(dir, 'libs'))}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`,
    'export LD_LIBRARY_PATH',
    `exec ${target.map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n'));
  chmodSync(file, 0o755);
}

export interface InstallOptions {
  env?: NodeJS.ProcessEnv;
  /** One line per step (stderr in the script). */
  log?: (line: string) => void;
}

/** Installs the runtime (or returns the one already there). Throws RuntimeError with one line. */
export async function ensureRuntime(o: InstallOptions = {}): Promise<GraphTermRuntime> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => {});
  const found = findRuntime(env);
  if (found) return found;
  const arch = debianArch();
  if (!arch) throw new RuntimeError(`the GraphTerm runtime is built for Linux on x86_64 or arm64, not ${process.platform}/${process.arch}`);
  const mirror = debianMirror(env);
  if (!mirror) throw new RuntimeError('no Debian archive known: set EC2TERM_DEBIAN_MIRROR to a Debian mirror URL (the folder holding dists/ and pool/)');
  const dir = runtimeDir(env);
  const root = join(dir, 'root');
  const downloads = join(dir, 'downloads');
  const bin = join(dir, 'bin');
  rmSync(join(dir, '.complete'), { force: true });
  const libs = join(dir, 'libs');
  for (const d of [root, bin, libs]) rmSync(d, { recursive: true, force: true });
  mkdirSync(downloads, { recursive: true });
  mkdirSync(root, { recursive: true });
  mkdirSync(bin, { recursive: true });

  for (const d of DEBS[arch]) {
    log(`graphterm runtime: ${d.name} (Debian ${DEBIAN_SUITE})`);
    const file = join(downloads, d.path.split('/').pop()!);
    await download(`${mirror}/${d.path}`, d.sha256, file);
    await unpackDeb(file, root);
  }
  // Only the libraries the system may lack go on LD_LIBRARY_PATH (libssl1.1, libcrypto1.1, libffi7).
  mkdirSync(libs, { recursive: true });
  const libDir = join(root, 'usr/lib', MULTIARCH[arch]);
  for (const f of readdirSync(libDir)) {
    if (/^(libssl\.so\.1\.1|libcrypto\.so\.1\.1|libffi\.so\.7)$/.test(f)) symlinkSync(join(libDir, f), join(libs, f));
  }
  const python = join(root, 'usr/bin/python2.7');
  writeShim(bin, 'python2', dir, [python]);
  writeShim(bin, 'python2.7', dir, [python]);
  writeShim(bin, 'python', dir, [python]);

  // pip: Debian's 20.3.4 wheel runs itself to install the pinned set from PyPI, hash-checked.
  const wheels = join(root, 'usr/share/python-wheels');
  const debPip = readdirSync(wheels).find((f) => f.startsWith('pip-'));
  if (!debPip) throw new RuntimeError('python-pip-whl has no pip wheel');
  // pip installs under root/usr/local (--prefix), whose site-packages Debian's Python does not search:
  // a .pth file in the folder it does search adds it.
  const site = join(root, 'usr/local/lib/python2.7/site-packages');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(root, 'usr/lib/python2.7/dist-packages/ec2term-runtime.pth'), `${site}\n`);
  const pipEnv = { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_WARN_SCRIPT_LOCATION: '1', LD_LIBRARY_PATH: libs };
  // Two rounds: the wheels first (setuptools among them), then the source packages that need it to build.
  const wheel = (p: { file: string }) => p.file.endsWith('.whl');
  for (const round of [GRAPHTERM_PIP_PINS.filter(wheel), GRAPHTERM_PIP_PINS.filter((p) => !wheel(p))]) {
    const req = join(dir, 'requirements.txt');
    writeFileSync(req, requirementsText(round));
    log(`graphterm runtime: pip install ${round.map((p) => `${p.name}==${p.version}`).join(' ')}`);
    try {
      await run(python, [join(wheels, debPip, 'pip'), 'install', '-q', '--no-cache-dir', '--prefix', join(root, 'usr/local'),
        '--no-deps', '--require-hashes', '-r', req], { env: pipEnv, maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const last = (err.stderr || err.message).trim().split('\n').filter((l) => /\S/.test(l) && !/DEPRECATION|WARNING/.test(l)).slice(-1)[0];
      throw new RuntimeError(`pip could not install GraphTerm: ${last}`);
    }
  }
  const scripts = join(root, 'usr/local/bin');
  writeShim(bin, 'pip2', dir, [python, '-m', 'pip']);
  for (const c of GRAPHTERM_COMMANDS) {
    if (existsSync(join(scripts, c))) writeShim(bin, c, dir, [python, join(scripts, c)]);
  }
  if (!existsSync(join(bin, 'gtermserver'))) throw new RuntimeError('pip installed GraphTerm but no gtermserver appeared');
  // Proof it runs: GraphTerm's own modules import under this Python (tornado < 5, ssl present).
  try {
    await run(join(bin, 'python2'), ['-c', 'import ssl, tornado, graphterm.gtermserver; assert tornado.version_info < (5,)'], { env: pipEnv });
  } catch (e) {
    throw new RuntimeError(`the installed GraphTerm does not load: ${((e as { stderr?: string }).stderr || '').trim().split('\n').slice(-1)[0]}`);
  }
  writeFileSync(join(dir, '.complete'), fingerprint(arch));
  return runtimeAt(dir, arch);
}

